//! The stock flow, Fortnox → WooCommerce: read both sides, write absolute levels only
//! where they differ (never read-modify-write), products and variations alike.

use super::report::Report;
use super::transport::Transport;
use super::{Ctx, SyncError, fortnox_client, woo_batch, woo_client};
use crate::model::{fortnox, woo};
use crate::stock::{self, StockUpdate, WooLevel};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let (transport, endpoints, dry_run) = (ctx.net, ctx.endpoints, ctx.dry_run);
    let mut fortnox_levels = Vec::new();
    fortnox_client::for_each(transport, &endpoints.fortnox, "articles", "Articles", "articlenumber", |a| {
        if let Some(level) = serde_json::from_value::<fortnox::Article>(a).ok().and_then(stock::fortnox_level) {
            fortnox_levels.push(level);
        }
    })?;
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
    if dry_run {
        report.updated = plan.updates.len() as u32;
        return Ok(report);
    }
    write(transport, &endpoints.woocommerce, &plan.updates, &mut report)?;
    Ok(report)
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

/// Products in one batch route, each parent's variations in its own.
fn write(transport: &dyn Transport, home: &str, updates: &[StockUpdate], report: &mut Report) -> Result<(), SyncError> {
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
        let outcome = woo_batch::update(transport, home, &route, &bodies)?;
        for (u, error) in items.iter().zip(outcome) {
            match error {
                Some(reason) => report.failed.push((format!("SKU {}", u.sku), reason)),
                None => report.updated += 1,
            }
        }
    }
    Ok(())
}
