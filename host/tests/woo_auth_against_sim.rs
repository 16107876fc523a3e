//! The host's WooCommerce OAuth 1.0a signing, checked by the stand-in's independent
//! verifier over real HTTP: pages followed through the `Link` header are signed afresh,
//! and a replayed nonce or a stale timestamp is refused, as the real store does.

use std::time::{SystemTime, UNIX_EPOCH};
use woonox::connections::connection::{WooKeys, woo_service};
use woonox::wire::http_policy::{AllowList, authorize};
use woonox_sim::{Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

struct Running {
    sim: Sim,
    _rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
    policy: AllowList,
}

fn keys(secret: &str) -> WooKeys {
    WooKeys { consumer_key: WOO_CONSUMER_KEY.into(), consumer_secret: secret.into() }
}

fn start() -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 50, ..SimConfig::default() })).unwrap();
    let policy = AllowList::new(vec![woo_service(&sim.woo_url, keys(WOO_CONSUMER_SECRET)).unwrap()]);
    let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    Running { sim, _rt: rt, agent, policy }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

impl Running {
    /// Signs `url` as the host would and sends it; returns status, Link header and body.
    fn get(&self, url: &str, timestamp: u64, nonce: &str) -> (u16, Option<String>, serde_json::Value) {
        let mut parts = http::Request::get(url).body(()).unwrap().into_parts().0;
        authorize(self.policy.route(&parts.uri).unwrap(), &mut parts, timestamp, nonce).unwrap();
        let mut response = self.agent.get(&parts.uri.to_string()).call().unwrap();
        let link = response.headers().get("link").map(|v| v.to_str().unwrap().to_owned());
        let body = serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();
        (response.status().as_u16(), link, body)
    }
}

fn next_link(link: &str) -> Option<String> {
    link.split(", ").find(|l| l.ends_with("rel=\"next\"")).map(|l| l[1..l.find('>').unwrap()].to_owned())
}

#[test]
fn pages_followed_through_link_are_signed_afresh() {
    let r = start();
    let mut url = format!("{}/wp-json/wc/v3/products?per_page=10", r.sim.woo_url);
    let mut seen = 0;
    for page in 1.. {
        let (status, link, body) = r.get(&url, now(), &format!("nonce-{page}"));
        assert_eq!(status, 200, "page {page}: {body}");
        seen += body.as_array().unwrap().len();
        let link = link.unwrap_or_default();
        assert!(page == 1 || link.contains("oauth_signature"), "the store echoes the previous signature: {link}");
        match next_link(&link) {
            Some(next) => url = next,
            None => break,
        }
    }
    assert_eq!(seen, 25 + 3, "the stand-in's store holds every other of 50 articles and three variable products");
}

#[test]
fn a_replayed_nonce_and_a_stale_timestamp_are_refused() {
    let r = start();
    let url = format!("{}/wp-json/wc/v3/products", r.sim.woo_url);
    assert_eq!(r.get(&url, now(), "once").0, 200);
    let (status, _, body) = r.get(&url, now(), "once");
    assert_eq!((status, body["message"].as_str()), (401, Some("Invalid nonce - nonce has already been used.")));
    let (status, _, body) = r.get(&url, now() - 3600, "fresh");
    assert_eq!((status, body["message"].as_str()), (401, Some("Invalid timestamp.")));
}

#[test]
fn a_wrong_secret_is_refused() {
    let mut r = start();
    r.policy = AllowList::new(vec![woo_service(&r.sim.woo_url, keys("cs_wrong")).unwrap()]);
    let (status, _, body) = r.get(&format!("{}/wp-json/wc/v3/products", r.sim.woo_url), now(), "n1");
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Invalid signature - provided signature does not match."))
    );
}

impl Running {
    fn post_json(&self, url: &str, body: &serde_json::Value, nonce: &str) -> (u16, serde_json::Value) {
        self.send_json(http::Method::POST, url, body, nonce)
    }

    fn send_json(
        &self,
        method: http::Method,
        url: &str,
        body: &serde_json::Value,
        nonce: &str,
    ) -> (u16, serde_json::Value) {
        let mut parts = http::Request::builder().method(method.clone()).uri(url).body(()).unwrap().into_parts().0;
        authorize(self.policy.route(&parts.uri).unwrap(), &mut parts, now(), nonce).unwrap();
        let request = ureq::http::Request::builder().method(method.as_str()).uri(parts.uri.to_string());
        let mut response =
            self.agent.run(request.header("Content-Type", "application/json").body(body.to_string()).unwrap()).unwrap();
        let text = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), serde_json::from_str(&text).unwrap_or_default())
    }
}

/// As recorded from the real store: HTTP 200, each failed item in its place with its error.
#[test]
fn batch_items_fail_one_by_one_in_place() {
    let r = start();
    let url = format!("{}/wp-json/wc/v3/products/batch", r.sim.woo_url);
    let taken = r.sim.woo.lock().unwrap().products[0]["sku"].as_str().unwrap().to_owned();
    let owner = r.sim.woo.lock().unwrap().products[0]["id"].clone();
    let body = serde_json::json!({
        "create": [{ "name": "Ny", "sku": "NEW-1", "regular_price": "10.00" }, { "name": "Dubblett", "sku": taken }],
        "update": [{ "id": 999999, "regular_price": "1.00" }],
    });
    let (status, answer) = r.post_json(&url, &body, "batch-1");
    assert_eq!(status, 200);
    assert_eq!(answer["create"][0]["sku"], "NEW-1");
    assert_eq!(answer["create"][1]["id"], 0);
    assert_eq!(answer["create"][1]["error"]["code"], "product_invalid_sku");
    assert_eq!(answer["create"][1]["error"]["data"]["resource_id"], owner);
    assert_eq!(answer["update"][0]["error"]["code"], "woocommerce_rest_product_invalid_id");
    let too_many: Vec<serde_json::Value> = (0..101).map(|i| serde_json::json!({ "name": format!("P{i}") })).collect();
    let (status, answer) = r.post_json(&url, &serde_json::json!({ "create": too_many }), "batch-2");
    assert_eq!((status, answer["code"].as_str()), (413, Some("woocommerce_rest_request_entity_too_large")));
}

#[test]
fn orders_are_listed_by_status_and_modified_after_in_modified_order() {
    let r = start();
    let base = format!("{}/wp-json/wc/v3/orders?per_page=100&orderby=modified&order=asc", r.sim.woo_url);
    let (status, _, all) = r.get(&format!("{base}&status=any"), now(), "orders-1");
    assert_eq!(status, 200);
    let all = all.as_array().unwrap().clone();
    assert!(!all.is_empty());
    let stamps: Vec<&str> = all.iter().map(|o| o["date_modified_gmt"].as_str().unwrap()).collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "not in modified order: {stamps:?}");
    let middle = stamps[stamps.len() / 2];
    let (_, _, later) =
        r.get(&format!("{base}&status=processing,completed&modified_after={middle}"), now(), "orders-2");
    let later = later.as_array().unwrap();
    assert!(later.iter().all(|o| o["date_modified_gmt"].as_str().unwrap() > middle));
    assert!(later.iter().all(|o| o["status"] == "processing" || o["status"] == "completed"));
    let expected = all
        .iter()
        .filter(|o| {
            o["date_modified_gmt"].as_str().unwrap() > middle
                && ["processing", "completed"].contains(&o["status"].as_str().unwrap())
        })
        .count();
    assert_eq!(later.len(), expected);
}

/// Order writes as the real store answers them: meta upserted, notes created, refunds that
/// leave the order total alone, default to a gateway refund, and refuse too much with 500.
#[test]
fn order_updates_notes_and_refunds() {
    let r = start();
    let order = r.sim.woo.lock().unwrap().orders[0].clone();
    let (id, total) = (order["id"].as_u64().unwrap(), order["total"].as_str().unwrap().to_owned());
    let url = format!("{}/wp-json/wc/v3/orders/{id}", r.sim.woo_url);
    let meta = serde_json::json!({ "meta_data": [{ "key": "_fortnox_order", "value": "17" }] });
    let (status, updated) = r.send_json(http::Method::PUT, &url, &meta, "w1");
    assert_eq!(status, 200, "{updated}");
    let (_, updated) = r.send_json(
        http::Method::PUT,
        &url,
        &serde_json::json!({ "meta_data": [{ "key": "_fortnox_order", "value": "18" }] }),
        "w2",
    );
    let entries: Vec<_> =
        updated["meta_data"].as_array().unwrap().iter().filter(|m| m["key"] == "_fortnox_order").collect();
    assert_eq!(entries.len(), 1, "meta is upserted by key");
    assert_eq!(entries[0]["value"], "18");
    assert!(updated["date_modified_gmt"].as_str().unwrap() > order["date_modified_gmt"].as_str().unwrap());

    let (status, note) = r.post_json(&format!("{url}/notes"), &serde_json::json!({ "note": "Fortnox order 18" }), "w3");
    assert_eq!((status, note["customer_note"].as_bool()), (201, Some(false)));

    let refunds = format!("{url}/refunds");
    let (status, refund) = r.post_json(&refunds, &serde_json::json!({ "amount": "1.00", "api_refund": false }), "w4");
    assert_eq!((status, refund["refunded_payment"].as_bool()), (201, Some(false)));
    let (_, by_default) = r.post_json(&refunds, &serde_json::json!({ "amount": "1.00" }), "w5");
    assert_eq!(by_default["refunded_payment"], true, "api_refund defaults to a real gateway refund");
    let (status, too_much) = r.post_json(&refunds, &serde_json::json!({ "amount": total, "api_refund": false }), "w6");
    assert_eq!((status, too_much["data"].clone()), (500, serde_json::json!(500)));
    let (_, _, after) = r.get(&url, now(), "w7");
    assert_eq!(after["total"].as_str().unwrap(), total, "a refund leaves the order total alone");
    assert_eq!(after["refunds"].as_array().unwrap().len(), 2);
}

#[test]
fn webhooks_are_created_with_a_ping_and_never_show_their_secret() {
    let r = start();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let delivery = format!("http://{}/hooks/woocommerce/default", listener.local_addr().unwrap());
    let receiver = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        let (mut got, mut buf) = (Vec::new(), [0u8; 4096]);
        // Headers and body may arrive in separate reads.
        while !String::from_utf8_lossy(&got).contains("webhook_id=") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").unwrap();
        String::from_utf8_lossy(&got).into_owned()
    });
    let url = format!("{}/wp-json/wc/v3/webhooks", r.sim.woo_url);
    let hook =
        serde_json::json!({ "name": "woonox", "topic": "order.updated", "delivery_url": delivery, "secret": "s3cret" });
    let (status, created) = r.post_json(&url, &hook, "h1");
    assert_eq!(status, 201, "{created}");
    assert!(created.get("secret").is_none());
    let ping = receiver.join().unwrap();
    assert!(ping.contains("webhook_id=1") && !ping.to_ascii_lowercase().contains("x-wc-webhook-signature"), "{ping}");
    let bad = serde_json::json!({ "name": "x", "topic": "order.exploded", "delivery_url": "http://127.0.0.1:9/" });
    assert_eq!(r.post_json(&url, &bad, "h2").0, 400);
    let (status, disabled) =
        r.send_json(http::Method::PUT, &format!("{url}/1"), &serde_json::json!({ "status": "disabled" }), "h3");
    assert_eq!((status, disabled["status"].as_str()), (200, Some("disabled")));
    let (_, _, all) = r.get(&url, now(), "h4");
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert!(all[0].get("secret").is_none());
}

#[test]
fn customers_are_found_by_exact_email() {
    let r = start();
    let (_, _, found) =
        r.get(&format!("{}/wp-json/wc/v3/customers?email=kund1@example.se", r.sim.woo_url), now(), "c1");
    assert_eq!(found.as_array().unwrap().len(), 1);
    let (_, _, none) = r.get(&format!("{}/wp-json/wc/v3/customers?email=kund1@example", r.sim.woo_url), now(), "c2");
    assert!(none.as_array().unwrap().is_empty());
}

/// A store on "Plain" permalinks has no /wp-json/: connecting says what to change.
#[test]
fn a_store_without_pretty_permalinks_is_told_to_enable_them() {
    let r = start();
    r.sim.woo.lock().unwrap().pretty_permalinks = false;
    let data = std::env::temp_dir().join(format!("woonox-permalinks-{}", std::process::id()));
    let paths = woonox::connections::connection::Paths::new(data.clone());
    let keys = keys(WOO_CONSUMER_SECRET);
    let connecting =
        woonox::connections::connect::woocommerce(&paths, "shop", &r.sim.woo_url, keys, Default::default());
    let err = r._rt.block_on(connecting).err().unwrap().to_string();
    assert!(err.contains("enable pretty permalinks"), "{err}");
    assert!(!data.join("secrets/shop/woocommerce.json").exists());
}

#[test]
fn variations_are_created_under_their_parent_with_unique_skus() {
    let r = start();
    let taken = r.sim.woo.lock().unwrap().products[0]["sku"].as_str().unwrap().to_owned();
    let products = format!("{}/wp-json/wc/v3/products", r.sim.woo_url);
    let (_, parent) = r.post_json(
        &format!("{products}/batch"),
        &serde_json::json!({ "create": [{ "name": "T-shirt", "type": "variable", "sku": "TS" }] }),
        "v1",
    );
    let parent = parent["create"][0]["id"].as_u64().unwrap();
    let batch = serde_json::json!({ "create": [{ "sku": "TS-M", "regular_price": "199.00" }, { "sku": taken }] });
    let (status, answer) = r.post_json(&format!("{products}/{parent}/variations/batch"), &batch, "v2");
    assert_eq!(status, 200);
    assert_eq!(
        (answer["create"][0]["type"].as_str(), answer["create"][0]["parent_id"].as_u64()),
        (Some("variation"), Some(parent))
    );
    assert_eq!(
        answer["create"][1]["error"]["code"], "product_invalid_sku",
        "SKUs are unique across products and variations"
    );
    let (_, _, listed) = r.get(&format!("{products}/{parent}/variations"), now(), "v3");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let (_, _, by_sku) = r.get(&format!("{products}?sku=TS-M"), now(), "v4");
    assert_eq!(by_sku[0]["type"], "variation", "an exact SKU search finds variations too");
}
