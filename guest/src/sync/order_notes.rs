//! Private notes on WooCommerce orders, where the merchant looks: each distinct text once.
//! The last text written per order and topic is remembered, and a pending marker keeps a
//! lost answer from adding the same note twice.

use super::api::{self, Service};
use super::state::{clear_pending, is_pending, mark_pending};
use super::{Ctx, SyncError};
use serde_json::json;

/// Adds `text` as a private note on order `id` unless the last note on `topic` said the
/// same. A dry run writes nothing.
pub fn add_once(ctx: &Ctx, id: u64, topic: &str, text: &str) -> Result<Result<(), String>, SyncError> {
    let key = format!("note:{id}:{topic}");
    if ctx.dry_run || ctx.kv.get(&key)?.as_deref() == Some(text) {
        return Ok(Ok(()));
    }
    if is_pending(ctx.kv, &key)? && has_note(ctx, id, text)? {
        return done(ctx, &key, text).map(Ok);
    }
    mark_pending(ctx.kv, &key)?;
    let body = json!({ "note": text, "customer_note": false });
    match api::write(ctx.net, Service::Woo, "POST", &ctx.woo(&format!("orders/{id}/notes")), Some(&body))? {
        Ok(_) => done(ctx, &key, text).map(Ok),
        Err(why) => {
            clear_pending(ctx.kv, &key)?;
            Ok(Err(why))
        }
    }
}

fn done(ctx: &Ctx, key: &str, text: &str) -> Result<(), SyncError> {
    ctx.kv.set(key, text)?;
    clear_pending(ctx.kv, key)
}

fn has_note(ctx: &Ctx, id: u64, text: &str) -> Result<bool, SyncError> {
    let notes = api::get(ctx.net, Service::Woo, &ctx.woo(&format!("orders/{id}/notes")))?.unwrap_or_default();
    Ok(notes.as_array().into_iter().flatten().any(|n| n["note"] == text))
}
