//! WooCommerce webhook deliveries as the store sends them: the JSON body signed with
//! base64(HMAC-SHA256(secret, raw body)), the `X-WC-Webhook-*` headers, and the unsigned
//! form-encoded ping a store sends when a webhook is created.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use std::time::Duration;

pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub struct Delivery<'a> {
    pub delivery_url: &'a str,
    pub secret: &'a str,
    pub webhook_id: u64,
    /// e.g. "order.updated"
    pub topic: &'a str,
    pub body: &'a serde_json::Value,
    /// The store's home URL, sent as `X-WC-Webhook-Source` (with a trailing slash).
    pub source: &'a str,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Sends one signed delivery (blocking) and answers the HTTP status the receiver gave.
pub fn deliver(d: &Delivery<'_>) -> Result<u16, String> {
    let body = d.body.to_string();
    let (resource, event) = d.topic.split_once('.').unwrap_or((d.topic, ""));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let delivery_id = signature(&d.webhook_id.to_string(), now.to_string().as_bytes());
    let response = agent()
        .post(d.delivery_url)
        .header("Content-Type", "application/json")
        .header("User-Agent", "WooCommerce/10.0.2 Hookshot (WordPress/6.8.2)")
        .header("X-WC-Webhook-Source", format!("{}/", d.source.trim_end_matches('/')))
        .header("X-WC-Webhook-Topic", d.topic)
        .header("X-WC-Webhook-Resource", resource)
        .header("X-WC-Webhook-Event", event)
        .header("X-WC-Webhook-Signature", signature(d.secret, body.as_bytes()))
        .header("X-WC-Webhook-ID", d.webhook_id.to_string())
        .header("X-WC-Webhook-Delivery-ID", delivery_id)
        .send(body)
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

/// The ping on creation: form body `webhook_id=N`, no signature, success only on 200.
pub fn ping(delivery_url: &str, webhook_id: u64) -> Result<u16, String> {
    let response = agent()
        .post(delivery_url)
        .send_form([("webhook_id", webhook_id.to_string().as_str())])
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector in the project's WooCommerce notes.
    #[test]
    fn signature_matches_the_documented_vector() {
        assert_eq!(
            signature("s3cr3t-webhook-key", br#"{"id":727,"status":"processing"}"#),
            "OGpXZYHA4fOSexQEq3fSCEdUL5ouHYjpe0Cj5HiHwNE="
        );
    }

    #[test]
    fn a_delivery_carries_the_signed_body_and_the_headers() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hooks/woocommerce/shop", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut stream, _) = listener.accept().unwrap();
            let mut buf = vec![0; 8192];
            let mut got = Vec::new();
            while !String::from_utf8_lossy(&got).contains("\"status\":\"processing\"}") {
                let n = stream.read(&mut buf).unwrap();
                got.extend_from_slice(&buf[..n]);
            }
            stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").unwrap();
            String::from_utf8(got).unwrap()
        });
        let body = serde_json::json!({ "id": 727, "status": "processing" });
        let d = Delivery {
            delivery_url: &url,
            secret: "s3cr3t-webhook-key",
            webhook_id: 9,
            topic: "order.updated",
            body: &body,
            source: "http://shop",
        };
        assert_eq!(deliver(&d), Ok(200));
        let request = server.join().unwrap().to_ascii_lowercase();
        assert!(
            request.contains(
                "x-wc-webhook-signature: ogpxzyha4fosexqeq3fsceduL5ouhyjpe0cj5hihwne=".to_ascii_lowercase().as_str()
            ),
            "{request}"
        );
        assert!(request.contains("x-wc-webhook-topic: order.updated"));
        assert!(request.contains("x-wc-webhook-source: http://shop/"));
    }
}
