//! `connect woocommerce --webhook-url` through the binary: the base URL or the full hook
//! URL give the same address (never a doubled path), and registering again with another
//! address moves woonox's own webhooks there instead of leaving the old ones failing.

mod common;

use common::{connect_woocommerce_with, data_dir};
use serde_json::{Value, json};
use woonox_sim::{Sim, WOO_CONSUMER_SECRET};

/// A loopback address nothing listens on (the store's ping on creation just fails there).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn hooks(sim: &Sim) -> Vec<Value> {
    sim.woo.lock().unwrap().extra.webhooks.clone()
}

/// Registers with `webhook_url`; answers what `connect` printed.
fn register(data: &std::path::Path, sim: &Sim, webhook_url: &str) -> String {
    let out = connect_woocommerce_with(data, sim, WOO_CONSUMER_SECRET, &["--webhook-url", webhook_url]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    stdout.into_owned()
}

fn woonox_hooks(sim: &Sim) -> Vec<Value> {
    hooks(sim).into_iter().filter(|h| h["name"].as_str().unwrap_or_default().starts_with("woonox")).collect()
}

#[test]
fn the_hook_url_is_never_doubled_and_a_new_address_moves_the_old_hooks() {
    let (_rt, sim) = common::started(10);
    let data = data_dir("webhook-register");
    let first = format!("http://127.0.0.1:{}", closed_port());
    let full = format!("{first}/hooks/woocommerce/default");

    // Given as the full hook URL (issue 12's report): used as it is.
    let stdout = register(&data, &sim, &full);
    assert!(stdout.contains(&full) && stdout.contains("2 created"), "{stdout}");
    let created = woonox_hooks(&sim);
    assert_eq!(created.len(), 2);
    assert!(created.iter().all(|h| h["delivery_url"] == full.as_str() && h["status"] == "active"), "{created:?}");
    let secret = std::fs::read_to_string(data.join("secrets/default/webhook.json")).unwrap();
    let secret: Value = serde_json::from_str(&secret).unwrap();
    assert!(created.iter().all(|h| h["secret"] == secret["secret"]));

    // Given as the base URL: the same address, nothing to do.
    let stdout = register(&data, &sim, &format!("{first}/"));
    assert!(stdout.contains("2 already in place"), "{stdout}");
    assert_eq!(woonox_hooks(&sim), created);

    // WooCommerce disabled one after failed deliveries, and someone else's webhook is there.
    sim.woo.lock().unwrap().extra.webhooks[0]["status"] = json!("disabled");
    let foreign = json!({ "id": 77, "name": "Zapier", "topic": "order.created", "status": "active",
                          "delivery_url": "https://hooks.zapier.example/1", "secret": "theirs" });
    sim.woo.lock().unwrap().extra.webhooks.push(foreign.clone());

    // woonox serve moved: the same two webhooks now deliver there, active again.
    let second = format!("http://127.0.0.1:{}", closed_port());
    let stdout = register(&data, &sim, &second);
    assert!(stdout.contains("2 moved there"), "{stdout}");
    let moved = woonox_hooks(&sim);
    let ids = |hs: &[Value]| hs.iter().map(|h| h["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&moved), ids(&created), "updated in place, not created anew");
    let want = format!("{second}/hooks/woocommerce/default");
    assert!(moved.iter().all(|h| h["delivery_url"] == want.as_str() && h["status"] == "active"), "{moved:?}");
    assert!(hooks(&sim).contains(&foreign), "another tool's webhook is left alone");
}

/// Before this fix a base URL that already ended in the hook path was doubled, and each
/// new address made new webhooks: those leftovers are recognised, fixed and cleaned up.
#[test]
fn leftovers_of_earlier_registrations_are_fixed_and_deduplicated() {
    let (_rt, sim) = common::started(10);
    let data = data_dir("webhook-leftovers");
    let old = format!("http://127.0.0.1:{}/hooks/woocommerce/default", closed_port());
    let doubled = format!("{old}/hooks/woocommerce/default");
    let leftovers = [(1, "order.created", &doubled), (2, "order.created", &old), (3, "order.updated", &doubled)];
    for (id, topic, url) in leftovers {
        let hook = json!({ "id": id, "name": format!("woonox {topic}"), "topic": topic, "status": "disabled",
                           "delivery_url": url, "secret": "old", "failure_count": 7 });
        sim.woo.lock().unwrap().extra.webhooks.push(hook);
    }
    let base = format!("http://127.0.0.1:{}", closed_port());
    let stdout = register(&data, &sim, &base);
    assert!(stdout.contains("2 moved there") && stdout.contains("1 extra removed"), "{stdout}");
    let now = hooks(&sim);
    assert_eq!(now.len(), 2, "{now:?}");
    let want = format!("{base}/hooks/woocommerce/default");
    for topic in ["order.created", "order.updated"] {
        let hook = now.iter().find(|h| h["topic"] == topic).unwrap();
        assert_eq!((hook["delivery_url"].as_str(), hook["status"].as_str()), (Some(want.as_str()), Some("active")));
        assert_ne!(hook["secret"], "old", "the current secret is set");
    }
}

#[test]
fn a_hook_url_of_another_connection_is_refused() {
    let (_rt, sim) = common::started(10);
    let data = data_dir("webhook-other");
    let url = format!("http://127.0.0.1:{}/hooks/woocommerce/other", closed_port());
    let out = connect_woocommerce_with(&data, &sim, WOO_CONSUMER_SECRET, &["--webhook-url", &url]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("connection \"other\""), "{stderr}");
    assert!(hooks(&sim).is_empty());
}
