//! Webhook deliveries. A WooCommerce order event is a trigger, not the order: the order is
//! read from the store by its id (one call), so a replayed or forged old state of an order
//! cannot reach Fortnox. It then goes through the same steps as the poll would take it
//! (document, follow-up, refunds), exactly once through the same links. It never moves a
//! poll cursor: the poll stays the source of truth, and catches whatever a lost delivery
//! missed.

use super::api::{self, Service};
use super::report::{Outcome, Report};
use super::{Ctx, SyncError, invoice_event, orders_flow, products_flow, refunds_flow};
use serde_json::Value;

pub fn handle(ctx: &Ctx, source: &str, topic: &str, body: &str) -> Result<Report, SyncError> {
    let mut report = Report::default();
    match (source, topic) {
        // "order.sync": the status page's "sync this order now".
        ("woocommerce", "order.created" | "order.updated" | "order.restored" | "order.sync") => {
            let delivered: Value = serde_json::from_str(body)
                .map_err(|e| SyncError::Interrupted(format!("the {topic} delivery is not JSON: {e}")))?;
            let Some(id) = delivered["id"].as_u64() else {
                report.add(format!("{topic} delivery"), Outcome::Failed("it carries no order id".into()));
                return Ok(report);
            };
            let Some(order) = api::get(ctx.net, Service::Woo, &ctx.woo(&format!("orders/{id}")))? else {
                report.skip(format!("order {id}"), "no longer in the store");
                return Ok(report);
            };
            let outcome = orders_flow::one(ctx, &order, &mut orders_flow::Rates::default())?;
            report.add(format!("order {id}"), outcome);
            if order["refunds"].as_array().is_some_and(|r| !r.is_empty()) {
                refunds_flow::order_refunds(ctx, &order, &mut report)?;
            }
        }
        // The status page's "sync this article now", and Fortnox's `articles` topic.
        ("fortnox", "article.sync" | "article.updated") => {
            let asked: Value = serde_json::from_str(body).unwrap_or_default();
            match asked["sku"].as_str().filter(|s| !s.trim().is_empty()) {
                Some(sku) => return products_flow::one(ctx, sku.trim()),
                None => report.add("article event", Outcome::Failed("it names no article number (sku)".into())),
            }
        }
        // Fortnox's `invoices` topic.
        ("fortnox", "invoice.updated" | "invoicepayment.updated") => return invoice_event::handle(ctx, topic, body),
        _ => report.add(format!("{source} {topic}"), Outcome::Skipped),
    }
    Ok(report)
}
