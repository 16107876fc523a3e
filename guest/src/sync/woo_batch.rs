//! WooCommerce batch writes: at most 100 items a call; HTTP 200 even when items fail, each
//! failed item in its place with an `error` object.

use super::error::{SyncError, WooError};
use super::transport::{Request, Transport};
use serde_json::{Value, json};

pub const BATCH_LIMIT: usize = 100;

/// Sends `updates` to `route` (e.g. "products/batch") in chunks; answers, per item, the
/// error WooCommerce gave it, if any, in the same order.
pub fn update(
    transport: &dyn Transport,
    home: &str,
    route: &str,
    updates: &[Value],
) -> Result<Vec<Option<String>>, SyncError> {
    Ok(send(transport, home, route, "update", updates)?.into_iter().map(Result::err).collect())
}

/// Like [`update`] with `op` "create" or "update"; answers each item as WooCommerce
/// returned it, or why it was refused.
pub fn send(
    transport: &dyn Transport,
    home: &str,
    route: &str,
    op: &str,
    items: &[Value],
) -> Result<Vec<Result<Value, String>>, SyncError> {
    let mut outcome = Vec::with_capacity(items.len());
    for chunk in items.chunks(BATCH_LIMIT) {
        let url = format!("{}/wp-json/wc/v3/{route}", home.trim_end_matches('/'));
        let request = Request {
            method: "POST",
            url,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("accept".into(), "application/json".into()),
            ],
            body: Some(json!({ op: chunk }).to_string().into_bytes()),
        };
        let response = transport.send(&request).map_err(|e| SyncError::from_transport("WooCommerce", e))?;
        if response.status != 200 {
            return Err(SyncError::woo(response.status, &response.text()));
        }
        let answer: Value = serde_json::from_slice(&response.body).map_err(|e| {
            SyncError::Interrupted(format!("WooCommerce answered a batch with something that is not JSON: {e}"))
        })?;
        let answered = answer[op].as_array().cloned().unwrap_or_default();
        for i in 0..chunk.len() {
            let item = answered.get(i).cloned().unwrap_or(Value::Null);
            outcome.push(match item.get("error") {
                Some(e) => {
                    let parsed = WooError::parse(400, &e.to_string());
                    Err(format!("WooCommerce refused it: {} ({})", parsed.message.trim_end_matches('.'), parsed.code))
                }
                None => Ok(item),
            });
        }
    }
    Ok(outcome)
}
