//! The Fortnox invoices that belong to this store's WooCommerce orders: those whose
//! `ExternalInvoiceReference1` is a woonox reference of this store (the search is by
//! substring, so every hit is parsed exactly).

use super::links::order_id_of;
use super::{Ctx, SyncError, fortnox_client};
use crate::lenient::decimal_of;
use serde_json::Value;

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

pub fn list(ctx: &Ctx) -> Result<Vec<OurInvoice>, SyncError> {
    let prefix = format!("woonox:{}:", ctx.settings.store_id);
    let resource = format!("invoices?externalinvoicereference1={}", super::api::encode(&prefix));
    let mut found = Vec::new();
    fortnox_client::for_each(ctx.net, &ctx.endpoints.fortnox, &resource, "Invoices", "documentnumber", |item| {
        let reference = item["ExternalInvoiceReference1"].as_str().unwrap_or_default();
        if let Some(order_id) = order_id_of(reference, &ctx.settings.store_id) {
            found.push(OurInvoice { order_id, list_item: item });
        }
    })?;
    Ok(found)
}
