//! The credit-notes flow, Fortnox → WooCommerce: a Fortnox credit invoice of a linked
//! order becomes a WooCommerce refund (`api_refund: false`: the money moved outside the
//! gateway) with its amount and lines, exactly once. Credit invoices woonox made from
//! WooCommerce refunds are not sent back.

use super::api::{self, Service};
use super::credit_invoice::crediting_key;
use super::our_invoices::{self, OurInvoice};
use super::refunds_flow::{RefundLink, refund_key};
use super::report::{Outcome, Report};
use super::state::{self, clear_pending, is_pending, mark_pending};
use super::{Ctx, SyncError};
use crate::lenient::decimal_of;
use crate::map::refund::FROM_FORTNOX;
use crate::map::woo_money;
use rust_decimal::Decimal;
use serde_json::{Value, json};

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let credits: Vec<OurInvoice> = our_invoices::list(ctx)?.into_iter().filter(OurInvoice::is_credit).collect();
    let mut report = Report::default();
    for (i, credit) in credits.iter().enumerate() {
        ctx.progress.step("credit-notes", i as u64 + 1, credits.len() as u64);
        let item = format!("credit invoice {}", credit.number());
        let ours = credit.list_item["ExternalInvoiceReference2"].as_str().is_some_and(|r| r.starts_with("woonox:"));
        // A credit woonox is still making for a refund has no reference yet: leave it.
        let in_making = is_pending(ctx.kv, &crediting_key(credit.order_id))?;
        let outcome = if ours || in_making { Outcome::Skipped } else { one(ctx, credit)? };
        report.add(item, outcome);
    }
    Ok(report)
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
        return remember(ctx, &key, refund_id).map(|_| Outcome::Created);
    }
    if ctx.dry_run {
        return Ok(Outcome::Created);
    }
    let url = ctx.fortnox(&format!("invoices/{}", credit.number()));
    let full = api::get(ctx.net, Service::Fortnox, &url)?.unwrap_or_default();
    let order = api::get(ctx.net, Service::Woo, &ctx.woo(&format!("orders/{order_id}")))?.unwrap_or_default();
    let amount = decimal_of(&credit.list_item["Total"]).unwrap_or_default().abs();
    let body = json!({ "amount": woo_money(amount), "reason": reason, "api_refund": false,
                       "line_items": refund_lines(&full["Invoice"], &order) });
    mark_pending(ctx.kv, &key)?;
    let answer =
        api::write(ctx.net, Service::Woo, "POST", &ctx.woo(&format!("orders/{order_id}/refunds")), Some(&body))?;
    match answer {
        Ok(refund) => remember(ctx, &key, refund["id"].as_u64().unwrap_or(0)).map(|_| Outcome::Created),
        Err(why) => {
            clear_pending(ctx.kv, &key)?;
            Ok(Outcome::Failed(format!(
                "WooCommerce order {order_id} could not be refunded {amount} ({why}); if the order was already refunded \
                 in WooCommerce, nothing more is needed"
            )))
        }
    }
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
    Ok(refunds.as_array().into_iter().flatten().find(|r| r["reason"] == reason).and_then(|r| r["id"].as_u64()))
}

/// The credited article rows as refund lines of the order's matching lines (by SKU),
/// amounts without VAT plus the VAT per the line's tax rate. The refund's amount is the
/// credit's total regardless; the lines record what was returned.
fn refund_lines(credit: &Value, order: &Value) -> Vec<Value> {
    let included = credit["VATIncluded"] == true;
    let rows = credit["InvoiceRows"].as_array().cloned().unwrap_or_default();
    let lines = order["line_items"].as_array().cloned().unwrap_or_default();
    rows.iter()
        .filter_map(|row| {
            let sku = row["ArticleNumber"].as_str()?;
            let line = lines.iter().find(|l| l["sku"] == sku)?;
            let quantity = decimal_of(&row["DeliveredQuantity"])?.abs();
            let gross = (quantity * decimal_of(&row["Price"])?).round_dp(2);
            let rate = decimal_of(&row["VAT"]).unwrap_or_default() / Decimal::ONE_HUNDRED;
            let net = if included { (gross / (Decimal::ONE + rate)).round_dp(2) } else { gross };
            let tax = if included { gross - net } else { (net * rate).round_dp(2) };
            let tax_id = line["taxes"].as_array().and_then(|t| t.first()).map(|t| t["id"].clone());
            let refund_tax: Vec<Value> =
                tax_id.map(|id| json!({ "id": id, "refund_total": woo_money(tax) })).into_iter().collect();
            Some(json!({ "id": line["id"], "quantity": quantity.trunc().to_string().parse::<i64>().unwrap_or(0),
                         "refund_total": woo_money(net), "refund_tax": refund_tax }))
        })
        .collect()
}
