//! `woonox serve` against the stand-ins: webhook signatures (valid, invalid, missing,
//! replayed), the creation ping, idempotent webhook registration, a kill -9 with jobs
//! queued and in flight that loses nothing and doubles nothing, one connection's 429
//! storm leaving another on time, and the status page in headless Chromium.

mod common;

use common::{connected, started, woonox};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use woonox_sim::{Sim, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every flow's poll off (or as given), so that only what a test sends runs.
fn schedule(data: &Path, connection: &str, entries: &str) {
    let file = data.join("woonox.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str(&format!("\n[connections.{connection}.schedule]\n{entries}\n"));
    std::fs::write(file, text).unwrap();
}

const ALL_OFF: &str = "products = \"off\"\nstock = \"off\"\ncustomers = \"off\"\norders = \"off\"\nrefunds = \"off\"\ninvoices = \"off\"\ncredit-notes = \"off\"";

struct Serve {
    child: Child,
    base: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data: &Path, port: u16) -> Serve {
    let child = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(data)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while ureq::get(&format!("{base}/healthz")).call().is_err() {
        assert!(Instant::now() < deadline, "serve did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    Serve { child, base }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Posts a delivery as WooCommerce does; answers the HTTP status.
fn deliver(base: &str, body: &Value, signature: Option<&str>, delivery_id: &str) -> u16 {
    let mut request = agent()
        .post(&format!("{base}/hooks/woocommerce/default"))
        .header("content-type", "application/json")
        .header("x-wc-webhook-topic", "order.updated")
        .header("x-wc-webhook-delivery-id", delivery_id);
    if let Some(signature) = signature {
        request = request.header("x-wc-webhook-signature", signature);
    }
    request.send(body.to_string()).unwrap().status().as_u16()
}

fn secret(data: &Path) -> String {
    let text = std::fs::read_to_string(data.join("secrets/default/webhook.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["secret"].as_str().unwrap().to_owned()
}

fn fortnox_documents_for(sim: &Sim, order_id: u64) -> usize {
    let reference = format!("woonox:woo:{order_id}");
    sim.fortnox
        .lock()
        .unwrap()
        .documents
        .orders
        .values()
        .filter(|o| o["ExternalInvoiceReference1"] == reference.as_str())
        .count()
}

fn wait_until(what: &str, seconds: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn metric(base: &str, line_start: &str) -> u64 {
    let text = ureq::get(&format!("{base}/metrics")).call().unwrap().body_mut().read_to_string().unwrap();
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn connect_with_webhooks(data: &Path, sim: &Sim, port: u16) -> std::process::Output {
    woonox(
        data,
        &[
            "connect",
            "woocommerce",
            "--url",
            &sim.woo_url,
            "--consumer-key",
            WOO_CONSUMER_KEY,
            "--consumer-secret",
            WOO_CONSUMER_SECRET,
            "--webhook-url",
            &format!("http://127.0.0.1:{port}"),
        ],
    )
}

#[test]
fn webhooks_are_verified_deduplicated_and_registered_once() {
    let (_rt, sim) = started(80);
    let data = connected("serve-webhooks", &sim);
    let port = free_port();
    for _ in 0..2 {
        let out = connect_with_webhooks(&data, &sim, port);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let hooks = sim.woo.lock().unwrap().extra.webhooks.clone();
    assert_eq!(hooks.len(), 2, "a second connect registers nothing new: {hooks:?}");
    sim.woo.lock().unwrap().extra.webhooks[0]["status"] = json!("disabled");
    let out = connect_with_webhooks(&data, &sim, port);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 re-enabled"));
    assert!(sim.woo.lock().unwrap().extra.webhooks.iter().all(|h| h["status"] == "active"));

    schedule(&data, "default", ALL_OFF);
    let serve = serve(&data, port);
    let order = sim.woo.lock().unwrap().orders.iter().find(|o| o["status"] == "processing").cloned().unwrap();
    let id = order["id"].as_u64().unwrap();
    let good = woonox_sim::webhooks::signature(&secret(&data), order.to_string().as_bytes());
    assert_eq!(deliver(&serve.base, &order, None, "d-0"), 401, "missing signature");
    assert_eq!(deliver(&serve.base, &order, Some("bm90IGl0"), "d-0"), 401, "invalid signature");
    assert_eq!(deliver(&serve.base, &order, Some(&good), "d-1"), 200);
    wait_until("the order in Fortnox", 30, || fortnox_documents_for(&sim, id) == 1);
    assert_eq!(deliver(&serve.base, &order, Some(&good), "d-1"), 200, "a replay is acknowledged");
    let ping = agent()
        .post(&format!("{}/hooks/woocommerce/default", serve.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .send("webhook_id=1")
        .unwrap();
    assert_eq!(ping.status().as_u16(), 200);
    std::thread::sleep(Duration::from_secs(2));
    let jobs = metric(&serve.base, "woonox_jobs_total{connection=\"default\",flow=\"webhooks\",result=\"ok\"}");
    assert_eq!(jobs, 1, "only the one valid, new delivery became a job");
    assert_eq!(fortnox_documents_for(&sim, id), 1);
}

#[test]
fn a_kill_9_with_jobs_queued_and_in_flight_loses_nothing_and_doubles_nothing() {
    let (_rt, sim) = started(240);
    let data = connected("serve-kill", &sim);
    let port = free_port();
    assert_eq!(connect_with_webhooks(&data, &sim, port).status.code(), Some(0));
    schedule(&data, "default", ALL_OFF);
    let secret = secret(&data);
    let eligible: Vec<Value> = sim
        .woo
        .lock()
        .unwrap()
        .orders
        .iter()
        .filter(|o| o["status"] == "processing" || o["status"] == "completed")
        .cloned()
        .collect();
    let mut first = serve(&data, port);
    for (i, order) in eligible.iter().enumerate() {
        let signature = woonox_sim::webhooks::signature(&secret, order.to_string().as_bytes());
        assert_eq!(deliver(&first.base, order, Some(&signature), &format!("k-{i}")), 200);
    }
    // Some jobs done, one in flight, the rest queued.
    wait_until("the first documents", 60, || sim.fortnox.lock().unwrap().documents.orders.len() >= 3);
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let done_before = sim.fortnox.lock().unwrap().documents.orders.len();
    assert!(done_before < eligible.len(), "the kill came too late to prove anything");
    let second = serve(&data, port);
    wait_until("every order in Fortnox", 180, || sim.fortnox.lock().unwrap().documents.orders.len() >= eligible.len());
    std::thread::sleep(Duration::from_secs(2));
    for order in &eligible {
        assert_eq!(fortnox_documents_for(&sim, order["id"].as_u64().unwrap()), 1, "order {}", order["id"]);
    }
    drop(second);
}

#[test]
fn a_429_storm_in_one_connection_leaves_the_other_on_time() {
    let (_rt, calm) = started(40);
    let stormy = _rt.block_on(Sim::start(woonox_sim::SimConfig { articles: 40, ..Default::default() })).unwrap();
    let data = connected("serve-isolation", &calm);
    let out = woonox(
        &data,
        &[
            "connect",
            "woocommerce",
            "--connection",
            "stormy",
            "--url",
            &stormy.woo_url,
            "--consumer-key",
            WOO_CONSUMER_KEY,
            "--consumer-secret",
            WOO_CONSUMER_SECRET,
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    common::connect_fortnox_as(&data, &stormy, "stormy");
    schedule(&data, "default", &ALL_OFF.replace("stock = \"off\"", "stock = \"2s\""));
    schedule(&data, "stormy", &ALL_OFF.replace("stock = \"off\"", "stock = \"2s\""));
    stormy.fortnox_faults.lock().unwrap().rate_limited = 1_000_000;
    let serve = serve(&data, free_port());
    std::thread::sleep(Duration::from_secs(12));
    let calm_runs = metric(&serve.base, "woonox_jobs_total{connection=\"default\",flow=\"stock\",result=\"ok\"}");
    assert!(calm_runs >= 4, "the calm connection ran {calm_runs} stock polls in 12 s, every 2 s expected");
    let stormy_ok = metric(&serve.base, "woonox_jobs_total{connection=\"stormy\",flow=\"stock\",result=\"ok\"}");
    assert_eq!(stormy_ok, 0, "the stormy connection cannot have succeeded");
    assert!(metric(&serve.base, "woonox_api_rate_limited_total{connection=\"stormy\"}") > 0);
}
