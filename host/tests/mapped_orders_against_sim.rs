//! The documents map-order builds are documents Fortnox accepts, and Fortnox's own total
//! of each equals the WooCommerce order total: every order recorded from the real store,
//! and every order the stand-in seeds, sent to the stand-in, whose totals are computed
//! independently of woonox's.

use base64::Engine as _;
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../tests/fixtures/woocommerce/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn access_token(sim: &Sim, agent: &ureq::Agent) -> String {
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{FORTNOX_CLIENT_ID}:{FORTNOX_CLIENT_SECRET}"));
    let answer = agent
        .post(format!("{}/oauth-v1/token", sim.fortnox_url))
        .header("Authorization", &format!("Basic {basic}"))
        .send_form([("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/cb")])
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str::<serde_json::Value>(&answer).unwrap()["access_token"].as_str().unwrap().to_owned()
}

/// Sends each order's customer and document to the stand-in; answers how many were sent.
fn send_all(sim: &Sim, orders: &[serde_json::Value]) -> usize {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let bearer = format!("Bearer {}", access_token(sim, &agent));
    let post = |path: &str, body: &serde_json::Value| -> (u16, serde_json::Value) {
        let mut r = agent
            .post(format!("{}{path}", sim.fortnox_url))
            .header("Authorization", &bearer)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap();
        let status = r.status().as_u16();
        (status, serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap())
    };
    let settings = woonox_guest::Settings::default();
    let mut sent = 0;
    for order in orders.iter().filter(|o| o["line_items"][0]["sku"].is_string()) {
        let customer = woonox_guest::map_customer(&order.to_string(), &settings).unwrap().body;
        let (status, created) = post("/3/customers", &customer);
        assert_eq!(status, 200, "{created}");
        let number = created["Customer"]["CustomerNumber"].as_str().unwrap();
        let document = woonox_guest::map_order(&order.to_string(), Some(number), &settings).unwrap().body;
        let (status, created) = post("/3/orders", &document);
        assert_eq!(status, 200, "order {}: {created}", order["id"]);
        let woo_total: f64 = order["total"].as_str().unwrap().parse().unwrap();
        assert_eq!(created["Order"]["Total"].as_f64().unwrap(), woo_total, "order {}", order["id"]);
        sent += 1;
        // Fortnox allows 25 requests in any 5 s; this test pays no attention to pacing.
        sim.fortnox.lock().unwrap().reset_rate_windows();
    }
    sent
}

#[test]
fn every_real_order_is_accepted_and_totals_to_the_ore() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 3, ..SimConfig::default() })).unwrap();
    // The store's SKUs exist as Fortnox articles.
    for sku in ["FNX-1001", "FNX-1002", "FNX-1004", "FNX-2000-M"] {
        sim.fortnox
            .lock()
            .unwrap()
            .articles
            .insert(sku.into(), serde_json::json!({ "ArticleNumber": sku, "Description": sku }));
    }
    let orders: Vec<serde_json::Value> = serde_json::from_str(&fixture("orders-real-all.json")).unwrap();
    assert_eq!(send_all(&sim, &orders), 5);
}

/// The stand-in's own seeded WooCommerce orders are consistent with its Fortnox side.
#[test]
fn every_seeded_order_is_accepted_and_totals_to_the_ore() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 200, ..SimConfig::default() })).unwrap();
    let orders = sim.woo.lock().unwrap().orders.clone();
    assert_eq!(send_all(&sim, &orders), 50);
}
