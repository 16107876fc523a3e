//! The credit-notes flow, Fortnox → WooCommerce: a Fortnox credit invoice of a linked
//! order becomes a WooCommerce refund (`api_refund: false`: the money moved outside the
//! gateway) with its amount and lines, exactly once. Credit invoices woonox made from
//! WooCommerce refunds are not sent back. A credit WooCommerce refuses is said once, with
//! a note on the order, and then waits for the merchant (see [`held`]).

use super::api::{self, Service};
use super::credit_invoice::crediting_key;
use super::our_invoices::{self, Listing, OurInvoice, ReadMark};
use super::refunds_flow::{RefundLink, refund_key};
use super::report::{Outcome, Report, skipped};
use super::state::{self, clear_pending, is_pending, mark_pending};
use super::{Ctx, SyncError, held, order_notes};

pub const FLOW: &str = "credit-notes";
use crate::lenient::decimal_of;
use crate::map::credit_refund::refund_lines;
use crate::map::refund::FROM_FORTNOX;
use crate::map::woo_money;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let mark = ReadMark::load(ctx, FLOW)?;
    let listing = our_invoices::read(ctx, &[&mark])?;
    run_over(ctx, mark, &listing)
}

/// Handles the credit invoices of a read, then moves the flow's cursor.
pub fn run_over(ctx: &Ctx, mark: ReadMark, listing: &Listing) -> Result<Report, SyncError> {
    let credits: Vec<&OurInvoice> = listing.invoices.iter().filter(|i| i.is_credit()).collect();
    let mut report = Report::default();
    for (i, credit) in credits.iter().enumerate() {
        ctx.progress.step(FLOW, i as u64 + 1, credits.len() as u64);
        consider(ctx, credit, &mut report)?;
    }
    mark.advance(ctx, listing, report.failed.is_empty())?;
    Ok(report)
}

/// One credit invoice of a linked order, as a read or a Fortnox event brings it.
pub fn consider(ctx: &Ctx, credit: &OurInvoice, report: &mut Report) -> Result<(), SyncError> {
    let item = format!("credit invoice {}", credit.number());
    let ours = credit.list_item["ExternalInvoiceReference2"].as_str().is_some_and(|r| r.starts_with("woonox:"));
    // A credit woonox is still making for a refund has no reference yet: leave it.
    let in_making = is_pending(ctx.kv, &crediting_key(credit.order_id))?;
    match held::get(ctx, FLOW, &item)? {
        Some(h) if h.dismissed => report.add(item, Outcome::Unchanged),
        Some(h) => report.skip(item, format!("waits for you: {}", h.reason)),
        None if ours => report.add(item, skipped(ctx.dry_run, "woonox made it from a WooCommerce refund")),
        None if in_making => report.add(item, skipped(ctx.dry_run, "its WooCommerce refund is being credited now")),
        None => {
            let outcome = one(ctx, credit)?;
            report.add(item, outcome)
        }
    }
    Ok(())
}

fn one(ctx: &Ctx, credit: &OurInvoice) -> Result<Outcome, SyncError> {
    let key = format!("credit:{}", credit.number());
    if ctx.kv.get(&key)?.is_some() {
        return Ok(Outcome::Unchanged);
    }
    let reason = format!("{FROM_FORTNOX} {} (woonox)", credit.number());
    let order_id = credit.order_id;
    if is_pending(ctx.kv, &key)?
        && let Some(refund_id) = find_refund(ctx, order_id, &reason)?
    {
        return remember(ctx, &key, refund_id).map(|_| Outcome::Made(format!("refund {refund_id}")));
    }
    if ctx.dry_run {
        return Ok(Outcome::Created);
    }
    let url = ctx.fortnox(&format!("invoices/{}", credit.number()));
    let full = api::get(ctx.net, Service::Fortnox, &url)?.unwrap_or_default();
    let order = api::get(ctx.net, Service::Woo, &ctx.woo(&format!("orders/{order_id}")))?.unwrap_or_default();
    let amount = decimal_of(&credit.list_item["Total"]).unwrap_or_default().abs();
    let body = refund_body(ctx, &full["Invoice"], &order, amount, &reason);
    mark_pending(ctx.kv, &key)?;
    let answer =
        api::write(ctx.net, Service::Woo, "POST", &ctx.woo(&format!("orders/{order_id}/refunds")), Some(&body))?;
    match answer {
        Ok(refund) => {
            let refund_id = refund["id"].as_u64().unwrap_or(0);
            remember(ctx, &key, refund_id).map(|_| Outcome::Made(format!("refund {refund_id}")))
        }
        Err(why) => {
            clear_pending(ctx.kv, &key)?;
            refused(ctx, credit, amount, &why)
        }
    }
}

/// Said once: held until the merchant retries or dismisses it, and noted on the order.
fn refused(ctx: &Ctx, credit: &OurInvoice, amount: Decimal, why: &str) -> Result<Outcome, SyncError> {
    let (number, order_id) = (credit.number(), credit.order_id);
    let reason = format!(
        "WooCommerce would not refund {amount} on order {order_id} for Fortnox credit invoice {number} ({why}). If the \
         order is already refunded in WooCommerce, dismiss this; otherwise correct the refund or the credit, then \
         retry (status page, or woonox sync credit-notes --retry-failed)"
    );
    let note = format!(
        "woonox could not record Fortnox credit invoice {number} ({amount}) as a refund here: {why}. If this order \
         was already refunded in WooCommerce, nothing more is needed; otherwise refund it by hand or correct the \
         credit in Fortnox and retry in woonox."
    );
    held::hold(ctx, FLOW, &format!("credit invoice {number}"), &reason)?;
    // The note is a courtesy: the hold already keeps the reason.
    let _ = order_notes::add_once(ctx, order_id, &format!("credit-{number}"), &note)?;
    Ok(Outcome::Failed(reason))
}

/// Links both ways: the credit to its refund, and the refund as one the refunds flow
/// must not send back.
fn remember(ctx: &Ctx, key: &str, refund_id: u64) -> Result<(), SyncError> {
    let number = key.trim_start_matches("credit:").to_owned();
    ctx.kv.set(key, &refund_id.to_string())?;
    let link = RefundLink { from_fortnox: Some(number), ..RefundLink::default() };
    state::save(ctx.kv, &refund_key(refund_id), &link)?;
    clear_pending(ctx.kv, key)
}

fn find_refund(ctx: &Ctx, order_id: u64, reason: &str) -> Result<Option<u64>, SyncError> {
    let refunds = api::get(ctx.net, Service::Woo, &ctx.woo(&format!("orders/{order_id}/refunds")))?;
    let refunds = refunds.unwrap_or_default();
    Ok(refunds
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["reason"].as_str().is_some_and(|r| r.starts_with(reason)))
        .and_then(|r| r["id"].as_u64()))
}

/// The refund: the credit's amount, and its rows as the order's lines (items, shipping and
/// fees) when they all find their line; otherwise the amount alone, saying why in the
/// reason. WooCommerce restocks refunded items unless told not to, and Fortnox owns stock.
fn refund_body(ctx: &Ctx, credit: &Value, order: &Value, amount: Decimal, reason: &str) -> Value {
    let (lines, reason) = match refund_lines(credit, order, ctx.settings, amount) {
        Ok(lines) => (lines, reason.to_owned()),
        Err(why) => (Vec::new(), format!("{reason}; amount only, {why}")),
    };
    json!({ "amount": woo_money(amount), "reason": reason, "api_refund": false,
            "api_restock": ctx.settings.flows.restock_credited_items, "line_items": lines })
}
