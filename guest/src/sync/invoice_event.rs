//! A Fortnox `invoices` topic event: an invoice changed, or a payment of one was made. The
//! event names only the entity, so the invoice is read (through the payment, for a payment
//! event) and, when it belongs to one of this store's orders, goes the way the invoices
//! or credit-notes flow would take it: the same links and markers, so done once. It moves
//! no cursor: the poll stays the source of truth.

use super::api::{self, Service, encode};
use super::links::order_id_of;
use super::our_invoices::OurInvoice;
use super::report::Report;
use super::{Ctx, SyncError, credit_notes_flow, invoices_flow};
use serde_json::Value;

/// `topic` is "invoice.updated" (body `{"invoice": "<number>"}`) or
/// "invoicepayment.updated" (body `{"payment": "<number>"}`).
pub fn handle(ctx: &Ctx, topic: &str, body: &str) -> Result<Report, SyncError> {
    let mut report = Report::default();
    let asked: Value = serde_json::from_str(body).unwrap_or_default();
    let number = match topic {
        "invoicepayment.updated" => match text(&asked["payment"]) {
            Some(payment) => invoice_of_payment(ctx, &payment)?,
            None => None,
        },
        _ => text(&asked["invoice"]),
    };
    let Some(number) = number else {
        report.skip(format!("{topic} event"), "it names no invoice Fortnox still has");
        return Ok(report);
    };
    let Some(found) = api::get(ctx.net, Service::Fortnox, &ctx.fortnox(&format!("invoices/{}", encode(&number))))?
    else {
        report.skip(format!("invoice {number}"), "Fortnox no longer has it");
        return Ok(report);
    };
    let invoice = found["Invoice"].clone();
    let reference = invoice["ExternalInvoiceReference1"].as_str().unwrap_or_default();
    let Some(order_id) = order_id_of(reference, &ctx.settings.store_id) else {
        report.skip(format!("invoice {number}"), "not an invoice of this store's orders");
        return Ok(report);
    };
    let ours = OurInvoice { order_id, list_item: invoice };
    match ours.is_credit() {
        true => credit_notes_flow::consider(ctx, &ours, &mut report)?,
        false => invoices_flow::consider(ctx, &ours, &mut report)?,
    }
    Ok(report)
}

/// The invoice a payment paid, if Fortnox still has the payment.
fn invoice_of_payment(ctx: &Ctx, payment: &str) -> Result<Option<String>, SyncError> {
    let url = ctx.fortnox(&format!("invoicepayments/{}", encode(payment)));
    Ok(api::get(ctx.net, Service::Fortnox, &url)?.and_then(|p| text(&p["InvoicePayment"]["InvoiceNumber"])))
}

/// A number Fortnox sends as a string or as a number.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
