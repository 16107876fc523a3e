//! The doctor's WooCommerce checks: the store answers on `/wp-json/` (pretty permalinks),
//! the key may write, prices with or without VAT agree with the settings, HPOS, the
//! currency and its decimals; and, with Fortnox's articles read, every SKU the store
//! sells is an article and a tax class charges each VAT rate the articles use.

use super::api::{self, Service};
use super::doctor::{Finding, Refused, Store, read};
use super::doctor_fortnox::Articles;
use super::tax_classes::TaxClasses;
use super::{Ctx, SyncError, woo_client};
use crate::settings::{MissingSku, VatMode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const SIDE: &str = "woocommerce";
/// What Fortnox has in Sweden (docs/fortnox-api.md §2: by default only 25, 12 and 6 %, and 0).
const FORTNOX_RATES: [u32; 4] = [25, 12, 6, 0];
/// Examples named in a finding; the rest are counted.
const EXAMPLES: usize = 5;

/// The store's checks that need nothing from Fortnox; the store's facts, or `None` when it
/// cannot be read at all (then one failing finding says why).
pub fn run(ctx: &Ctx, findings: &mut Vec<Finding>) -> Option<Store> {
    let status = match read(ctx, Service::Woo, &ctx.woo("system_status")) {
        Ok(Some(status)) => status,
        Ok(None) => Value::Null,
        Err(r) => {
            findings.push(unreadable(&r));
            return None;
        }
    };
    findings.push(Finding::ok(SIDE, "pretty permalinks", "the store answers on /wp-json/"));
    findings.push(key_permission(ctx));
    findings.push(prices_with_vat(ctx));
    let settings = &status["settings"];
    let store = Store {
        currency: settings["currency"].as_str().unwrap_or_default().to_owned(),
        order_currencies: order_currencies(ctx),
        decimals: settings["number_of_decimals"].as_u64(),
        hpos: settings["HPOS_enabled"].as_bool(),
    };
    findings.push(hpos(store.hpos));
    findings.push(decimals(&store));
    Some(store)
}

fn unreadable(r: &Refused) -> Finding {
    let (check, fix) = match r.status {
        404 => ("pretty permalinks", "WordPress → Settings → Permalinks: choose anything but \"Plain\""),
        401 | 403 => (
            "API key",
            "Check the key with `woonox connect woocommerce` (WooCommerce → Settings → Advanced → REST API)",
        ),
        _ => ("store", "Run `woonox doctor` again when the store answers"),
    };
    Finding::failing(SIDE, check, r.text.clone(), fix)
}

/// An empty batch: WooCommerce checks the key's write permission before it reads the
/// body, and an empty batch changes nothing (ASSUMPTIONS.md, "doctor's write probe").
fn key_permission(ctx: &Ctx) -> Finding {
    let check = "key permission";
    match api::write(ctx.net, Service::Woo, "POST", &ctx.woo("products/batch"), Some(&json!({}))) {
        Ok(Ok(_)) => Finding::ok(SIDE, check, "read/write"),
        Err(SyncError::Connection(why)) if why.contains("write permission") => Finding::failing(
            SIDE,
            check,
            "the API key may only read: every write woonox makes would be refused",
            "WooCommerce → Settings → Advanced → REST API: edit the key, set Permissions to Read/Write",
        ),
        Ok(Err(why)) | Err(SyncError::Connection(why) | SyncError::Interrupted(why)) => Finding::warning(
            SIDE,
            check,
            format!("could not tell: the store refused an empty batch: {why}"),
            "Check that the key has Read/Write (WooCommerce → Settings → Advanced → REST API)",
        ),
    }
}

fn prices_with_vat(ctx: &Ctx) -> Finding {
    let check = "prices with VAT";
    let tax = match read(ctx, Service::Woo, &ctx.woo("settings/tax")) {
        Ok(tax) => tax.unwrap_or_default(),
        Err(r) => return Finding::warning(SIDE, check, format!("could not read the tax settings: {}", r.text), ""),
    };
    let item = tax.as_array().into_iter().flatten().find(|i| i["id"] == "woocommerce_prices_include_tax");
    let store_includes = item.and_then(|i| i["value"].as_str()) != Some("no");
    let said = if store_includes { "with" } else { "without" };
    match (ctx.settings.order.prices, store_includes) {
        (VatMode::Auto, _) => {
            Finding::ok(SIDE, check, format!("the store enters prices {said} VAT; woonox reads each order's own flag"))
        }
        (VatMode::Included, true) | (VatMode::Excluded, false) => {
            Finding::ok(SIDE, check, format!("the store and order.prices agree: {said} VAT"))
        }
        (mode, _) => Finding::failing(
            SIDE,
            check,
            format!(
                "the store enters prices {said} VAT, but order.prices is \"{}\": order rows would be off by the VAT",
                if mode == VatMode::Included { "included" } else { "excluded" }
            ),
            "Set order.prices to \"auto\" (or to what the store does)",
        ),
    }
}

/// The currencies of the store's latest orders (one page): a store sells in more than its
/// own with a currency plugin.
fn order_currencies(ctx: &Ctx) -> Vec<String> {
    let url = ctx.woo("orders?per_page=100&orderby=date&order=desc");
    let orders = read(ctx, Service::Woo, &url).ok().flatten().unwrap_or_default();
    let codes: BTreeSet<String> =
        orders.as_array().into_iter().flatten().filter_map(|o| o["currency"].as_str()).map(str::to_owned).collect();
    codes.into_iter().collect()
}

fn hpos(enabled: Option<bool>) -> Finding {
    match enabled {
        Some(true) => Finding::ok(SIDE, "HPOS", "orders are in WooCommerce's own tables"),
        Some(false) => Finding::warning(
            SIDE,
            "HPOS",
            "high-performance order storage is off: orders are WordPress posts, which woonox is not tested with and \
             which make order lists slower",
            "WooCommerce → Settings → Advanced → Features: turn on High-performance order storage",
        ),
        None => Finding::warning(SIDE, "HPOS", "the system status does not say", ""),
    }
}

fn decimals(store: &Store) -> Finding {
    let check = "price decimals";
    let currency = if store.currency.is_empty() { "the store's currency" } else { &store.currency };
    match store.decimals {
        Some(2) | None => Finding::ok(SIDE, check, format!("{currency} prices have 2 decimals, as Fortnox keeps them")),
        Some(n) => Finding::warning(
            SIDE,
            check,
            format!("the store rounds prices to {n} decimals; Fortnox keeps 2, so totals may need rounding rows"),
            "WooCommerce → Settings → General → Number of decimals: 2",
        ),
    }
}

/// Every SKU the store sells, variations included, is a Fortnox article.
pub fn sold_skus(ctx: &Ctx, articles: &Articles, findings: &mut Vec<Finding>) {
    let (skus, without) = match store_skus(ctx) {
        Ok(found) => found,
        Err(why) => return findings.push(Finding::failing(SIDE, "SKUs", why, "Run `woonox doctor` again")),
    };
    let missing: Vec<&String> = skus.iter().filter(|s| !articles.contains_key(*s)).collect();
    findings.push(if missing.is_empty() {
        Finding::ok(SIDE, "SKUs", format!("all {} SKUs the store sells are Fortnox articles", skus.len()))
    } else {
        Finding::warning(
            SIDE,
            "SKUs",
            format!(
                "{} of {} SKUs the store sells are not Fortnox articles: {}",
                missing.len(),
                skus.len(),
                examples(&missing)
            ),
            "Create them as articles in Fortnox (or correct the SKUs): order rows naming them are refused by Fortnox",
        )
    });
    if !without.is_empty() {
        findings.push(without_sku(ctx, &without));
    }
}

fn without_sku(ctx: &Ctx, names: &[String]) -> Finding {
    let detail = format!("{} products have no SKU: {}", names.len(), examples(&names.iter().collect::<Vec<_>>()));
    match ctx.settings.order.missing_sku {
        MissingSku::TextRow => Finding::warning(
            SIDE,
            "products without SKU",
            format!("{detail}; their order rows go to Fortnox without an article"),
            "Give them the SKU of their Fortnox article",
        ),
        MissingSku::Error => Finding::failing(
            SIDE,
            "products without SKU",
            format!("{detail}; orders with them are held (order.missing-sku = \"error\")"),
            "Give them the SKU of their Fortnox article",
        ),
    }
}

fn examples(items: &[&String]) -> String {
    let mut text = items.iter().take(EXAMPLES).map(|s| format!("{s:?}")).collect::<Vec<_>>().join(", ");
    if items.len() > EXAMPLES {
        text.push_str(&format!(" and {} more", items.len() - EXAMPLES));
    }
    text
}

/// (every SKU, the names of products and variations without one).
fn store_skus(ctx: &Ctx) -> Result<(BTreeSet<String>, Vec<String>), String> {
    let (mut skus, mut without, mut variable) = (BTreeSet::new(), Vec::new(), Vec::new());
    let take = |p: &Value, skus: &mut BTreeSet<String>, without: &mut Vec<String>| match p["sku"].as_str() {
        Some(sku) if !sku.trim().is_empty() => drop(skus.insert(sku.to_owned())),
        _ => without.push(p["name"].as_str().unwrap_or("(no name)").to_owned()),
    };
    woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, "products", |p| {
        if p["type"] == "variable" {
            variable.push(p["id"].as_u64().unwrap_or_default());
        } else {
            take(&p, &mut skus, &mut without);
        }
    })
    .map_err(|e| e.to_string())?;
    for id in variable {
        woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &format!("products/{id}/variations"), |v| {
            take(&v, &mut skus, &mut without)
        })
        .map_err(|e| e.to_string())?;
    }
    Ok((skus, without))
}

/// A tax class charges each VAT rate Fortnox's articles use, and the store charges no rate
/// Fortnox lacks.
pub fn tax_classes(ctx: &Ctx, articles: &Articles, findings: &mut Vec<Finding>) {
    let classes = match TaxClasses::load(ctx) {
        Ok(classes) => classes,
        Err(e) => {
            return findings.push(Finding::failing(SIDE, "tax classes", e.to_string(), "Run `woonox doctor` again"));
        }
    };
    let used: BTreeSet<Decimal> = articles.values().copied().collect();
    for vat in used {
        let check = format!("tax class for {vat} %");
        findings.push(match classes.class_for(vat) {
            Ok(class) => {
                Finding::ok(SIDE, check, format!("class {:?}", if class.is_empty() { "standard" } else { &class }))
            }
            Err(why) => Finding::failing(SIDE, check, why, "WooCommerce → Settings → Tax"),
        });
    }
    for rate in classes.rates_charged() {
        if !FORTNOX_RATES.iter().any(|r| Decimal::from(*r) == rate) {
            findings.push(Finding::failing(
                SIDE,
                format!("tax rate {rate} %"),
                format!("the store charges {rate} % VAT, which Fortnox does not have (25, 12, 6 and 0 %): its orders would be refused"),
                "Correct the rate in WooCommerce → Settings → Tax",
            ));
        }
    }
}
