//! Registering woonox's webhooks in the store, idempotently: a topic that already points
//! at woonox's address is kept (re-enabled if WooCommerce disabled it after failed
//! deliveries, and given the current secret), a missing one is created. A second run
//! changes nothing and never makes a duplicate.

use crate::connect::woo_call;
use crate::connection::{Paths, WooKeys, woo_service};
use crate::secrets;
use crate::serve::webhooks::WebhookSecret;
use anyhow::{Result, bail};
use serde_json::{Value, json};

/// The topics the flows act on.
pub const TOPICS: [&str; 2] = ["order.created", "order.updated"];

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Registered {
    pub created: usize,
    pub reenabled: usize,
    pub unchanged: usize,
}

/// `public_base` is where `woonox serve` is reachable from the store, e.g.
/// "https://woonox.example"; deliveries go to `<public_base>/hooks/woocommerce/<name>`.
pub fn register(paths: &Paths, name: &str, store_url: &str, keys: WooKeys, public_base: &str) -> Result<Registered> {
    let service = woo_service(store_url, keys)?;
    let secret = match secrets::read_json::<WebhookSecret>(&paths.webhook_secret(name))? {
        Some(existing) => existing.secret,
        None => {
            let fresh = format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>());
            secrets::write_json(&paths.webhook_secret(name), &WebhookSecret { secret: fresh.clone() })?;
            fresh
        }
    };
    let delivery_url = format!("{}/hooks/woocommerce/{name}", public_base.trim_end_matches('/'));
    let api = format!("{}/wp-json/wc/v3/webhooks", store_url.trim_end_matches('/'));
    let (status, body) = woo_call(&service, "GET", &format!("{api}?per_page=100"), None)?;
    if status != 200 {
        bail!("{}", woonox_guest::sync::error::SyncError::woo(status, &body));
    }
    let existing: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
    let mut done = Registered::default();
    for topic in TOPICS {
        let ours = existing.iter().find(|h| h["topic"] == topic && h["delivery_url"] == delivery_url.as_str());
        let (method, url, body) = match ours {
            Some(hook) if hook["status"] == "active" => {
                done.unchanged += 1;
                continue;
            }
            Some(hook) => {
                done.reenabled += 1;
                ("PUT", format!("{api}/{}", hook["id"]), json!({ "status": "active", "secret": secret }))
            }
            None => {
                done.created += 1;
                let body = json!({ "name": format!("woonox {topic}"), "topic": topic, "delivery_url": delivery_url,
                                   "secret": secret, "status": "active" });
                ("POST", api.clone(), body)
            }
        };
        let (status, answer) = woo_call(&service, method, &url, Some(&body))?;
        if !(200..300).contains(&status) {
            bail!("{}", woonox_guest::sync::error::SyncError::woo(status, &answer));
        }
    }
    Ok(done)
}
