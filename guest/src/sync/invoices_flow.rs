//! The invoices flow, Fortnox → WooCommerce: each invoice of a linked order is recorded on
//! the order (meta and a note), and once it is fully paid the order moves to the paid
//! status, if one is set. Every step is recorded in the order's link and done once.

use super::links::{self, OrderLink};
use super::order_follow_up::note;
use super::our_invoices::{self, Listing, OurInvoice, ReadMark};
use super::report::{Outcome, Report, skipped};
use super::{Ctx, SyncError, api, api::Service};
use crate::lenient::decimal_of;
use serde_json::json;

pub const FLOW: &str = "invoices";

pub fn run(ctx: &Ctx) -> Result<Report, SyncError> {
    let mark = ReadMark::load(ctx, FLOW)?;
    let listing = our_invoices::read(ctx, &[&mark])?;
    run_over(ctx, mark, &listing)
}

/// Handles the invoices of a read (the credit invoices are the credit-notes flow's), then
/// moves the flow's cursor.
pub fn run_over(ctx: &Ctx, mark: ReadMark, listing: &Listing) -> Result<Report, SyncError> {
    let invoices: Vec<&OurInvoice> = listing.invoices.iter().filter(|i| !i.is_credit()).collect();
    let mut report = Report::default();
    for (i, invoice) in invoices.iter().enumerate() {
        ctx.progress.step(FLOW, i as u64 + 1, invoices.len() as u64);
        consider(ctx, invoice, &mut report)?;
    }
    mark.advance(ctx, listing, report.failed.is_empty())?;
    Ok(report)
}

/// One invoice of a linked order, as a read or a Fortnox event brings it.
pub fn consider(ctx: &Ctx, invoice: &OurInvoice, report: &mut Report) -> Result<(), SyncError> {
    let outcome = match links::load(ctx.kv, invoice.order_id)? {
        None => skipped(ctx.dry_run, "not an invoice of an order woonox sent"),
        Some(link) => one(ctx, invoice, link)?,
    };
    report.add(format!("invoice {}", invoice.number()), outcome);
    Ok(())
}

fn one(ctx: &Ctx, invoice: &OurInvoice, mut link: OrderLink) -> Result<Outcome, SyncError> {
    let number = invoice.number().to_owned();
    let before = link.clone();
    // An invoice made in Fortnox from the linked order joins the link.
    if link.invoice.is_none() {
        link.invoice = Some(number.clone());
    }
    if link.invoice.as_deref() != Some(&number) {
        return Ok(skipped(ctx.dry_run, "the order is linked to another invoice"));
    }
    let order = json!({ "id": invoice.order_id });
    if !link.invoice_noted {
        if let Err(why) = note(ctx, &order, "invoice", &number)? {
            return Ok(Outcome::Failed(why));
        }
        link.invoice_noted = true;
    }
    if let Some(status) = ctx.settings.flows.paid_status.as_deref()
        && !link.paid_status_set
        && paid(invoice)
    {
        if !ctx.dry_run {
            let url = ctx.woo(&format!("orders/{}", invoice.order_id));
            if let Err(why) = api::write(ctx.net, Service::Woo, "PUT", &url, Some(&json!({ "status": status })))? {
                return Ok(Outcome::Failed(why));
            }
        }
        link.paid_status_set = true;
    }
    if link == before {
        return Ok(Outcome::Unchanged);
    }
    if !ctx.dry_run {
        links::save(ctx.kv, invoice.order_id, &link)?;
    }
    Ok(Outcome::Updated)
}

/// Fully paid: `FinalPayDate` set, or nothing left to pay (and not cancelled).
fn paid(invoice: &OurInvoice) -> bool {
    let item = &invoice.list_item;
    let final_pay_date = item["FinalPayDate"].as_str().is_some_and(|d| d.trim().len() == 10);
    let balance_zero = decimal_of(&item["Balance"]).is_some_and(|b| b.is_zero());
    item["Cancelled"] != true && (final_pay_date || balance_zero)
}
