//! Registering woonox's webhooks in the store, idempotently. woonox's own webhooks are
//! recognised by their name or by the connection their delivery URL names (WooCommerce
//! never shows a webhook's secret, so that cannot tell them apart). One per topic is kept:
//! moved to the current address, re-enabled if WooCommerce disabled it after failed
//! deliveries, and given the current secret; extra copies from earlier registrations are
//! deleted, so none is left failing until WooCommerce disables it. A missing one is
//! created; a second run changes nothing.

use crate::connections::connect::woo_call;
use crate::connections::connection::{Paths, WooKeys, woo_service};
use crate::serve::webhooks::WebhookSecret;
use crate::state::secrets::{Secrets, WEBHOOK};
use crate::wire::http_policy::Service;
use anyhow::{Result, bail};
use serde_json::{Value, json};
use std::sync::Arc;

/// The topics the flows act on (the doctor checks the same).
pub use woonox_guest::sync::doctor_webhooks::TOPICS;

/// Where `woonox serve` takes a connection's deliveries, below its public address.
const HOOKS_PATH: &str = "/hooks/woocommerce";

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Registered {
    /// Where the store now delivers.
    pub delivery_url: String,
    pub created: usize,
    /// Moved to the current address (or renamed).
    pub updated: usize,
    pub reenabled: usize,
    pub unchanged: usize,
    /// Extra copies of woonox's webhooks, deleted.
    pub removed: usize,
}

/// The delivery URL for connection `name` from what the user gave: the public base of
/// `woonox serve` ("https://woonox.example") or the full hook URL
/// ("https://woonox.example/hooks/woocommerce/<name>"). The path is never doubled.
pub fn delivery_url(given: &str, name: &str) -> Result<String> {
    let uri: http::Uri = given.trim().parse().map_err(|_| anyhow::anyhow!("--webhook-url {given:?} is not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none_or(str::is_empty) {
        bail!("--webhook-url needs http:// or https:// and a host, e.g. https://woonox.example (got {given:?})");
    }
    if uri.query().is_some() {
        bail!("--webhook-url takes no query string (got {given:?})");
    }
    let base = given.trim().trim_end_matches('/');
    match connection_named(base) {
        Some(other) if other == name => Ok(base.to_owned()),
        Some(other) => bail!(
            "--webhook-url {given:?} is the webhook address of connection {other:?}; for {name:?} give the base URL or one ending in {HOOKS_PATH}/{name}"
        ),
        None if base.ends_with(HOOKS_PATH) => Ok(format!("{base}/{name}")),
        None => Ok(format!("{base}{HOOKS_PATH}/{name}")),
    }
}

/// The connection a hook URL delivers to: what follows its last `/hooks/woocommerce/`.
fn connection_named(url: &str) -> Option<&str> {
    let (_, rest) = url.rsplit_once(&format!("{HOOKS_PATH}/"))?;
    Some(rest.trim_end_matches('/')).filter(|n| !n.is_empty() && !n.contains('/'))
}

fn hook_name(topic: &str, name: &str) -> String {
    format!("woonox {topic} ({name})")
}

/// woonox's own webhook for connection `name`: named so (or with the name woonox gave
/// before connections were named in it), or delivering to this connection's path.
fn is_ours(hook: &Value, topic: &str, name: &str) -> bool {
    let target = connection_named(hook["delivery_url"].as_str().unwrap_or_default());
    let hook_name_is = |n: &str| hook["name"] == n;
    let named = hook_name_is(&hook_name(topic, name))
        || (hook_name_is(&format!("woonox {topic}")) && target.is_none_or(|c| c == name));
    hook["topic"] == topic && (named || target == Some(name))
}

/// `webhook_url` is what the user gave (see [`delivery_url`]).
pub async fn register(
    paths: &Paths,
    name: &str,
    store_url: &str,
    keys: WooKeys,
    tls: &Arc<rustls::ClientConfig>,
    webhook_url: &str,
) -> Result<Registered> {
    let delivery_url = delivery_url(webhook_url, name)?;
    let reach = crate::connections::config::Config::load(&paths.config_file())?.connection(name)?.store_reach();
    let service = crate::wire::http_policy::Service { reach, ..woo_service(store_url, keys)? };
    let secret = secret(&Secrets::for_paths(paths)?, name)?;
    let api = format!("{}/wp-json/wc/v3/webhooks", store_url.trim_end_matches('/'));
    let existing = list(&service, tls, &api).await?;
    let mut done = Registered { delivery_url: delivery_url.clone(), ..Registered::default() };
    for topic in TOPICS {
        let mut ours: Vec<&Value> = existing.iter().filter(|h| is_ours(h, topic, name)).collect();
        // Keep the one already at the right address, active if possible.
        ours.sort_by_key(|h| (h["delivery_url"] != delivery_url.as_str(), h["status"] != "active"));
        let wanted = json!({ "name": hook_name(topic, name), "topic": topic, "delivery_url": delivery_url,
                             "secret": secret, "status": "active" });
        match ours.split_first() {
            None => {
                call(&service, tls, "POST", &api, Some(&wanted)).await?;
                done.created += 1;
            }
            Some((hook, extra)) => {
                let same = |k: &str| hook[k] == wanted[k];
                let counter = match (same("delivery_url") && same("name"), same("status")) {
                    (true, true) => &mut done.unchanged,
                    (true, false) => &mut done.reenabled,
                    (false, _) => &mut done.updated,
                };
                *counter += 1;
                if !(same("delivery_url") && same("name") && same("status")) {
                    call(&service, tls, "PUT", &format!("{api}/{}", hook["id"]), Some(&wanted)).await?;
                }
                for copy in extra {
                    call(&service, tls, "DELETE", &format!("{api}/{}?force=true", copy["id"]), None).await?;
                    done.removed += 1;
                }
            }
        }
    }
    Ok(done)
}

/// The secret deliveries are signed with, made once per connection.
fn secret(secrets: &Secrets, name: &str) -> Result<String> {
    if let Some(existing) = secrets.read::<WebhookSecret>(name, WEBHOOK)? {
        return Ok(existing.secret);
    }
    let fresh = format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>());
    secrets.write(name, WEBHOOK, &WebhookSecret { secret: fresh.clone() })?;
    Ok(fresh)
}

/// Every webhook in the store, page by page.
async fn list(service: &Service, tls: &Arc<rustls::ClientConfig>, api: &str) -> Result<Vec<Value>> {
    let mut all = Vec::new();
    for page in 1.. {
        let body = call(service, tls, "GET", &format!("{api}?per_page=100&page={page}"), None).await?;
        let hooks: Vec<Value> = serde_json::from_str(&body).unwrap_or_default();
        let last = hooks.len() < 100;
        all.extend(hooks);
        if last {
            break;
        }
    }
    Ok(all)
}

async fn call(
    service: &Service,
    tls: &Arc<rustls::ClientConfig>,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> Result<String> {
    let answer = woo_call(service, tls, method, url, body).await?;
    if !(200..300).contains(&answer.status) {
        bail!("{}", woonox_guest::sync::error::SyncError::woo(answer.status, &answer.body));
    }
    Ok(answer.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hook_path_is_added_once() {
        let want = "https://woonox.example/hooks/woocommerce/shop";
        for given in [
            "https://woonox.example",
            "https://woonox.example/",
            "https://woonox.example/hooks/woocommerce",
            "https://woonox.example/hooks/woocommerce/shop",
            "https://woonox.example/hooks/woocommerce/shop/",
        ] {
            assert_eq!(delivery_url(given, "shop").unwrap(), want, "{given}");
        }
        assert_eq!(
            delivery_url("http://10.0.0.5:8484/woonox", "shop").unwrap(),
            "http://10.0.0.5:8484/woonox/hooks/woocommerce/shop",
            "a base behind a proxy path keeps it"
        );
        let other = delivery_url("https://woonox.example/hooks/woocommerce/other", "shop").unwrap_err().to_string();
        assert!(other.contains("connection \"other\""), "{other}");
        assert!(delivery_url("woonox.example", "shop").is_err());
        assert!(delivery_url("https://woonox.example/?x=1", "shop").is_err());
    }

    #[test]
    fn ours_by_name_or_by_the_connection_in_the_url() {
        let hook = |name: &str, url: &str| json!({ "name": name, "topic": "order.created", "delivery_url": url });
        let doubled = "http://a:1/hooks/woocommerce/shop/hooks/woocommerce/shop";
        assert!(is_ours(&hook("anything", doubled), "order.created", "shop"));
        assert!(is_ours(&hook("woonox order.created (shop)", "http://old.example/x"), "order.created", "shop"));
        assert!(is_ours(&hook("woonox order.created", "http://old.example/x"), "order.created", "shop"));
        assert!(!is_ours(&hook("woonox order.created", "http://a/hooks/woocommerce/other"), "order.created", "shop"));
        assert!(!is_ours(&hook("Zapier", "https://hooks.zapier.com/1"), "order.created", "shop"));
        assert!(!is_ours(&hook("woonox order.created (shop)", doubled), "order.updated", "shop"));
    }
}
