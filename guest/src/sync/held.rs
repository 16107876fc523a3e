//! Items a service refused in a way trying again cannot fix (WooCommerce will not refund
//! an order that is already refunded). Such an item is said once, then waits: the flow
//! leaves it alone until the merchant retries it (the host forgets the hold) or dismisses
//! it. The host lists the holds (`held:` keys) on the status page, in `check` and in the
//! exit code.

use super::state;
use super::{Ctx, SyncError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Held {
    pub flow: String,
    pub item: String,
    /// What happened and what to do, in the merchant's words.
    pub reason: String,
    /// The merchant has seen it and wants it left alone.
    pub dismissed: bool,
}

pub const PREFIX: &str = "held:";

fn key(flow: &str, item: &str) -> String {
    format!("{PREFIX}{flow}:{item}")
}

pub fn get(ctx: &Ctx, flow: &str, item: &str) -> Result<Option<Held>, SyncError> {
    state::load(ctx.kv, &key(flow, item))
}

/// Holds `item` with `reason`; a dry run holds nothing.
pub fn hold(ctx: &Ctx, flow: &str, item: &str, reason: &str) -> Result<(), SyncError> {
    if ctx.dry_run {
        return Ok(());
    }
    let held = Held { flow: flow.into(), item: item.into(), reason: reason.into(), dismissed: false };
    state::save(ctx.kv, &key(flow, item), &held)
}
