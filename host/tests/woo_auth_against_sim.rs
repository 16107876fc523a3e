//! The host's WooCommerce OAuth 1.0a signing, checked by the stand-in's independent
//! verifier over real HTTP: pages followed through the `Link` header are signed afresh,
//! and a replayed nonce or a stale timestamp is refused, as the real store does.

use std::time::{SystemTime, UNIX_EPOCH};
use woonox::http_policy::{AllowList, Credential, Origin, Service, authorize};
use woonox_sim::{Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

struct Running {
    sim: Sim,
    _rt: tokio::runtime::Runtime,
    agent: ureq::Agent,
    policy: AllowList,
}

fn start() -> Running {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 50, ..SimConfig::default() })).unwrap();
    let policy = AllowList::new(vec![Service {
        name: "woocommerce",
        origin: Origin::parse(&sim.woo_url).unwrap(),
        credential: Credential::WooKeys {
            consumer_key: WOO_CONSUMER_KEY.into(),
            consumer_secret: WOO_CONSUMER_SECRET.into(),
            home_url: sim.woo_url.clone(),
        },
    }]);
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
    assert_eq!(seen, 25, "the stand-in's store holds every other of 50 articles");
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
    r.policy = AllowList::new(vec![Service {
        name: "woocommerce",
        origin: Origin::parse(&r.sim.woo_url).unwrap(),
        credential: Credential::WooKeys {
            consumer_key: WOO_CONSUMER_KEY.into(),
            consumer_secret: "cs_wrong".into(),
            home_url: r.sim.woo_url.clone(),
        },
    }]);
    let (status, _, body) = r.get(&format!("{}/wp-json/wc/v3/products", r.sim.woo_url), now(), "n1");
    assert_eq!(
        (status, body["message"].as_str()),
        (401, Some("Invalid signature - provided signature does not match."))
    );
}

impl Running {
    fn post_json(&self, url: &str, body: &serde_json::Value, nonce: &str) -> (u16, serde_json::Value) {
        let mut parts = http::Request::post(url).body(()).unwrap().into_parts().0;
        authorize(self.policy.route(&parts.uri).unwrap(), &mut parts, now(), nonce).unwrap();
        let mut response = self
            .agent
            .post(&parts.uri.to_string())
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
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
