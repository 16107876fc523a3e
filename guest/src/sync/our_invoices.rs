//! The Fortnox invoices that belong to this store's WooCommerce orders: those whose
//! `ExternalInvoiceReference1` is a woonox reference of this store (the search is by
//! substring, so every hit is parsed exactly). Each flow that reads them keeps a
//! `lastmodified` cursor, so a run reads only what changed; two flows in one run share a
//! read (see [`read`]).

use super::cursor::{Cursor, http_date, parse_time};
use super::links::order_id_of;
use super::{Ctx, SyncError, fortnox_client};
use crate::lenient::decimal_of;
use serde_json::Value;

/// A read older than this is made whole again, in case a change did not move an invoice's
/// `lastmodified` (not documented either way for payments: ASSUMPTIONS.md).
const FULL_READ_EVERY_HOURS: i64 = 24;

pub struct OurInvoice {
    pub order_id: u64,
    pub list_item: Value,
}

impl OurInvoice {
    pub fn number(&self) -> &str {
        self.list_item["DocumentNumber"].as_str().unwrap_or_default()
    }

    /// A credit invoice comes to less than zero (the list item has no `Credit` field).
    pub fn is_credit(&self) -> bool {
        decimal_of(&self.list_item["Total"]).is_some_and(|t| t.is_sign_negative() && !t.is_zero())
    }
}

/// What a read found, and when it began by Fortnox's clock.
pub struct Listing {
    pub invoices: Vec<OurInvoice>,
    pub started: Option<String>,
}

/// Where a flow's last read of the invoices ended.
pub struct ReadMark {
    flow: &'static str,
    cursor: Cursor,
    /// This read must be whole: the first, or the last whole one is a day old.
    whole: bool,
}

impl ReadMark {
    pub fn load(ctx: &Ctx, flow: &'static str) -> Result<ReadMark, SyncError> {
        let cursor = Cursor::load(ctx.kv, flow)?;
        let last_whole = ctx.kv.get(&whole_key(flow))?.as_deref().and_then(parse_time);
        let whole = match (cursor.start(), last_whole) {
            (Some(start), Some(whole)) => start - whole > chrono::Duration::hours(FULL_READ_EVERY_HOURS),
            _ => true,
        };
        Ok(ReadMark { flow, cursor, whole })
    }

    fn since(&self, ctx: &Ctx) -> Option<String> {
        if self.whole { None } else { self.cursor.since_fortnox(ctx.settings.flows.overlap_minutes) }
    }

    /// Moves the cursor to the read's start once every invoice it brought is handled (a
    /// failed one is read again next time); a dry run moves nothing.
    pub fn advance(mut self, ctx: &Ctx, listing: &Listing, handled_all: bool) -> Result<(), SyncError> {
        let Some(started) = listing.started.as_deref().filter(|_| handled_all && !ctx.dry_run) else {
            return Ok(());
        };
        self.cursor.saw(started);
        self.cursor.save(ctx.kv)?;
        if self.whole {
            ctx.kv.set(&whole_key(self.flow), started)?;
        }
        Ok(())
    }
}

/// When the flow last read every invoice; forgetting it makes the next read whole.
pub fn whole_key(flow: &str) -> String {
    format!("cursor:{flow}:whole")
}

/// One read for every mark: what changed since the earliest of them (everything when one
/// must be whole).
pub fn read(ctx: &Ctx, marks: &[&ReadMark]) -> Result<Listing, SyncError> {
    let since: Option<Vec<String>> = marks.iter().map(|m| m.since(ctx)).collect();
    let since = since.and_then(|all| all.into_iter().min());
    let prefix = format!("woonox:{}:", ctx.settings.store_id);
    let mut resource = format!("invoices?externalinvoicereference1={}", super::api::encode(&prefix));
    if let Some(since) = since {
        resource.push_str(&format!("&lastmodified={}", super::api::encode(&since)));
    }
    let mut invoices = Vec::new();
    let date =
        fortnox_client::for_each(ctx.net, &ctx.endpoints.fortnox, &resource, "Invoices", "documentnumber", |item| {
            let reference = item["ExternalInvoiceReference1"].as_str().unwrap_or_default();
            if let Some(order_id) = order_id_of(reference, &ctx.settings.store_id) {
                invoices.push(OurInvoice { order_id, list_item: item });
            }
        })?;
    Ok(Listing { invoices, started: date.and_then(|d| http_date(&d)) })
}
