//! WooCommerce customers, variations and webhooks in the stand-in.

use crate::woo_order_writes::WooRefusal;
use crate::woo_text::stored_name;
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
    /// The administrator (user 1) and buyers 1 to 5 of the seeded orders as customers
    /// 2 to 6. A company buyer's organisation number is in its orders' meta only.
    pub fn seeded() -> Extra {
        let mut customers = vec![administrator()];
        customers.extend((1..=5).map(customer));
        Extra { customers, ..Extra::default() }
    }

    /// `POST /webhooks`: the topic must be known; the secret is never echoed back.
    pub fn create_webhook(&mut self, body: &Value, home: &str) -> Result<Value, WooRefusal> {
        check_topic(body["topic"].as_str().unwrap_or_default())?;
        check_webhook(body)?;
        let Some(url) = body["delivery_url"].as_str() else { return Err(invalid_param("delivery_url")) };
        self.next_webhook += 1;
        let hook = json!({ "id": self.next_webhook, "name": body["name"], "status": body.get("status").cloned().unwrap_or(json!("active")),
                           "topic": body["topic"], "delivery_url": url, "secret": body["secret"], "failure_count": 0,
                           "date_created_gmt": crate::woo_order_writes::now_gmt() });
        self.webhooks.push(hook.clone());
        Ok(public(&hook, home))
    }

    pub fn webhook(&self, id: u64, home: &str) -> Result<Value, WooRefusal> {
        self.webhooks.iter().find(|h| h["id"] == id).map(|h| public(h, home)).ok_or_else(invalid_id)
    }

    /// `PUT /webhooks/{id}`: what is given is checked as on creation, then replaces what was.
    pub fn update_webhook(&mut self, id: u64, body: &Value, home: &str) -> Result<Value, WooRefusal> {
        check_webhook(body)?;
        let hook = self.webhooks.iter_mut().find(|h| h["id"] == id).ok_or_else(invalid_id)?;
        for key in ["status", "name", "delivery_url", "secret", "topic"] {
            if let Some(v) = body.get(key) {
                hook[key] = v.clone();
            }
        }
        Ok(public(hook, home))
    }

    /// `DELETE /webhooks/{id}?force=true`: answers the webhook as it was.
    pub fn delete_webhook(&mut self, id: u64, force: bool, home: &str) -> Result<Value, WooRefusal> {
        if !force {
            let message = "Webhooks do not support trashing.".to_owned();
            return Err((501, "woocommerce_rest_trash_not_supported", message, json!({ "status": 501 })));
        }
        let at = self.webhooks.iter().position(|h| h["id"] == id).ok_or_else(invalid_id)?;
        Ok(public(&self.webhooks.remove(at), home))
    }

    pub fn list_webhooks(&self, home: &str) -> Vec<Value> {
        self.webhooks.iter().map(|h| public(h, home)).collect()
    }
}

/// The fields a create or an update may carry, checked as the real API checks them:
/// a known topic (exchange 66), an http(s) delivery URL, a known status.
fn check_webhook(body: &Value) -> Result<(), WooRefusal> {
    if let Some(topic) = body.get("topic") {
        check_topic(topic.as_str().unwrap_or_default())?;
    }
    if body.get("delivery_url").is_some_and(|u| !u.as_str().is_some_and(|u| u.starts_with("http"))) {
        return Err(invalid_param("delivery_url"));
    }
    if body.get("status").is_some_and(|s| !["active", "paused", "disabled"].contains(&s.as_str().unwrap_or_default())) {
        return Err(invalid_param("status"));
    }
    Ok(())
}

/// As exchange 66 shows it.
fn check_topic(topic: &str) -> Result<(), WooRefusal> {
    let valid = topic.split_once('.').is_some_and(|(r, e)| TOPICS.contains(&r) && EVENTS.contains(&e))
        || topic.starts_with("action.woocommerce_")
        || topic.starts_with("action.wc_");
    if !valid {
        let message = "Webhook topic is required and must be valid.".to_owned();
        return Err((400, "woocommerce_rest_shop_webhook_invalid_topic", message, json!({ "status": 400 })));
    }
    Ok(())
}

fn invalid_param(name: &str) -> WooRefusal {
    (400, "rest_invalid_param", format!("Invalid parameter(s): {name}"), json!({ "status": 400 }))
}

fn invalid_id() -> WooRefusal {
    (404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.".to_owned(), json!({ "status": 404 }))
}

/// As exchange 85 shows it: listed only with `role=all`, every billing and shipping field
/// an empty string.
fn administrator() -> Value {
    let empty = |with_email: bool| {
        let mut a = json!({ "first_name": "", "last_name": "", "company": "", "address_1": "", "address_2": "",
                            "city": "", "postcode": "", "country": "", "state": "", "phone": "" });
        if with_email {
            a["email"] = json!("");
        }
        a
    };
    json!({ "id": 1, "email": "admin@example.se", "first_name": "", "last_name": "", "role": "administrator",
            "username": "admin", "billing": empty(true), "shipping": empty(false), "meta_data": [] })
}

/// Buyer `k` of the seeded orders as a registered customer. The account's own names come
/// back escaped (`Fika &amp; Co`); its billing fields as typed (exchange 85).
fn customer(k: usize) -> Value {
    let b = crate::seed::buyer(k);
    let email = format!("kund{k}@example.se");
    json!({ "id": k + 1, "email": email, "first_name": stored_name(&b.first_name), "last_name": stored_name(&b.last_name),
            "role": "customer", "username": format!("kund{k}"),
            "billing": { "first_name": b.first_name, "last_name": b.last_name, "company": b.company,
                         "address_1": "Sveavägen 10", "city": "Stockholm", "postcode": "113 50", "country": "SE",
                         "email": email },
            "shipping": {}, "meta_data": [] })
}

/// A webhook as the API shows it (exchanges 64, 65): never its secret; its topic split
/// into resource and event, the action it hangs on, and its dates.
fn public(hook: &Value, home: &str) -> Value {
    let id = hook["id"].as_u64().unwrap_or(0);
    let topic = hook["topic"].as_str().unwrap_or_default();
    let (resource, event) = topic.split_once('.').unwrap_or((topic, ""));
    let action = match (resource, event) {
        ("order", "created") => "woocommerce_new_order".to_owned(),
        ("action", action) => action.to_owned(),
        (r, e) => format!("woocommerce_{e}_{r}"),
    };
    let created = hook["date_created_gmt"].as_str().unwrap_or("2026-11-26T17:56:29");
    json!({ "id": id, "name": hook["name"], "status": hook["status"], "topic": topic, "resource": resource,
            "event": event, "hooks": [action], "delivery_url": hook["delivery_url"],
            "date_created": local_time(created), "date_created_gmt": created,
            "date_modified": null, "date_modified_gmt": null,
            "_links": { "self": [{ "href": format!("{home}/wp-json/wc/v3/webhooks/{id}"),
                                   "targetHints": { "allow": ["GET", "POST", "PUT", "PATCH", "DELETE"] } }],
                        "collection": [{ "href": format!("{home}/wp-json/wc/v3/webhooks") }] } })
}

/// The store's local time (Stockholm, UTC+1 in winter) for a GMT one.
pub fn local_time(gmt: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(gmt, "%Y-%m-%dT%H:%M:%S")
        .map(|t| (t + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_else(|_| gmt.to_owned())
}
