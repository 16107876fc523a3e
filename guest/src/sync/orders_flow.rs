//! The orders flow, WooCommerce → Fortnox: orders that reached the configured statuses
//! (found by a `modified_after` poll with an overlap window) become exactly one Fortnox
//! document each. The link is stored; a pending marker set before the create makes a rerun
//! after a lost answer search by `ExternalInvoiceReference1` before writing anything.

use super::api::{self, Service, encode};
pub use super::currency_rates::Rates;
use super::cursor::Cursor;
use super::links::{self, OrderLink};
use super::report::{Outcome, Report, skipped};
use super::state::{clear_pending, is_pending, mark_pending};
use super::{Ctx, SyncError, customers, order_follow_up, order_notes, woo_client};
use crate::map::order::external_reference;
use crate::map_order;
use crate::settings::DocumentKind;
use serde_json::Value;

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let flows = &ctx.settings.flows;
    let mut cursor = Cursor::load(ctx.kv, "orders")?;
    let mut statuses = flows.order_statuses.clone();
    for extra in std::iter::once("cancelled".to_owned()).chain(flows.invoice_at_status.clone()) {
        if !statuses.contains(&extra) {
            statuses.push(extra);
        }
    }
    let mut route = format!("orders?status={}&dates_are_gmt=true", statuses.join(","));
    if let Some(since) = cursor.since_woo(flows.overlap_minutes) {
        route.push_str(&format!("&modified_after={since}"));
    }
    let mut orders = Vec::new();
    woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &route, |o| orders.push(o))?;
    let mut report = Report::default();
    let mut rates = Rates::default();
    for (i, order) in orders.iter().enumerate() {
        ctx.progress.step("orders", i as u64 + 1, orders.len() as u64);
        let outcome = one(ctx, order, &mut rates)?;
        let modified = order["date_modified_gmt"].as_str().unwrap_or_default();
        match outcome {
            // A failed order is read again next time, whatever else moved on.
            Outcome::Failed(_) => cursor.hold(modified),
            _ => cursor.saw(modified),
        }
        report.add(format!("order {}", order["id"]), outcome);
    }
    if !ctx.dry_run {
        cursor.save(ctx.kv)?;
    }
    Ok(report)
}

/// One order, whichever way it arrived (poll or webhook).
pub fn one(ctx: &Ctx, order: &Value, rates: &mut Rates) -> Result<Outcome, SyncError> {
    let id = order["id"].as_u64().unwrap_or(0);
    let status = order["status"].as_str().unwrap_or_default();
    let link = match links::load(ctx.kv, id)? {
        Some(link) => Some(link),
        None if is_pending(ctx.kv, &links::order_key(id))? => adopt(ctx, id)?,
        None => None,
    };
    match link {
        Some(link) => order_follow_up::run(ctx, order, link),
        None if !ctx.settings.flows.order_statuses.iter().any(|s| s == status) => {
            Ok(skipped(ctx.dry_run, format!("status {status} is not among flows.order-statuses")))
        }
        None => create(ctx, order, rates),
    }
}

/// The order is not in Fortnox: said on the order itself too, once per reason.
fn refused(ctx: &Ctx, id: u64, why: String) -> Result<Outcome, SyncError> {
    let text = format!(
        "woonox could not send this order to Fortnox: {why}. Correct this in WooCommerce or Fortnox as the reason \
         says; woonox tries the order again at every sync until it goes through."
    );
    // A refused note changes nothing for the order; the run's report has the reason too.
    let _ = order_notes::add_once(ctx, id, "refused", &text)?;
    Ok(Outcome::Failed(why))
}

/// Decides the whole order before the first write: an order Fortnox would refuse (a VAT
/// rate it lacks, totals that do not meet) leaves nothing behind, not even its customer.
fn create(ctx: &Ctx, order: &Value, rates: &mut Rates) -> Result<Outcome, SyncError> {
    let id = order["id"].as_u64().unwrap_or(0);
    let settings = match rates.settings_for(ctx, order)? {
        Ok(s) => s,
        Err(why) => return refused(ctx, id, why),
    };
    let mut mapped = match map_order(&order.to_string(), None, &settings) {
        Ok(m) => m,
        Err(e) => return refused(ctx, id, e.to_string()),
    };
    let kind = settings.order.document;
    let customer = match customers::resolve(ctx, order)? {
        Ok(c) => c,
        Err(why) => return refused(ctx, id, why),
    };
    if let Some(number) = Some(customer.number()).filter(|n| !n.is_empty()) {
        mapped.body[wrapper(kind)]["CustomerNumber"] = Value::from(number);
    }
    if ctx.dry_run {
        return Ok(Outcome::Created);
    }
    let key = links::order_key(id);
    mark_pending(ctx.kv, &key)?;
    let answer = api::write(ctx.net, Service::Fortnox, "POST", &ctx.fortnox(path(kind)), Some(&mapped.body))?;
    let document = match answer {
        Ok(answer) => answer[wrapper(kind)].clone(),
        Err(why) => {
            clear_pending(ctx.kv, &key)?;
            return refused(ctx, id, why);
        }
    };
    let link = link_to(kind, &document);
    links::save(ctx.kv, id, &link)?;
    clear_pending(ctx.kv, &key)?;
    let target = target(&link);
    match order_follow_up::run(ctx, order, link)? {
        Outcome::Failed(why) => Ok(Outcome::Failed(format!("created in Fortnox, but then: {why}"))),
        _ => Ok(Outcome::Made(target)),
    }
}

/// "Fortnox invoice 17" or "Fortnox order 17": what the status page links to.
fn target(link: &links::OrderLink) -> String {
    match (&link.invoice, &link.order) {
        (Some(invoice), _) => format!("Fortnox invoice {invoice}"),
        (None, Some(order)) => format!("Fortnox order {order}"),
        (None, None) => String::new(),
    }
}

fn path(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Order => "orders",
        DocumentKind::Invoice => "invoices",
    }
}

fn wrapper(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Order => "Order",
        DocumentKind::Invoice => "Invoice",
    }
}

fn link_to(kind: DocumentKind, document: &Value) -> OrderLink {
    let number = document["DocumentNumber"].as_str().map(str::to_owned);
    match kind {
        DocumentKind::Order => OrderLink { order: number, ..OrderLink::default() },
        DocumentKind::Invoice => OrderLink { invoice: number, ..OrderLink::default() },
    }
}

/// After a create whose answer was lost: the document carrying this order's reference,
/// if Fortnox has it (compared exactly; the search is by substring).
fn adopt(ctx: &Ctx, id: u64) -> Result<Option<OrderLink>, SyncError> {
    let kind = ctx.settings.order.document;
    let reference = external_reference(&ctx.settings.store_id, id);
    let url = ctx.fortnox(&format!("{}?externalinvoicereference1={}", path(kind), encode(&reference)));
    let list = api::get(ctx.net, Service::Fortnox, &url)?.unwrap_or_default();
    let key = if kind == DocumentKind::Order { "Orders" } else { "Invoices" };
    let found =
        list[key].as_array().into_iter().flatten().find(|d| d["ExternalInvoiceReference1"] == reference.as_str());
    let link = found.map(|d| link_to(kind, d));
    match &link {
        Some(link) => links::save(ctx.kv, id, link)?,
        None => clear_pending(ctx.kv, &links::order_key(id))?,
    }
    Ok(link)
}
