//! The store's set-up as the real 10.0.2 store shows it (exchanges 01, 15 to 18): Sweden
//! and SEK, prices entered including VAT, and four tax classes each with one Swedish rate —
//! standard 25 %, `reduced-rate` 12 %, `reduced-rate-6` 6 %, `zero-rate` 0 % — with rate
//! ids 1 to 4. Settings come from `woo_settings.json` and the system status from
//! `woo_system_status.json`, both as recorded (long option lists cut to a few entries).

use serde_json::{Value, json};

/// (rate id, percent, tax class as products carry it, the class's name).
pub const CLASSES: [(u64, u32, &str, &str); 4] = [
    (1, 25, "", "Standard rate"),
    (2, 12, "reduced-rate", "Reduced rate"),
    (3, 6, "reduced-rate-6", "Reduced rate 6%"),
    (4, 0, "zero-rate", "Zero rate"),
];

/// The tax class a product at `rate` % carries ("" is the standard class). A rate the
/// store has no class for falls back to standard.
pub fn class_of_rate(rate: u32) -> &'static str {
    CLASSES.iter().find(|c| c.1 == rate).map_or("", |c| c.2)
}

/// The rate of a tax class; "standard", "" and "parent" (a variation following a standard
/// parent) are the standard rate. `None` for a class the store does not have.
pub fn rate_of_class(class: &str) -> Option<u32> {
    let class = if matches!(class, "standard" | "parent") { "" } else { class };
    CLASSES.iter().find(|c| c.2 == class).map(|c| c.1)
}

/// The store's settings groups `general` and `tax`, values as configured.
pub struct Settings {
    groups: Value,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { groups: serde_json::from_str(include_str!("woo_settings.json")).expect("settings JSON") }
    }
}

impl Settings {
    /// `GET /settings/{group}`: every option with its `_links`.
    pub fn group(&self, group: &str, home: &str) -> Option<Value> {
        let items = self.groups.get(group)?.as_array()?;
        let base = format!("{home}/wp-json/wc/v3/settings/{group}");
        Some(Value::Array(
            items
                .iter()
                .map(|item| {
                    let mut item = item.clone();
                    item["_links"] = json!({
                        "self": [{ "href": format!("{base}/{}", item["id"].as_str().unwrap_or_default()),
                                   "targetHints": { "allow": ["GET", "POST", "PUT", "PATCH"] } }],
                        "collection": [{ "href": base }] });
                    item
                })
                .collect(),
        ))
    }

    pub fn value(&self, group: &str, id: &str) -> Option<String> {
        let items = self.groups.get(group)?.as_array()?;
        items.iter().find(|i| i["id"] == id)?["value"].as_str().map(str::to_owned)
    }

    /// `PUT /settings/{group}/{id}` with `{"value": …}`; the option as it now is.
    pub fn set(&mut self, group: &str, id: &str, value: &Value) -> Option<Value> {
        let items = self.groups.get_mut(group)?.as_array_mut()?;
        let item = items.iter_mut().find(|i| i["id"] == id)?;
        item["value"] = value.clone();
        Some(item.clone())
    }

    /// `woocommerce_prices_include_tax`: catalogue prices are entered with VAT.
    pub fn prices_include_tax(&self) -> bool {
        self.value("tax", "woocommerce_prices_include_tax").as_deref() != Some("no")
    }
}

/// `GET /taxes/classes`.
pub fn classes(home: &str) -> Value {
    let collection = json!({ "collection": [{ "href": format!("{home}/wp-json/wc/v3/taxes/classes") }] });
    let slug = |s: &str| if s.is_empty() { "standard".to_owned() } else { s.to_owned() };
    CLASSES.iter().map(|c| json!({ "slug": slug(c.2), "name": c.3, "_links": collection })).collect()
}

/// `GET /taxes`: one Swedish rate per class, shipping taxed too.
pub fn rates(home: &str) -> Vec<Value> {
    CLASSES
        .iter()
        .map(|(id, percent, class, _)| {
            json!({ "id": id, "country": "SE", "state": "", "postcode": "", "city": "",
                    "rate": format!("{percent}.0000"), "name": format!("Moms {percent}%"), "priority": 1,
                    "compound": false, "shipping": true, "order": 0,
                    "class": if class.is_empty() { "standard" } else { class }, "postcodes": [], "cities": [],
                    "_links": { "self": [{ "href": format!("{home}/wp-json/wc/v3/taxes/{id}"),
                                           "targetHints": { "allow": ["GET", "POST", "PUT", "PATCH", "DELETE"] } }],
                                "collection": [{ "href": format!("{home}/wp-json/wc/v3/taxes") }] } })
        })
        .collect()
}

/// The system status's settings as the store's settings now are: its currency, its
/// decimals and whether HPOS is on.
fn overlay_settings(settings: &mut Value, s: &crate::woo::State) {
    if let Some(currency) = s.settings.value("general", "woocommerce_currency") {
        settings["currency"] = json!(currency);
    }
    if let Some(decimals) =
        s.settings.value("general", "woocommerce_price_num_decimals").and_then(|d| d.parse::<u32>().ok())
    {
        settings["number_of_decimals"] = json!(decimals);
    }
    settings["HPOS_enabled"] = json!(s.hpos);
}

/// An order's `tax_lines` entry for rate `id` (the store's code and label).
pub fn tax_line(line_id: u64, rate_id: u64, tax_total: &str, shipping_tax_total: &str) -> Value {
    let percent = CLASSES.iter().find(|c| c.0 == rate_id).map_or(0, |c| c.1);
    json!({ "id": line_id, "rate_code": format!("SE-MOMS {percent}%-1"), "rate_id": rate_id,
            "label": format!("Moms {percent}%"), "compound": false, "tax_total": tax_total,
            "shipping_tax_total": shipping_tax_total, "rate_percent": percent, "meta_data": [] })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_rates_go_both_ways() {
        for (_, rate, class, _) in CLASSES {
            assert_eq!(rate_of_class(class), Some(rate));
            assert_eq!(class_of_rate(rate), class);
        }
        assert_eq!(rate_of_class("parent"), Some(25));
        assert_eq!(rate_of_class("nope"), None);
    }
}

/// The routes: settings groups (read, and one option written), tax classes and rates,
/// the system status.
pub(crate) mod routes {
    use crate::woo::{Ctx, handle, list};
    use axum::extract::{Path, Request, State as Axum};
    use axum::http::StatusCode;
    use axum::response::Response;
    use serde_json::json;

    fn home(ctx: &Ctx) -> String {
        crate::lock(&ctx.home_url).clone()
    }

    fn invalid_group() -> crate::woo_order_writes::WooRefusal {
        (404, "rest_setting_setting_group_invalid", "Invalid setting group.".into(), json!({ "status": 404 }))
    }

    pub async fn settings_group(Axum(ctx): Axum<Ctx>, Path(group): Path<String>, request: Request) -> Response {
        let home = home(&ctx);
        handle(&ctx, request, |s, _| Ok((StatusCode::OK, s.settings.group(&group, &home).ok_or_else(invalid_group)?)))
            .await
    }

    /// `PUT /settings/{group}/{id}` with `{"value": …}` (how exchange 80's set-up flipped
    /// prices to excluding VAT).
    pub async fn set_setting(
        Axum(ctx): Axum<Ctx>,
        Path((group, id)): Path<(String, String)>,
        request: Request,
    ) -> Response {
        handle(&ctx, request, |s, body| {
            let item = s.settings.set(&group, &id, &body["value"]).ok_or_else(|| {
                (404, "rest_setting_setting_invalid", "Invalid setting.".into(), json!({ "status": 404 }))
            })?;
            Ok((StatusCode::OK, item))
        })
        .await
    }

    /// `GET /system_status`, as the store reported it (exchange 01), with this home URL.
    pub async fn system_status(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
        let home = home(&ctx);
        handle(&ctx, request, |s, _| {
            let text = include_str!("woo_system_status.json").replace("{home}", &home);
            let mut status: serde_json::Value = serde_json::from_str(&text).expect("system status JSON");
            super::overlay_settings(&mut status["settings"], s);
            Ok((StatusCode::OK, status))
        })
        .await
    }

    pub async fn tax_classes(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
        let home = home(&ctx);
        list(&ctx, &request, |_, _| super::classes(&home).as_array().cloned().unwrap_or_default())
    }

    pub async fn tax_rates(Axum(ctx): Axum<Ctx>, request: Request) -> Response {
        let home = home(&ctx);
        list(&ctx, &request, |s, _| super::rates(&home).into_iter().chain(s.extra_tax_rates.iter().cloned()).collect())
    }
}
