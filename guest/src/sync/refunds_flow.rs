//! The refunds flow, WooCommerce → Fortnox. A refund of a whole order whose document is
//! unbooked and unpaid cancels the document; any other refund becomes a credit invoice of
//! only the refunded lines (several per invoice are fine), carrying the refund in
//! `ExternalInvoiceReference2`. A refund woonox made from a Fortnox credit is never sent
//! back.

use super::api::{self, Service};
use super::cursor::Cursor;
use super::links::{self, OrderLink};
use super::report::{Outcome, Report, skipped};
use super::state;
use super::{Ctx, SyncError, woo_client};
use crate::lenient::decimal_of;
use crate::map::refund::FROM_FORTNOX;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What became of a WooCommerce refund.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RefundLink {
    pub credit_invoice: Option<String>,
    pub cancelled: Option<String>,
    /// Made by woonox from this Fortnox credit invoice.
    pub from_fortnox: Option<String>,
}

pub fn refund_key(refund_id: u64) -> String {
    format!("refund:{refund_id}")
}

/// `ExternalInvoiceReference2` of the credit invoice for a refund.
pub fn refund_reference(store_id: &str, refund_id: u64) -> String {
    format!("woonox:{store_id}:refund:{refund_id}")
}

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let mut cursor = Cursor::load(ctx.kv, "refunds")?;
    let mut route = "orders?status=any&dates_are_gmt=true".to_owned();
    if let Some(since) = cursor.since_woo(ctx.settings.flows.overlap_minutes) {
        route.push_str(&format!("&modified_after={since}"));
    }
    let mut orders = Vec::new();
    woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &route, |o| {
        if o["refunds"].as_array().is_some_and(|r| !r.is_empty()) {
            orders.push(o);
        }
    })?;
    let mut report = Report::default();
    for (i, order) in orders.iter().enumerate() {
        ctx.progress.step("refunds", i as u64 + 1, orders.len() as u64);
        let modified = order["date_modified_gmt"].as_str().unwrap_or_default();
        let before = report.failed.len();
        let settled = order_refunds(ctx, order, &mut report)?;
        if report.failed.len() > before || !settled {
            cursor.hold(modified);
        } else {
            cursor.saw(modified);
        }
    }
    if !ctx.dry_run {
        cursor.save(ctx.kv)?;
    }
    Ok(report)
}

/// The new refunds of one order that lists them. Answers false when they must be read
/// again: the order is one the orders flow sends but has not sent yet.
pub fn order_refunds(ctx: &Ctx, order: &Value, report: &mut Report) -> Result<bool, SyncError> {
    let id = order["id"].as_u64().unwrap_or(0);
    let summaries = order["refunds"].as_array().cloned().unwrap_or_default();
    let mut new = Vec::new();
    for summary in &summaries {
        let refund_id = summary["id"].as_u64().unwrap_or(0);
        match state::load::<RefundLink>(ctx.kv, &refund_key(refund_id))? {
            Some(_) => report.add(format!("refund {refund_id}"), Outcome::Unchanged),
            None => new.push(refund_id),
        }
    }
    if new.is_empty() {
        return Ok(true);
    }
    let Some(link) = links::load(ctx.kv, id)? else {
        for refund_id in new {
            report.add(format!("refund {refund_id}"), skipped(ctx.dry_run, "its order is not in Fortnox"));
        }
        let status = order["status"].as_str().unwrap_or_default();
        return Ok(!ctx.settings.flows.order_statuses.iter().any(|s| s == status));
    };
    let refunds = api::get(ctx.net, Service::Woo, &ctx.woo(&format!("orders/{id}/refunds")))?.unwrap_or_default();
    // Cancelling is right only if no earlier refund was credited already.
    let whole_order =
        new.len() == summaries.len() && refunded_total(&summaries) >= decimal_of(&order["total"]).unwrap_or_default();
    for refund_id in new {
        let Some(refund) = refunds.as_array().into_iter().flatten().find(|r| r["id"] == refund_id) else {
            continue;
        };
        let item = format!("refund {refund_id} of order {id}");
        let outcome = one(ctx, order, &link, refund, whole_order)?;
        report.add(item, outcome);
    }
    Ok(true)
}

fn refunded_total(summaries: &[Value]) -> rust_decimal::Decimal {
    summaries.iter().filter_map(|r| decimal_of(&r["total"])).map(|t| t.abs()).sum()
}

fn one(ctx: &Ctx, order: &Value, link: &OrderLink, refund: &Value, whole: bool) -> Result<Outcome, SyncError> {
    let refund_id = refund["id"].as_u64().unwrap_or(0);
    let key = refund_key(refund_id);
    if refund["reason"].as_str().is_some_and(|r| r.contains(FROM_FORTNOX)) {
        if !ctx.dry_run {
            state::save(ctx.kv, &key, &RefundLink { from_fortnox: Some(String::new()), ..RefundLink::default() })?;
        }
        return Ok(skipped(ctx.dry_run, "woonox made it from a Fortnox credit invoice"));
    }
    let Some(invoice) = link.invoice.clone() else {
        return order_only(ctx, link, &key, whole);
    };
    let Some(current) = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("invoices/{invoice}")))? else {
        return Ok(Outcome::Failed(format!("Fortnox invoice {invoice} no longer exists")));
    };
    let current = &current["Invoice"];
    let unpaid = decimal_of(&current["Balance"]) == decimal_of(&current["Total"]);
    if current["Cancelled"] == true {
        return record(ctx, &key, RefundLink { cancelled: Some(invoice), ..RefundLink::default() });
    }
    if whole && current["Booked"] != true && unpaid {
        return cancel(ctx, &key, &format!("invoices/{invoice}/cancel"), invoice);
    }
    super::credit_invoice::credit(ctx, order, refund, current)
}

/// The order was never invoiced: a whole refund cancels it; a partial one waits for the
/// invoice (Fortnox credits invoices, not orders).
fn order_only(ctx: &Ctx, link: &OrderLink, key: &str, whole: bool) -> Result<Outcome, SyncError> {
    let Some(number) = link.order.clone() else {
        return Ok(skipped(ctx.dry_run, "its order is not in Fortnox"));
    };
    if link.cancelled {
        return record(ctx, key, RefundLink { cancelled: Some(number), ..RefundLink::default() });
    }
    if whole {
        return cancel(ctx, key, &format!("orders/{number}/cancel"), number);
    }
    Ok(Outcome::Failed(format!(
        "Fortnox order {number} is not invoiced yet, and Fortnox credits only invoices: woonox credits this refund once \
         the order is invoiced (see flows.invoice-at-status)"
    )))
}

fn cancel(ctx: &Ctx, key: &str, path: &str, number: String) -> Result<Outcome, SyncError> {
    if ctx.dry_run {
        return Ok(Outcome::Updated);
    }
    if let Err(why) = api::write(ctx.net, Service::Fortnox, "PUT", &ctx.fortnox(path), None)? {
        return Ok(Outcome::Failed(format!("Fortnox document {number} could not be cancelled: {why}")));
    }
    record(ctx, key, RefundLink { cancelled: Some(number), ..RefundLink::default() })?;
    Ok(Outcome::Updated)
}

fn record(ctx: &Ctx, key: &str, link: RefundLink) -> Result<Outcome, SyncError> {
    if !ctx.dry_run {
        state::save(ctx.kv, key, &link)?;
    }
    Ok(Outcome::Unchanged)
}
