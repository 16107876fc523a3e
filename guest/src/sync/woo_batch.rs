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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::transport::{Response, TransportError};
    use std::cell::RefCell;

    /// A store that refuses every item whose SKU is already taken, and counts its calls.
    struct Store {
        taken: &'static str,
        calls: RefCell<Vec<usize>>,
    }

    impl Transport for Store {
        fn send(&self, request: &Request) -> Result<Response, TransportError> {
            let body: Value = serde_json::from_slice(request.body.as_deref().unwrap()).unwrap();
            let items = body["create"].as_array().unwrap();
            self.calls.borrow_mut().push(items.len());
            let answered: Vec<Value> = items
                .iter()
                .enumerate()
                .map(|(i, item)| match item["sku"] == self.taken {
                    true => json!({ "id": 0, "error": { "code": "product_invalid_sku",
                        "message": "Invalid or duplicated SKU.", "data": { "status": 400 } } }),
                    false => json!({ "id": 1000 + i, "sku": item["sku"] }),
                })
                .collect();
            Ok(Response { status: 200, headers: vec![], body: json!({ "create": answered }).to_string().into_bytes() })
        }
    }

    #[test]
    fn a_refused_item_fails_alone_in_its_place_and_chunks_hold_a_hundred() {
        let store = Store { taken: "SKU-150", calls: RefCell::new(Vec::new()) };
        let items: Vec<Value> = (0..250).map(|i| json!({ "sku": format!("SKU-{i}") })).collect();
        let results = send(&store, "https://shop.example", "products/batch", "create", &items).unwrap();
        assert_eq!(*store.calls.borrow(), vec![100, 100, 50]);
        assert_eq!(results.len(), 250);
        let failed: Vec<usize> = results.iter().enumerate().filter(|(_, r)| r.is_err()).map(|(i, _)| i).collect();
        assert_eq!(failed, vec![150]);
        let why = results[150].as_ref().unwrap_err();
        assert!(why.contains("Invalid or duplicated SKU") && why.contains("product_invalid_sku"), "{why}");
        assert_eq!(results[151].as_ref().unwrap()["sku"], "SKU-151");
    }
}
