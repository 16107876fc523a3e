//! The doctor's webhook check: for each topic woonox acts on, the store has woonox's
//! webhook, active, delivering where `woonox serve` listens.

use super::doctor::Finding;
use super::{Ctx, woo_client};
use serde_json::Value;

/// The topics the flows act on, as `woonox connect woocommerce --webhook-url` registers them.
pub const TOPICS: [&str; 2] = ["order.created", "order.updated"];

const SIDE: &str = "woocommerce";

/// `expected` is the delivery URL `woonox serve` is configured with. Without it, the
/// address woonox's existing webhooks deliver to is taken; with neither, the connection
/// syncs on its schedule only.
pub fn check(ctx: &Ctx, expected: Option<&str>, findings: &mut Vec<Finding>) {
    let mut hooks = Vec::new();
    if let Err(e) = woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, "webhooks", |h| hooks.push(h)) {
        return findings.push(Finding::warning(SIDE, "webhooks", format!("could not list them: {e}"), ""));
    }
    let registered = hooks.iter().find(|h| named_woonox(h)).and_then(|h| h["delivery_url"].as_str());
    let Some(expected) = expected.or(registered) else {
        return findings.push(Finding::ok(SIDE, "webhooks", "not used: the connection syncs on its schedule"));
    };
    for topic in TOPICS {
        findings.push(topic_finding(&hooks, topic, expected));
    }
}

fn topic_finding(hooks: &[Value], topic: &str, expected: &str) -> Finding {
    let check = format!("webhook {topic}");
    let fix = format!("Run `woonox connect woocommerce --webhook-url {expected}` to register it again");
    let ours: Vec<&Value> = hooks.iter().filter(|h| h["topic"] == topic && is_woonox(h, expected)).collect();
    let at_url: Vec<&&Value> = ours.iter().filter(|h| h["delivery_url"] == expected).collect();
    if at_url.iter().any(|h| h["status"] == "active") {
        return Finding::ok(SIDE, check, format!("active, delivering to {expected}"));
    }
    let detail = match (at_url.first(), ours.first()) {
        (Some(h), _) => format!(
            "woonox's webhook is {} (WooCommerce disables a webhook after repeated failed deliveries), so orders \
             reach Fortnox only at the next poll",
            h["status"].as_str().unwrap_or("not active")
        ),
        (None, Some(h)) => format!(
            "woonox's webhook delivers to {}, not to {expected}",
            h["delivery_url"].as_str().unwrap_or("(nowhere)")
        ),
        (None, None) => format!("the store has no webhook for {topic}: orders reach Fortnox only at the next poll"),
    };
    Finding::failing(SIDE, check, detail, fix)
}

/// woonox names its webhooks "woonox …".
fn named_woonox(hook: &Value) -> bool {
    hook["name"].as_str().is_some_and(|n| n.starts_with("woonox"))
}

/// Named so, or delivering to the expected URL.
fn is_woonox(hook: &Value, expected: &str) -> bool {
    named_woonox(hook) || hook["delivery_url"] == expected
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URL: &str = "https://w.example/hooks/woocommerce/shop";

    fn hook(topic: &str, url: &str, status: &str) -> Value {
        json!({ "name": format!("woonox {topic} (shop)"), "topic": topic, "delivery_url": url, "status": status })
    }

    #[test]
    fn an_active_hook_at_the_address_is_ok_and_anything_else_is_named() {
        let ok = topic_finding(&[hook("order.created", URL, "active")], "order.created", URL);
        assert_eq!(ok.verdict, super::super::doctor::Verdict::Ok);
        let disabled = topic_finding(&[hook("order.created", URL, "disabled")], "order.created", URL);
        assert!(disabled.detail.contains("disabled"), "{}", disabled.detail);
        let moved = topic_finding(&[hook("order.created", "https://old.example/x", "active")], "order.created", URL);
        assert!(moved.detail.contains("https://old.example/x"), "{}", moved.detail);
        let none = topic_finding(&[hook("order.updated", URL, "active")], "order.created", URL);
        assert!(none.detail.contains("no webhook for order.created"), "{}", none.detail);
        assert!(none.fix.contains(URL));
    }

    #[test]
    fn a_stranger_hook_at_another_address_is_not_taken_for_woonox() {
        let other = json!({ "name": "Klaviyo", "topic": "order.created", "delivery_url": "https://k.example", "status": "active" });
        let f = topic_finding(&[other], "order.created", URL);
        assert!(f.detail.contains("no webhook"), "{}", f.detail);
    }
}
