//! `POST /hooks/woocommerce/<connection>`: WooCommerce's webhook deliveries. The body's
//! base64 HMAC-SHA256 under the connection's webhook secret must match
//! `X-WC-Webhook-Signature` (compared in constant time), or nothing is queued and the
//! answer is 401. A delivery id seen before is acknowledged and not queued again. The
//! answer is 200 only once the job is committed to the state file.

use super::Shared;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Serialize, Deserialize)]
pub struct WebhookSecret {
    pub secret: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `signature` is base64(HMAC-SHA256(secret, body)); constant time in the MAC.
pub fn signed(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(claimed) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&claimed).is_ok()
}

pub async fn woocommerce(
    State(shared): State<Arc<Shared>>,
    Path(connection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let Some(worker) = shared.connections.get(&connection) else {
        return (StatusCode::NOT_FOUND, "no such connection\n");
    };
    let form = header(&headers, "content-type").is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form && body.starts_with(b"webhook_id=") {
        // The ping WooCommerce sends when a webhook is created: it only needs a 200.
        return (StatusCode::OK, "pong\n");
    }
    let secret = worker.secrets.read::<WebhookSecret>(&connection, crate::state::secrets::WEBHOOK);
    let Ok(Some(secret)) = secret else {
        return (
            StatusCode::UNAUTHORIZED,
            "no webhook secret for this connection: run woonox connect woocommerce --webhook-url\n",
        );
    };
    let Some(signature) = header(&headers, "x-wc-webhook-signature") else {
        return (StatusCode::UNAUTHORIZED, "missing X-WC-Webhook-Signature\n");
    };
    if !signed(&secret.secret, &body, signature) {
        return (StatusCode::UNAUTHORIZED, "bad signature\n");
    }
    let topic = header(&headers, "x-wc-webhook-topic").unwrap_or_default();
    let delivery = header(&headers, "x-wc-webhook-delivery-id");
    let trigger = match trigger(&body) {
        Ok(trigger) => trigger,
        Err(why) => {
            return match shared.store.enqueue_dead(&connection, topic, &why, delivery) {
                // Acknowledged: delivering it again would not make it usable.
                Ok(()) => (StatusCode::OK, "not usable; kept with the dead letters\n"),
                Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "not recorded; deliver again\n"),
            };
        }
    };
    match shared.store.enqueue_event(&connection, topic, &trigger, delivery) {
        Ok(_) => {
            worker.wake.notify_one();
            (StatusCode::OK, "queued\n")
        }
        Err(e) => {
            tracing::error!(connection, "cannot queue a webhook: {e:#}");
            (StatusCode::SERVICE_UNAVAILABLE, "not queued; deliver again\n")
        }
    }
}

/// What the job keeps of a delivery: the object's id alone. The object is read from the
/// store when the job runs, so the job holds no personal data and a replayed old state
/// is never acted on.
fn trigger(body: &[u8]) -> Result<String, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the delivery is not JSON ({e})"))?;
    let id = value["id"].as_u64().ok_or("the delivery names no id")?;
    Ok(serde_json::json!({ "id": id }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_signature_of_the_exact_body_passes() {
        let body = br#"{"id":1042}"#;
        let good = woonox_sim::webhooks::signature("s3cret", body);
        assert!(signed("s3cret", body, &good));
        assert!(!signed("other", body, &good));
        assert!(!signed("s3cret", br#"{"id":1043}"#, &good));
        assert!(!signed("s3cret", body, "not base64!"));
        assert!(!signed("s3cret", body, ""));
    }

    #[test]
    fn a_job_keeps_the_id_and_nothing_else() {
        let order = br#"{"id":1042,"billing":{"first_name":"Karin","email":"karin@example.se"}}"#;
        assert_eq!(trigger(order), Ok(r#"{"id":1042}"#.to_owned()));
        assert!(trigger(b"not json").unwrap_err().contains("not JSON"));
        assert!(trigger(br#"{"name":"x"}"#).unwrap_err().contains("no id"));
    }
}
