//! Orders, refunds and notes as the real 10.0.2 store answers them (exchanges 48 to 61,
//! 78 to 96): every field it returns, filled from what the stand-in stores (seeded orders
//! keep only what woonox reads; tests push such orders too). Stored fields win; what is
//! missing gets the store's default, or is derived the way the store derives it (local
//! dates from GMT ones, order totals from the lines).

use serde_json::{Map, Value, json};

fn money(v: &Value) -> f64 {
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()).unwrap_or(0.0)
}

/// `target` with each of `defaults`' fields it lacks.
fn fill(target: &mut Value, defaults: Value) {
    if let (Some(t), Value::Object(d)) = (target.as_object_mut(), defaults) {
        for (k, v) in d {
            t.entry(k).or_insert(v);
        }
    }
}

fn fill_each(list: &mut Value, defaults: impl Fn() -> Value) {
    for item in list.as_array_mut().into_iter().flatten() {
        fill(item, defaults());
    }
}

fn meta_entry() -> Value {
    json!({ "display_key": "", "display_value": "" })
}

/// Meta of an order item carries `display_key`/`display_value` copies of key and value.
fn item_meta(item: &mut Value) {
    if !item.is_object() {
        return;
    }
    for m in item["meta_data"].as_array_mut().into_iter().flatten().filter(|m| m.is_object()) {
        let (k, v) = (m["key"].clone(), m["value"].clone());
        fill(m, meta_entry());
        if m["display_key"] == "" {
            m["display_key"] = k;
            m["display_value"] = v;
        }
    }
}

pub fn line_defaults() -> Value {
    json!({ "variation_id": 0, "tax_class": "", "meta_data": [], "image": { "id": "", "src": "" }, "parent_name": null })
}

pub fn shipping_defaults() -> Value {
    json!({ "method_title": "", "method_id": "", "instance_id": "", "taxes": [], "tax_status": "taxable", "meta_data": [] })
}

pub fn fee_defaults() -> Value {
    json!({ "tax_class": "", "tax_status": "taxable", "amount": "", "taxes": [], "meta_data": [] })
}

fn coupon_defaults() -> Value {
    json!({ "discount": "0.00", "discount_tax": "0.00", "meta_data": [], "discount_type": "percent",
            "nominal_amount": 0, "free_shipping": false })
}

fn tax_line_defaults() -> Value {
    json!({ "compound": false, "tax_total": "0.00", "shipping_tax_total": "0.00", "meta_data": [] })
}

/// The store's local time (Stockholm, UTC+1 in winter) for a GMT one; null stays null.
fn local(gmt: &Value) -> Value {
    gmt.as_str().map_or(Value::Null, |g| json!(crate::woo_catalog_extra::local_time(g)))
}

fn sum(lines: &Value, key: &str) -> f64 {
    lines.as_array().into_iter().flatten().map(|l| money(&l[key])).sum()
}

/// A line's taxes as a read shows them: the unrounded amounts kept at creation, rounded
/// again with a half cent going down, so 49.975 reads as 49.97 though the create answer
/// and the tax entries say 49.98 (exchanges 80 and 97; see ASSUMPTIONS.md).
fn reread_taxes(line: &mut Value) {
    use rust_decimal::{Decimal, RoundingStrategy};
    let Some(raw) = line.as_object_mut().and_then(|l| l.remove("_raw_taxes")) else { return };
    for (i, key) in ["subtotal_tax", "total_tax"].iter().enumerate() {
        if let Some(v) = raw[i].as_str().and_then(|v| v.parse::<Decimal>().ok()) {
            let shown = v.round_dp_with_strategy(2, RoundingStrategy::MidpointTowardZero);
            line[*key] = json!(format!("{shown:.2}"));
        }
    }
}

/// An order as `/orders` answers it.
pub fn order(stored: &Value, home: &str) -> Value {
    let mut o = stored.clone();
    // Tests push malformed orders on purpose (`bad_inputs`): show them as they are.
    if !o.is_object() {
        return o;
    }
    for line in o["line_items"].as_array_mut().into_iter().flatten() {
        reread_taxes(line);
    }
    let id = o["id"].as_u64().unwrap_or(0);
    for (list, defaults) in [
        ("line_items", line_defaults as fn() -> Value),
        ("shipping_lines", shipping_defaults),
        ("fee_lines", fee_defaults),
        ("coupon_lines", coupon_defaults),
        ("tax_lines", tax_line_defaults),
    ] {
        if o.get(list).is_none() {
            o[list] = json!([]);
        }
        fill_each(&mut o[list], defaults);
        for item in o[list].as_array_mut().into_iter().flatten() {
            item_meta(item);
        }
    }
    let shipping_tax = sum(&o["shipping_lines"], "total_tax");
    let shipping_total = sum(&o["shipping_lines"], "total");
    let cart_tax = sum(&o["line_items"], "total_tax") + sum(&o["fee_lines"], "total_tax");
    let status = o["status"].as_str().unwrap_or("pending").to_owned();
    let paid = matches!(status.as_str(), "processing" | "completed");
    let key = format!("wc_order_{:013}", id);
    fill(
        &mut o,
        json!({
            "parent_id": 0, "status": "pending", "currency": "SEK", "version": "10.0.2", "prices_include_tax": true,
            "discount_total": "0.00", "discount_tax": "0.00",
            "shipping_total": format!("{shipping_total:.2}"),
            "shipping_tax": format!("{shipping_tax:.2}"), "cart_tax": format!("{cart_tax:.2}"),
            "total_tax": format!("{:.2}", cart_tax + shipping_tax), "total": "0.00", "customer_id": 0,
            "order_key": key, "billing": {}, "shipping": {}, "payment_method": "", "payment_method_title": "",
            "transaction_id": "", "customer_ip_address": "", "customer_user_agent": "", "created_via": "rest-api",
            "customer_note": "", "cart_hash": "", "number": id.to_string(), "meta_data": [], "refunds": [],
            "payment_url": format!("{home}/checkout/order-pay/{id}/?pay_for_order=true&key={key}"),
            "is_editable": status == "pending", "needs_payment": false, "needs_processing": paid,
            "date_created_gmt": "2026-11-26T17:56:26", "date_modified_gmt": "2026-11-26T17:56:26",
            "date_completed_gmt": null, "date_paid_gmt": null, "currency_symbol": "kr"
        }),
    );
    for d in ["date_created", "date_modified", "date_completed", "date_paid"] {
        if o.get(d).is_none() {
            o[d] = local(&o[format!("{d}_gmt")]);
        }
    }
    let mut links = json!({
        "self": [{ "href": format!("{home}/wp-json/wc/v3/orders/{id}"),
                   "targetHints": { "allow": ["GET", "POST", "PUT", "PATCH", "DELETE"] } }],
        "collection": [{ "href": format!("{home}/wp-json/wc/v3/orders") }],
        "email_templates": [{ "embeddable": true, "href": format!("{home}/wp-json/wc/v3/orders/{id}/actions/email_templates") }]
    });
    if let Some(customer) = o["customer_id"].as_u64().filter(|c| *c != 0) {
        links["customer"] = json!([{ "href": format!("{home}/wp-json/wc/v3/customers/{customer}") }]);
    }
    o["_links"] = links;
    o
}

/// A refund as `/orders/{id}/refunds` answers it; store-wide (`/refunds`) it also names
/// its order as `parent_id` (exchange 57).
pub fn refund(stored: &Value, order_id: u64, home: &str, store_wide: bool) -> Value {
    let mut r = Map::new();
    let id = stored["id"].as_u64().unwrap_or(0);
    r.insert("id".into(), json!(id));
    if store_wide {
        r.insert("parent_id".into(), json!(order_id));
    }
    let created = stored.get("date_created_gmt").cloned().unwrap_or(Value::Null);
    r.insert("date_created".into(), local(&created));
    r.insert("date_created_gmt".into(), created);
    for (k, default) in [
        ("amount", json!("0.00")),
        ("reason", json!("")),
        ("refunded_by", json!(1)),
        ("refunded_payment", json!(false)),
        ("meta_data", json!([])),
        ("line_items", json!([])),
        ("shipping_lines", json!([])),
        ("tax_lines", json!([])),
        ("fee_lines", json!([])),
    ] {
        r.insert(k.into(), stored.get(k).cloned().unwrap_or(default));
    }
    let mut r = Value::Object(r);
    for (list, defaults) in [
        ("line_items", line_defaults as fn() -> Value),
        ("shipping_lines", shipping_defaults),
        ("fee_lines", fee_defaults),
        ("tax_lines", tax_line_defaults),
    ] {
        fill_each(&mut r[list], defaults);
        for item in r[list].as_array_mut().into_iter().flatten() {
            item_meta(item);
        }
    }
    r["_links"] = json!({
        "self": [{ "href": format!("{home}/wp-json/wc/v3/orders/{order_id}/refunds/{id}"),
                   "targetHints": { "allow": ["GET", "DELETE"] } }],
        "collection": [{ "href": format!("{home}/wp-json/wc/v3/orders/{order_id}/refunds") }],
        "up": [{ "href": format!("{home}/wp-json/wc/v3/orders/{order_id}") }]
    });
    r
}

/// An order note (exchanges 59, 60, 93, 94): the text exactly as sent.
pub fn note(stored: &Value, order_id: u64, home: &str) -> Value {
    let id = stored["id"].as_u64().unwrap_or(0);
    let created = stored.get("date_created_gmt").cloned().unwrap_or(Value::Null);
    json!({ "id": id, "author": "WooCommerce", "date_created": local(&created), "date_created_gmt": created,
            "note": stored["note"], "customer_note": stored.get("customer_note").cloned().unwrap_or(json!(false)),
            "_links": { "self": [{ "href": format!("{home}/wp-json/wc/v3/orders/{order_id}/notes/{id}"),
                                   "targetHints": { "allow": ["GET", "DELETE"] } }],
                        "collection": [{ "href": format!("{home}/wp-json/wc/v3/orders/{order_id}/notes") }],
                        "up": [{ "href": format!("{home}/wp-json/wc/v3/orders/{order_id}") }] } })
}
