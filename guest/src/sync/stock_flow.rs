//! The stock flow, Fortnox → WooCommerce: read both sides, write absolute levels only
//! where they differ (never read-modify-write), products and variations alike.

use super::api::{self, Service, encode};
use super::report::{FieldChange, Outcome, Report};
use super::transport::Transport;
use super::{Ctx, SyncError, fortnox_client, woo_batch, woo_client};
use crate::flow_settings::StockSource;
use crate::lenient::decimal_of;
use crate::model::{fortnox, woo};
use crate::stock::{self, FortnoxLevel, StockUpdate, WooLevel};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let (transport, endpoints) = (ctx.net, ctx.endpoints);
    let mut fortnox_levels = Vec::new();
    fortnox_client::for_each(transport, &endpoints.fortnox, "articles", "Articles", "articlenumber", |a| {
        if let Some(level) = serde_json::from_value::<fortnox::Article>(a).ok().and_then(stock::fortnox_level) {
            fortnox_levels.push(level);
        }
    })?;
    if ctx.settings.flows.stock_source == StockSource::Warehouse {
        warehouse_levels(ctx, &mut fortnox_levels)?;
    }
    let woo_levels = woo_levels(transport, &endpoints.woocommerce)?;
    let plan = stock::reconcile(&fortnox_levels, &woo_levels);
    let stocked: std::collections::BTreeSet<&str> =
        fortnox_levels.iter().filter(|l| l.quantity.is_some()).map(|l| l.sku.as_str()).collect();
    let matched = woo_levels.iter().filter(|w| stocked.contains(w.sku.as_str())).count() as u32;
    let mut report = Report {
        unchanged: matched - plan.updates.len() as u32,
        skipped: plan.only_in_woo.len() as u32,
        ..Report::default()
    };
    apply(ctx, &plan.updates, &woo_levels, &mut report)?;
    Ok(report)
}

/// One article's level (as Fortnox answered `GET articles/{n}`), written where the store's
/// differs; with the warehouse module the stock flow brings it instead.
pub fn one(ctx: &Ctx, article: &Value, report: &mut Report) -> Result<(), SyncError> {
    let Some(level) = serde_json::from_value::<fortnox::Article>(article.clone()).ok().and_then(stock::fortnox_level)
    else {
        return Ok(());
    };
    if level.quantity.is_none() || ctx.settings.flows.stock_source == StockSource::Warehouse {
        return Ok(());
    }
    let mut woo_levels = Vec::new();
    let route = format!("products?sku={}", encode(&level.sku));
    woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &route, |p| {
        let found = serde_json::from_value::<woo::Product>(p).ok().and_then(stock::woo_level);
        woo_levels.extend(found.filter(|l| l.sku == level.sku));
    })?;
    let plan = stock::reconcile(std::slice::from_ref(&level), &woo_levels);
    report.unchanged += (woo_levels.len() - plan.updates.len()) as u32;
    apply(ctx, &plan.updates, &woo_levels, report)
}

/// Writes `updates`, or in a dry run says what each would change; `levels` are the
/// store's before the write, for the report.
fn apply(ctx: &Ctx, updates: &[StockUpdate], levels: &[WooLevel], report: &mut Report) -> Result<(), SyncError> {
    if ctx.dry_run {
        for u in updates {
            report.updated_to(format!("SKU {}", u.sku), product(u), stock_change(u, levels));
        }
        return Ok(());
    }
    write(ctx, updates, levels, report)
}

/// The level an update replaces, as the merchant reads it ("" when the store does not
/// manage the product's stock yet).
fn stock_change(u: &StockUpdate, woo_levels: &[WooLevel]) -> Vec<FieldChange> {
    let old = woo_levels
        .iter()
        .find(|w| w.product_id == u.product_id)
        .and_then(|w| w.quantity.filter(|_| !u.enable_manage_stock))
        .map(|q| q.normalize().to_string())
        .unwrap_or_default();
    vec![FieldChange { field: "stock_quantity".into(), old, new: u.quantity.trunc().to_string() }]
}

/// With the warehouse module, the available stock summed over the configured stock
/// points (all when none are named) replaces each stocked article's quantity; an article
/// the warehouse does not list has none.
fn warehouse_levels(ctx: &Ctx, levels: &mut [FortnoxLevel]) -> Result<(), SyncError> {
    let points = &ctx.settings.flows.stock_points;
    let mut sums: BTreeMap<String, Decimal> = BTreeMap::new();
    let stocked: Vec<&str> = levels.iter().filter(|l| l.quantity.is_some()).map(|l| l.sku.as_str()).collect();
    for chunk in stocked.chunks(100) {
        let ids: Vec<String> = chunk.iter().map(|s| encode(s)).collect();
        let mut url = format!(
            "{}/api/warehouse/status-v1/stockbalance?itemIds={}",
            ctx.endpoints.fortnox.trim_end_matches('/'),
            ids.join(",")
        );
        if !points.is_empty() {
            let codes: Vec<String> = points.iter().map(|p| encode(p)).collect();
            url.push_str(&format!("&stockPointCodes={}", codes.join(",")));
        }
        let rows = api::get(ctx.net, Service::Fortnox, &url)?.unwrap_or_default();
        for row in rows.as_array().into_iter().flatten() {
            let point = row["stockPointCode"].as_str().unwrap_or_default();
            if points.is_empty() || points.iter().any(|p| p == point) {
                let available = decimal_of(&row["availableStock"]).unwrap_or_default();
                *sums.entry(row["itemId"].as_str().unwrap_or_default().to_owned()).or_default() += available;
            }
        }
    }
    for level in levels.iter_mut().filter(|l| l.quantity.is_some()) {
        level.quantity = Some(sums.get(&level.sku).copied().unwrap_or_default());
    }
    Ok(())
}

/// Every product, and every variation of every variable product.
fn woo_levels(transport: &dyn Transport, home: &str) -> Result<Vec<WooLevel>, SyncError> {
    let (mut levels, mut parents) = (Vec::new(), Vec::new());
    woo_client::for_each(transport, home, "products", |p| {
        if p["type"] == "variable" {
            parents.push(p["id"].as_u64().unwrap_or(0));
        }
        if let Some(level) = serde_json::from_value::<woo::Product>(p).ok().and_then(stock::woo_level) {
            levels.push(level);
        }
    })?;
    for parent in parents {
        woo_client::for_each(transport, home, &format!("products/{parent}/variations"), |v| {
            if let Some(level) = serde_json::from_value::<woo::Product>(v).ok().and_then(stock::woo_level) {
                levels.push(level);
            }
        })?;
    }
    Ok(levels)
}

/// The product whose admin page shows the level: a variation's parent.
fn product(u: &StockUpdate) -> String {
    format!("product {}", u.parent_id.unwrap_or(u.product_id))
}

/// Products in one batch route, each parent's variations in its own.
fn write(ctx: &Ctx, updates: &[StockUpdate], levels: &[WooLevel], report: &mut Report) -> Result<(), SyncError> {
    let mut by_route: BTreeMap<String, Vec<&StockUpdate>> = BTreeMap::new();
    for u in updates {
        let route = match u.parent_id {
            Some(parent) => format!("products/{parent}/variations/batch"),
            None => "products/batch".to_owned(),
        };
        by_route.entry(route).or_default().push(u);
    }
    for (route, items) in by_route {
        let bodies: Vec<Value> = items
            .iter()
            .map(|u| json!({ "id": u.product_id, "manage_stock": true, "stock_quantity": u.quantity.trunc().to_string().parse::<i64>().unwrap_or(0) }))
            .collect();
        let outcome = woo_batch::update(ctx.net, &ctx.endpoints.woocommerce, &route, &bodies)?;
        for (u, error) in items.iter().zip(outcome) {
            match error {
                None => report.updated_to(format!("SKU {}", u.sku), product(u), stock_change(u, levels)),
                Some(why) => report.add(format!("SKU {}", u.sku), Outcome::Failed(why)),
            }
        }
    }
    Ok(())
}
