//! A credit invoice for a WooCommerce refund, linked to the invoice it credits the way
//! Fortnox links its own credits.
//!
//! - The first credit of a booked invoice is made by Fortnox itself
//!   (`PUT /3/invoices/{n}/credit`: a full negative copy, linked both ways, at the
//!   original's currency rate); its rows are then replaced by the refunded lines, and it
//!   gets the refund's reference (`ExternalInvoiceReference2`), date and remark.
//! - A later credit of the same invoice (Fortnox keeps one `CreditInvoiceReference` per
//!   invoice), or a credit of an invoice not yet booked (Fortnox credits only booked
//!   invoices), is posted as a new invoice of the refunded lines (negative quantities)
//!   that names the original in its first row and its remark, at the original's currency
//!   rate. `CreditInvoiceReference` is read-only in a body (Fortnox's docs), so the link
//!   is in the text, as BjornTech's plugin does it.
//!
//! Every step is recorded before the next, so a lost answer or a crash never makes a
//! second credit: `refund-credit:<refund id>` holds the credit Fortnox made until its rows
//! are replaced, and a pending marker makes a rerun search by the refund's reference first.
//! While a refund is being credited, `crediting:<order id>` tells the credit-notes flow
//! that the order's newest credit is woonox's own, not one to bring back.

use super::api::{self, Service, encode};
use super::refunds_flow::{RefundLink, refund_key, refund_reference};
use super::report::Outcome;
use super::state::{self, clear_pending, is_pending, mark_pending};
use super::{Ctx, SyncError};
use crate::map::refund::map_refund;
use crate::model::fortnox::reference;
use serde_json::{Map, Value, json};

/// The marker the credit-notes flow checks for an order whose refund is being credited.
pub fn crediting_key(order_id: u64) -> String {
    format!("crediting:{order_id}")
}

/// Credits `refund` of `order` against `original` (the Fortnox invoice as read now).
pub fn credit(ctx: &Ctx, order: &Value, refund: &Value, original: &Value) -> Result<Outcome, SyncError> {
    let refund_id = refund["id"].as_u64().unwrap_or(0);
    let key = refund_key(refund_id);
    let reference = refund_reference(&ctx.settings.store_id, refund_id);
    let recovering = is_pending(ctx.kv, &key)?;
    if recovering && let Some(number) = find_credit(ctx, &reference)? {
        return credited(ctx, order, refund_id, number);
    }
    let mapped =
        match map_refund(&refund.to_string(), &order.to_string(), original["CustomerNumber"].as_str(), ctx.settings) {
            Ok(m) => m,
            Err(e) => return Ok(Outcome::Failed(e.to_string())),
        };
    if ctx.dry_run {
        return Ok(Outcome::Created);
    }
    let order_id = order["id"].as_u64().unwrap_or(0);
    let fields = credit_fields(ctx, mapped.body, original, refund_id);
    mark_pending(ctx.kv, &key)?;
    mark_pending(ctx.kv, &crediting_key(order_id))?;
    let made = match fortnox_credit(ctx, original, refund_id, recovering)? {
        Ok(Some(credit)) => replace_rows(ctx, &credit, fields)?,
        Ok(None) => post_linked(ctx, original, fields)?,
        Err(why) => Err(why),
    };
    match made {
        Ok(number) => credited(ctx, order, refund_id, number),
        Err(why) => {
            // A credit Fortnox made stays recorded, so the next run finishes it.
            if ctx.kv.get(&progress_key(refund_id))?.is_none() {
                clear_pending(ctx.kv, &key)?;
                clear_pending(ctx.kv, &crediting_key(order_id))?;
            }
            Ok(Outcome::Failed(why))
        }
    }
}

fn progress_key(refund_id: u64) -> String {
    format!("refund-credit:{refund_id}")
}

/// The credit's own fields: the refunded rows (map_refund already stamps the order's
/// `ExternalInvoiceReference1`), the refund's reference, the remark and, for a
/// foreign currency, the original's rate (a credit reverses the sale at its own rate).
fn credit_fields(ctx: &Ctx, body: Value, original: &Value, refund_id: u64) -> Map<String, Value> {
    let mut fields = body["Invoice"].as_object().cloned().unwrap_or_default();
    let number = original["DocumentNumber"].as_str().unwrap_or_default();
    let store = &ctx.settings.store_id;
    fields.insert("ExternalInvoiceReference2".into(), json!(refund_reference(store, refund_id)));
    fields
        .insert("Remarks".into(), json!(format!("Kredit av faktura {number} (WooCommerce-återbetalning {refund_id})")));
    for key in ["Currency", "CurrencyRate", "CurrencyUnit"] {
        match original.get(key).filter(|v| !v.is_null()) {
            Some(value) => fields.insert(key.into(), value.clone()),
            None => fields.remove(key),
        };
    }
    fields
}

/// The credit invoice Fortnox makes (or made) for this refund with `/credit`, when that
/// is the way: the original is booked and not yet credited, or this refund already
/// started one. `None`: post a linked credit instead.
fn fortnox_credit(
    ctx: &Ctx,
    original: &Value,
    refund_id: u64,
    recovering: bool,
) -> Result<Result<Option<String>, String>, SyncError> {
    if let Some(credit) = ctx.kv.get(&progress_key(refund_id))? {
        return Ok(Ok(Some(credit)));
    }
    let existing = reference(original["CreditInvoiceReference"].as_str().unwrap_or_default()).map(str::to_owned);
    if let Some(existing) = existing {
        // After a lost `/credit` answer the original names the credit, still unclaimed.
        let adopt = recovering && unclaimed(ctx, &existing)?;
        return Ok(Ok(if adopt { Some(remember(ctx, refund_id, existing)?) } else { None }));
    }
    if original["Booked"] != true {
        return Ok(Ok(None));
    }
    let number = original["DocumentNumber"].as_str().unwrap_or_default();
    let url = ctx.fortnox(&format!("invoices/{number}/credit"));
    if let Err(why) = api::write(ctx.net, Service::Fortnox, "PUT", &url, None)? {
        return Ok(Err(format!("Fortnox could not credit invoice {number}: {why}")));
    }
    // The answer is documented as the updated original; read it again to be sure.
    let now = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("invoices/{number}")))?.unwrap_or_default();
    match reference(now["Invoice"]["CreditInvoiceReference"].as_str().unwrap_or_default()) {
        Some(credit) => Ok(Ok(Some(remember(ctx, refund_id, credit.to_owned())?))),
        None => Err(SyncError::Interrupted(format!(
            "Fortnox credited invoice {number} but names no credit invoice; run it again"
        ))),
    }
}

fn remember(ctx: &Ctx, refund_id: u64, credit: String) -> Result<String, SyncError> {
    ctx.kv.set(&progress_key(refund_id), &credit)?;
    Ok(credit)
}

/// A credit nobody has taken for a refund yet: it carries no refund reference.
fn unclaimed(ctx: &Ctx, credit: &str) -> Result<bool, SyncError> {
    let found = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("invoices/{credit}")))?.unwrap_or_default();
    Ok(found["Invoice"]["ExternalInvoiceReference2"].as_str().is_none_or(str::is_empty))
}

/// Replaces the full copy's rows with the refunded lines (a partial credit), with the
/// refund's reference, date and remark. Idempotent, so a rerun may send it again.
fn replace_rows(ctx: &Ctx, credit: &str, fields: Map<String, Value>) -> Result<Result<String, String>, SyncError> {
    let url = ctx.fortnox(&format!("invoices/{credit}"));
    let answer = api::write(ctx.net, Service::Fortnox, "PUT", &url, Some(&json!({ "Invoice": fields })))?;
    Ok(answer.map(|_| credit.to_owned()).map_err(|why| {
        format!("Fortnox made credit invoice {credit} but refused its rows ({why}); woonox tries again next run")
    }))
}

/// A new credit invoice of the refunded lines, naming the invoice it credits in its text.
fn post_linked(
    ctx: &Ctx,
    original: &Value,
    mut fields: Map<String, Value>,
) -> Result<Result<String, String>, SyncError> {
    let number = original["DocumentNumber"].as_str().unwrap_or_default();
    let rows = fields.entry("InvoiceRows").or_insert_with(|| json!([]));
    if let Some(rows) = rows.as_array_mut() {
        rows.insert(0, json!({ "Description": format!("Kreditering av faktura {number}"), "DeliveredQuantity": 0 }));
    }
    let answer =
        api::write(ctx.net, Service::Fortnox, "POST", &ctx.fortnox("invoices"), Some(&json!({ "Invoice": fields })))?;
    Ok(answer
        .map(|a| a["Invoice"]["DocumentNumber"].as_str().unwrap_or_default().to_owned())
        .map_err(|why| format!("the credit invoice was refused: {why}")))
}

/// Finishes the credit and names it for the report.
fn credited(ctx: &Ctx, order: &Value, refund_id: u64, number: String) -> Result<Outcome, SyncError> {
    let target = format!("Fortnox credit invoice {number}");
    finish(ctx, order, refund_id, number).map(|_| Outcome::Made(target))
}

fn finish(ctx: &Ctx, order: &Value, refund_id: u64, number: String) -> Result<(), SyncError> {
    let key = refund_key(refund_id);
    state::save(ctx.kv, &key, &RefundLink { credit_invoice: Some(number), ..RefundLink::default() })?;
    ctx.kv.delete(&progress_key(refund_id))?;
    clear_pending(ctx.kv, &key)?;
    clear_pending(ctx.kv, &crediting_key(order["id"].as_u64().unwrap_or(0)))
}

/// The credit invoice carrying this refund's reference, compared exactly.
fn find_credit(ctx: &Ctx, reference: &str) -> Result<Option<String>, SyncError> {
    let url = ctx.fortnox(&format!("invoices?externalinvoicereference2={}", encode(reference)));
    let list = api::get(ctx.net, Service::Fortnox, &url)?.unwrap_or_default();
    let found = list["Invoices"].as_array().into_iter().flatten().find(|i| i["ExternalInvoiceReference2"] == reference);
    Ok(found.and_then(|i| i["DocumentNumber"].as_str()).map(str::to_owned))
}
