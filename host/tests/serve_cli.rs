//! `woonox serve` against the stand-ins: webhook signatures (valid, invalid, missing,
//! replayed), the creation ping, idempotent webhook registration, a kill -9 with jobs
//! queued and in flight that loses nothing and doubles nothing, one connection's 429
//! storm leaving another on time (the status page in a browser: status_page_browser.rs).

mod common;

use common::serve::{ALL_OFF, Serve, agent, free_port, schedule, serve, wait_until};
use common::{connected, started, woonox};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use woonox_sim::{Sim, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

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

fn connect_with_webhooks(data: &Path, sim: &Sim, port: u16) -> std::process::Output {
    let url = format!("http://127.0.0.1:{port}");
    common::connect_woocommerce_with(data, sim, WOO_CONSUMER_SECRET, &["--webhook-url", &url])
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
    let jobs = serve.metric("woonox_jobs_total{connection=\"default\",flow=\"webhooks\",result=\"ok\"}");
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
    let calm_runs = serve.metric("woonox_jobs_total{connection=\"default\",flow=\"stock\",result=\"ok\"}");
    assert!(calm_runs >= 4, "the calm connection ran {calm_runs} stock polls in 12 s, every 2 s expected");
    let stormy_ok = serve.metric("woonox_jobs_total{connection=\"stormy\",flow=\"stock\",result=\"ok\"}");
    assert_eq!(stormy_ok, 0, "the stormy connection cannot have succeeded");
    assert!(serve.metric("woonox_api_rate_limited_total{connection=\"stormy\"}") > 0);
}

/// Beyond loopback the page wants the token; without one serve does not start.
#[test]
fn beyond_loopback_the_status_page_needs_a_token() {
    let (_rt, sim) = started(10);
    let data = connected("serve-token", &sim);
    schedule(&data, "default", ALL_OFF);
    let out = woonox(&data, &["serve", "--bind", "0.0.0.0:0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(&data)
        .args(["serve", "--bind", &format!("0.0.0.0:{port}")])
        .env("WOONOX_STATUS_TOKEN", "t0ken")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let serve = Serve { child, base: format!("http://127.0.0.1:{port}") };
    wait_until("serve", 60, || ureq::get(&format!("{}/healthz", serve.base)).call().is_ok());
    let status = |path: &str| agent().get(&format!("{}{path}", serve.base)).call().unwrap().status().as_u16();
    assert_eq!(status("/"), 401);
    assert_eq!(status("/metrics"), 401);
    assert_eq!(status("/?token=wrong"), 401);
    assert_eq!(status("/?token=t0ken"), 401, "never from the URL (logs, history, Referer)");
    let bearer = |path: &str| {
        let request = agent().get(&format!("{}{path}", serve.base)).header("authorization", "Bearer t0ken");
        request.call().unwrap().status().as_u16()
    };
    assert_eq!(bearer("/"), 200);
    assert_eq!(bearer("/metrics"), 200);
}

/// A run that finishes with items that failed needs a person: `/metrics` counts it as
/// `items_failed`, not `ok`.
#[test]
fn a_run_with_failed_items_is_not_counted_as_ok() {
    let (_rt, sim) = started(20);
    {
        let mut woo = sim.woo.lock().unwrap();
        let mut bad = woo.orders.iter().find(|o| o["status"] == "processing").cloned().unwrap();
        bad["id"] = json!(7777);
        bad["line_items"][0]["sku"] = json!("NOT-IN-FORTNOX");
        woo.orders.push(bad);
    }
    let data = connected("serve-items-failed", &sim);
    schedule(&data, "default", &ALL_OFF.replace("orders = \"off\"", "orders = \"1h\""));
    let serve = serve(&data, free_port());
    let result =
        |r: &str| serve.metric(&format!("woonox_jobs_total{{connection=\"default\",flow=\"orders\",result=\"{r}\"}}"));
    wait_until("the orders poll", 120, || result("items_failed") + result("ok") + result("failed") == 1);
    assert_eq!((result("ok"), result("items_failed"), result("failed")), (0, 1, 0));
}

/// SIGTERM: the job in hand is finished, then serve exits cleanly.
#[test]
fn sigterm_stops_serve_cleanly() {
    let (_rt, sim) = started(10);
    let data = connected("serve-sigterm", &sim);
    schedule(&data, "default", ALL_OFF);
    let mut serve = serve(&data, free_port());
    let pid = serve.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = serve.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status:?}");
}

/// One SQLite file has no leases: a second `serve` on it is refused, with what to do
/// instead, while the first runs; once the first has stopped, a new one starts.
#[test]
fn a_second_serve_on_one_sqlite_file_is_refused() {
    let (_rt, sim) = started(10);
    let data = connected("serve-twice", &sim);
    schedule(&data, "default", ALL_OFF);
    let first = serve(&data, free_port());
    let second = woonox(&data, &["serve", "--bind", &format!("127.0.0.1:{}", free_port())]);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another `woonox serve` is running on") && stderr.contains("PostgreSQL"), "{stderr}");
    drop(first);
    let _third = serve(&data, free_port());
}

/// Jobs' stored bodies, straight from the state file.
fn job_bodies(data: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open(data.join("state.sqlite")).unwrap();
    let mut stmt = db.prepare("SELECT coalesce(body, '') FROM jobs WHERE topic IS NOT NULL").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_delivery_is_a_trigger_and_never_the_order() {
    let (_rt, sim) = started(80);
    let data = connected("serve-trigger", &sim);
    let port = free_port();
    assert_eq!(connect_with_webhooks(&data, &sim, port).status.code(), Some(0));
    schedule(&data, "default", ALL_OFF);
    let serve = serve(&data, port);
    // A captured delivery of an order, replayed with a new id and a state the store does
    // not hold: the order is still pending, so nothing may reach Fortnox.
    let mut forged = sim.woo.lock().unwrap().orders.iter().find(|o| o["status"] == "pending").cloned().unwrap();
    let id = forged["id"].as_u64().unwrap();
    forged["status"] = json!("processing");
    let signature = woonox_sim::webhooks::signature(&secret(&data), forged.to_string().as_bytes());
    sim.log.clear();
    assert_eq!(deliver(&serve.base, &forged, Some(&signature), "replayed-1"), 200);
    let ok = "woonox_jobs_total{connection=\"default\",flow=\"webhooks\",result=\"ok\"}";
    wait_until("the delivery's job", 30, || serve.metric(ok) == 1);
    assert_eq!(fortnox_documents_for(&sim, id), 0, "the store's state decides, not the delivery's");
    let read = sim.log.entries().iter().filter(|e| e.path.ends_with(&format!("/orders/{id}"))).count();
    assert_eq!(read, 1, "the order is read from the store once");
    assert!(job_bodies(&data).iter().all(|b| b == &format!("{{\"id\":{id}}}")), "{:?}", job_bodies(&data));

    // A signed delivery with no order in it is dead at once, with its reason.
    let junk = json!(["not", "an", "order"]);
    let signature = woonox_sim::webhooks::signature(&secret(&data), junk.to_string().as_bytes());
    assert_eq!(deliver(&serve.base, &junk, Some(&signature), "junk-1"), 200);
    let page = ureq::get(&format!("{}/", serve.base)).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(page.contains("the delivery names no id"), "the dead letter says why");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(serve.metric(ok), 1, "it never ran");
    let failed = "woonox_jobs_total{connection=\"default\",flow=\"webhooks\",result=\"failed\"}";
    assert_eq!(serve.metric(failed), 0, "and was not retried");
}
