//! What follows once a WooCommerce order has its Fortnox document, each step done once
//! and recorded in the link: a note and meta on the WooCommerce order, cancelling when the
//! order is cancelled, and, by setting, invoicing the order, bookkeeping and registering
//! the payment.

use super::api::{self, Service};
use super::links::{self, OrderLink};
use super::report::Outcome;
use super::state::{clear_pending, is_pending, mark_pending};
use super::{Ctx, SyncError, order_notes};
use crate::lenient::decimal_of;
use crate::map::fortnox_number;
use rust_decimal::Decimal;
use serde_json::{Value, json};

type Step = fn(&Ctx, &Value, &mut OrderLink) -> Result<Result<(), String>, SyncError>;

pub fn run(ctx: &Ctx, order: &Value, mut link: OrderLink) -> Result<Outcome, SyncError> {
    let id = order["id"].as_u64().unwrap_or(0);
    let before = link.clone();
    let steps: [Step; 5] = [cancel, note_order, create_invoice, bookkeep, pay];
    for step in steps {
        let was = link.clone();
        let result = step(ctx, order, &mut link)?;
        if link != was && !ctx.dry_run {
            links::save(ctx.kv, id, &link)?;
        }
        if let Err(why) = result {
            return Ok(Outcome::Failed(why));
        }
    }
    Ok(if link == before { Outcome::Unchanged } else { Outcome::Updated })
}

/// A cancelled WooCommerce order cancels its unbooked Fortnox document.
fn cancel(ctx: &Ctx, order: &Value, link: &mut OrderLink) -> Result<Result<(), String>, SyncError> {
    if order["status"] != "cancelled" || link.cancelled {
        return Ok(Ok(()));
    }
    let path = match (&link.invoice, &link.order) {
        (Some(invoice), _) => format!("invoices/{invoice}/cancel"),
        (None, Some(order)) => format!("orders/{order}/cancel"),
        (None, None) => return Ok(Ok(())),
    };
    if !ctx.dry_run
        && let Err(why) = api::write(ctx.net, Service::Fortnox, "PUT", &ctx.fortnox(&path), None)?
    {
        return Ok(Err(format!(
            "the order is cancelled in WooCommerce but its Fortnox document could not be cancelled ({why}); if it is \
             booked, refund the order in WooCommerce so that woonox credits it"
        )));
    }
    link.cancelled = true;
    Ok(Ok(()))
}

fn note_order(ctx: &Ctx, order: &Value, link: &mut OrderLink) -> Result<Result<(), String>, SyncError> {
    if link.cancelled {
        return Ok(Ok(()));
    }
    match (&link.order, &link.invoice) {
        (Some(number), _) if !link.order_noted => {
            let done = note(ctx, order, "order", number)?;
            link.order_noted = done.is_ok();
            Ok(done)
        }
        (None, Some(number)) if !link.invoice_noted => {
            let done = note(ctx, order, "invoice", number)?;
            link.invoice_noted = done.is_ok();
            Ok(done)
        }
        _ => Ok(Ok(())),
    }
}

/// Records a Fortnox number on the WooCommerce order: meta `_fortnox_<what>_number` and a
/// private note. A pending marker keeps a lost note answer from adding a second note.
pub fn note(ctx: &Ctx, order: &Value, what: &str, number: &str) -> Result<Result<(), String>, SyncError> {
    if ctx.dry_run {
        return Ok(Ok(()));
    }
    let id = order["id"].as_u64().unwrap_or(0);
    let text = format!("Fortnox {what} {number} (woonox).");
    let meta = json!({ "meta_data": [{ "key": format!("_fortnox_{what}_number"), "value": number }] });
    if let Err(why) = api::write(ctx.net, Service::Woo, "PUT", &ctx.woo(&format!("orders/{id}")), Some(&meta))? {
        return Ok(Err(why));
    }
    order_notes::add_once(ctx, id, what, &text)
}

/// At the configured status, the Fortnox order becomes an invoice.
fn create_invoice(ctx: &Ctx, order: &Value, link: &mut OrderLink) -> Result<Result<(), String>, SyncError> {
    let at = ctx.settings.flows.invoice_at_status.as_deref();
    let Some(number) = link.order.clone() else { return Ok(Ok(())) };
    if link.cancelled || link.invoice.is_some() || at.is_none() || order["status"].as_str() != at {
        return Ok(Ok(()));
    }
    if ctx.dry_run {
        link.invoice = Some(String::new());
        return Ok(Ok(()));
    }
    let id = order["id"].as_u64().unwrap_or(0);
    let pending = format!("invoice:{id}");
    let order_url = ctx.fortnox(&format!("orders/{number}"));
    let answer = if is_pending(ctx.kv, &pending)? {
        Ok(api::get(ctx.net, Service::Fortnox, &order_url)?.unwrap_or_default())
    } else {
        mark_pending(ctx.kv, &pending)?;
        api::write(ctx.net, Service::Fortnox, "PUT", &format!("{order_url}/createinvoice"), None)?
    };
    let answer = match answer {
        Ok(a) => a,
        Err(why) => {
            clear_pending(ctx.kv, &pending)?;
            return Ok(Err(format!("Fortnox order {number} could not be invoiced: {why}")));
        }
    };
    // The answer is documented as an Invoice but arrives as the Order with its reference.
    let invoice = crate::model::fortnox::reference(answer["Order"]["InvoiceReference"].as_str().unwrap_or_default())
        .or(answer["Invoice"]["DocumentNumber"].as_str())
        .map(str::to_owned);
    clear_pending(ctx.kv, &pending)?;
    link.invoice = invoice;
    if link.invoice.is_none() {
        return Ok(Err(format!("Fortnox order {number} is not invoiced yet; the next run tries again")));
    }
    let done = note(ctx, order, "invoice", link.invoice.as_deref().unwrap_or_default())?;
    link.invoice_noted = done.is_ok();
    Ok(done)
}

fn bookkeep(ctx: &Ctx, _: &Value, link: &mut OrderLink) -> Result<Result<(), String>, SyncError> {
    let Some(invoice) = link.invoice.clone().filter(|_| ctx.settings.flows.bookkeep && !link.booked) else {
        return Ok(Ok(()));
    };
    if link.cancelled {
        return Ok(Ok(()));
    }
    if !ctx.dry_run {
        let url = ctx.fortnox(&format!("invoices/{invoice}/bookkeep"));
        if let Err(why) = api::write(ctx.net, Service::Fortnox, "PUT", &url, None)? {
            return Ok(Err(format!("Fortnox invoice {invoice} could not be bookkept: {why}")));
        }
    }
    link.booked = true;
    Ok(Ok(()))
}

/// Registers the payment of a paid order whose payment method has a Fortnox mode of
/// payment. The invoice's balance is read first: a payment whose answer was lost shows
/// there, so it is never registered twice.
fn pay(ctx: &Ctx, order: &Value, link: &mut OrderLink) -> Result<Result<(), String>, SyncError> {
    let method = order["payment_method"].as_str().unwrap_or_default();
    let mode = ctx.settings.flows.payment_mode(method);
    let paid_at = order["date_paid_gmt"].as_str().or(order["date_paid"].as_str()).filter(|d| d.len() >= 10);
    let (Some(invoice), Some(mode), Some(paid_at)) = (link.invoice.clone(), mode, paid_at) else {
        return Ok(Ok(()));
    };
    if link.paid || link.cancelled {
        return Ok(Ok(()));
    }
    if ctx.dry_run {
        link.paid = true;
        return Ok(Ok(()));
    }
    let url = ctx.fortnox(&format!("invoices/{invoice}"));
    let current = api::get(ctx.net, Service::Fortnox, &url)?.unwrap_or_default();
    let current = &current["Invoice"];
    let balance = decimal_of(&current["Balance"]).unwrap_or_default();
    if balance.is_zero() {
        link.paid = true;
        return Ok(Ok(()));
    }
    let rate = decimal_of(&current["CurrencyRate"]).filter(|r| *r > Decimal::ZERO).unwrap_or(Decimal::ONE);
    let invoice_date = current["InvoiceDate"].as_str().unwrap_or_default();
    let date = std::cmp::max(&paid_at[..10], invoice_date);
    let payment = json!({ "InvoicePayment": {
        "InvoiceNumber": invoice.parse::<u64>().unwrap_or(0),
        "Amount": fortnox_number((balance * rate).round_dp(2)), "AmountCurrency": fortnox_number(balance),
        "CurrencyRate": fortnox_number(rate),
        "PaymentDate": date, "ModeOfPayment": mode.mode, "ModeOfPaymentAccount": mode.account,
    }});
    let result = api::write(ctx.net, Service::Fortnox, "POST", &ctx.fortnox("invoicepayments"), Some(&payment))?;
    if let Err(why) = result {
        return Ok(Err(format!("the payment could not be registered on Fortnox invoice {invoice}: {why}")));
    }
    link.paid = true;
    Ok(Ok(()))
}
