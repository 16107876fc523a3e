//! WooCommerce customers, variations and webhooks in the stand-in.

use crate::woo_order_writes::WooRefusal;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Extra {
    pub customers: Vec<Value>,
    pub webhooks: Vec<Value>,
    next_webhook: u64,
}

const TOPICS: [&str; 4] = ["order", "product", "customer", "coupon"];
const EVENTS: [&str; 4] = ["created", "updated", "deleted", "restored"];

impl Extra {
    pub fn seeded() -> Extra {
        let customers = (1..=5)
            .map(|i| {
                json!({ "id": i, "email": format!("kund{i}@example.se"), "first_name": "Kund", "last_name": format!("Nummer {i}"),
                        "billing": { "first_name": "Kund", "last_name": format!("Nummer {i}"), "country": "SE", "email": format!("kund{i}@example.se") },
                        "shipping": {}, "meta_data": [] })
            })
            .collect();
        Extra { customers, ..Extra::default() }
    }

    /// `POST /webhooks`: the topic must be known; the secret is never echoed back.
    pub fn create_webhook(&mut self, body: &Value) -> Result<Value, WooRefusal> {
        let topic = body["topic"].as_str().unwrap_or_default();
        let valid = topic.split_once('.').is_some_and(|(r, e)| TOPICS.contains(&r) && EVENTS.contains(&e))
            || topic.starts_with("action.woocommerce_")
            || topic.starts_with("action.wc_");
        if !valid {
            return Err((
                400,
                "woocommerce_rest_webhook_invalid_topic",
                "Webhook topic is invalid.".into(),
                json!({ "status": 400 }),
            ));
        }
        let Some(url) = body["delivery_url"].as_str().filter(|u| u.starts_with("http")) else {
            return Err((
                400,
                "rest_invalid_param",
                "Invalid parameter(s): delivery_url".into(),
                json!({ "status": 400 }),
            ));
        };
        self.next_webhook += 1;
        let hook = json!({ "id": self.next_webhook, "name": body["name"], "status": body.get("status").cloned().unwrap_or(json!("active")),
                           "topic": topic, "delivery_url": url, "secret": body["secret"], "failure_count": 0 });
        self.webhooks.push(hook.clone());
        Ok(public(&hook))
    }

    pub fn update_webhook(&mut self, id: u64, body: &Value) -> Result<Value, WooRefusal> {
        let hook = self.webhooks.iter_mut().find(|h| h["id"] == id).ok_or_else(|| {
            (404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.".to_owned(), json!({ "status": 404 }))
        })?;
        for key in ["status", "name", "delivery_url", "secret", "topic"] {
            if let Some(v) = body.get(key) {
                hook[key] = v.clone();
            }
        }
        Ok(public(hook))
    }

    pub fn list_webhooks(&self) -> Vec<Value> {
        self.webhooks.iter().map(public).collect()
    }
}

/// The API never returns a webhook's secret.
fn public(hook: &Value) -> Value {
    let mut h = hook.clone();
    if let Some(o) = h.as_object_mut() {
        o.remove("secret");
    }
    h
}
