//! The link between a WooCommerce order and its Fortnox documents, with the follow-up
//! steps already done, so that a rerun repeats none of them.

use super::SyncError;
use super::state::{self, Kv};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderLink {
    /// The Fortnox order, when the document kind is an order.
    pub order: Option<String>,
    /// The Fortnox invoice: created directly, or later from the order.
    pub invoice: Option<String>,
    pub order_noted: bool,
    pub invoice_noted: bool,
    pub cancelled: bool,
    pub booked: bool,
    pub paid: bool,
    /// The WooCommerce status was set to the paid status.
    pub paid_status_set: bool,
}

pub fn order_key(order_id: u64) -> String {
    format!("order:{order_id}")
}

pub fn load(kv: &dyn Kv, order_id: u64) -> Result<Option<OrderLink>, SyncError> {
    state::load(kv, &order_key(order_id))
}

pub fn save(kv: &dyn Kv, order_id: u64, link: &OrderLink) -> Result<(), SyncError> {
    state::save(kv, &order_key(order_id), link)
}

/// The WooCommerce order id in a woonox external reference of this store, if it is one.
pub fn order_id_of(reference: &str, store_id: &str) -> Option<u64> {
    reference.strip_prefix(&format!("woonox:{store_id}:"))?.parse().ok()
}
