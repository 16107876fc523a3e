//! `woonox serve --fortnox-events` against the stand-in's WebSocket topics: a stock change
//! in Fortnox reaches the store with no poll; a socket dropped mid-stream and a serve
//! killed mid-event both resume from the stored offset, every change applied once and
//! none lost; duplicated events change nothing; a payment's event marks its order paid,
//! and a credit's becomes one refund.

mod common;

use common::serve::{ALL_OFF, Serve, free_port, schedule, serve_full, wait_until};
use common::{connected, started, sync_json};
use std::path::Path;
use woonox_sim::Sim;

fn events_url(sim: &Sim) -> String {
    format!("{}/topics-v1", sim.fortnox_url.replacen("http://", "ws://", 1))
}

/// Every flow's poll off, and serve taking Fortnox's events; answers once it subscribed.
fn serve_events(data: &Path, sim: &Sim, port: u16) -> Serve {
    serve_events_with(data, sim, port, &[])
}

/// `serve_events` with the global `args` (e.g. `--settings`).
fn serve_events_with(data: &Path, sim: &Sim, port: u16, args: &[&str]) -> Serve {
    let subscribed = subscriptions(sim);
    let serve = serve_full(data, port, args, &["--fortnox-events", &events_url(sim)]);
    wait_until("serve to subscribe to Fortnox's events", 30, || subscriptions(sim) > subscribed);
    serve
}

fn subscriptions(sim: &Sim) -> usize {
    let fortnox = sim.fortnox.lock().unwrap();
    fortnox.documents.events.commands.iter().filter(|c| c["command"] == "subscribe-v1").count()
}

/// A store with every article already synced, its polls off.
fn synced(name: &str, sim: &Sim) -> std::path::PathBuf {
    synced_with(name, sim, ALL_OFF)
}

/// `synced`, with its polls as `schedule` says.
fn synced_with(name: &str, sim: &Sim, polls: &str) -> std::path::PathBuf {
    let data = connected(name, sim);
    sync_json(&data, &["sync", "products", "--json"]);
    sync_json(&data, &["sync", "stock", "--json"]);
    schedule(&data, "default", polls);
    data
}

fn skus(sim: &Sim, n: usize) -> Vec<String> {
    sim.fortnox.lock().unwrap().articles.keys().take(n).cloned().collect()
}

fn woo_level(sim: &Sim, sku: &str) -> Option<f64> {
    let woo = sim.woo.lock().unwrap();
    woo.products.iter().find(|p| p["sku"] == sku).and_then(|p| p["stock_quantity"].as_f64())
}

fn set_stock(sim: &Sim, sku: &str, level: f64) {
    assert!(sim.fortnox.lock().unwrap().set_stock(sku, level));
}

/// Each SKU's level in the store is the one set in Fortnox.
fn wait_for_levels(sim: &Sim, levels: &[(String, f64)], seconds: u64) {
    wait_until("the new levels in WooCommerce", seconds, || {
        levels.iter().all(|(sku, level)| woo_level(sim, sku) == Some(*level))
    });
}

fn woo_writes(sim: &Sim) -> usize {
    sim.log.entries().iter().filter(|e| e.service == "woocommerce" && e.is_write()).count()
}

/// Waits until no request has reached the stand-ins for a second: the jobs are done.
fn settled(sim: &Sim) {
    let mut last = (sim.log.entries().len(), std::time::Instant::now());
    wait_until("the jobs to finish", 30, || {
        let now = sim.log.entries().len();
        if now != last.0 {
            last = (now, std::time::Instant::now());
        }
        last.1.elapsed() > std::time::Duration::from_secs(1)
    });
}

#[test]
fn a_stock_change_in_fortnox_reaches_the_store_without_a_poll() {
    let (_rt, sim) = started(30);
    // Stock polled hourly: the poll serve runs as it starts, then none for six hours.
    let polls = ALL_OFF.replace("stock = \"off\"", "stock = \"1h\"");
    let data = synced_with("events-stock", &sim, &polls);
    let serve = serve_events(&data, &sim, free_port());
    settled(&sim);
    let sku = skus(&sim, 1).remove(0);
    let level = woo_level(&sim, &sku).unwrap_or(0.0) + 17.0;
    sim.log.clear();
    set_stock(&sim, &sku, level);
    wait_for_levels(&sim, &[(sku.clone(), level)], 30);
    let fortnox = sim.log.entries().into_iter().filter(|e| e.service == "fortnox").collect::<Vec<_>>();
    assert!(
        fortnox.iter().all(|e| e.path != "/3/articles"),
        "no listing of the articles (a poll) was needed: {:?}",
        fortnox.iter().map(|e| format!("{} {}?{}", e.method, e.path, e.query)).collect::<Vec<_>>()
    );
    assert!(fortnox.iter().any(|e| e.path == format!("/3/articles/{sku}")), "the article was read by its number");
    let page = serve.page("/");
    assert!(page.contains("Fortnox events: live, last"), "the status page says the events flow");
    assert!(page.contains("no webhook delivery yet"), "an event is not told as a webhook delivery");
    assert!(page.contains("<td>stock</td><td>6 h</td>"), "the stock poll waits 6× longer while they do");
}

#[test]
fn a_dropped_socket_resumes_from_the_stored_offset_and_duplicates_change_nothing() {
    let (_rt, sim) = started(30);
    let data = synced("events-drop", &sim);
    let _serve = serve_events(&data, &sim, free_port());
    sim.fortnox.lock().unwrap().documents.events.drop_after = Some(2);
    let levels: Vec<(String, f64)> =
        skus(&sim, 6).into_iter().enumerate().map(|(i, s)| (s, 500.0 + i as f64)).collect();
    for (sku, level) in &levels {
        set_stock(&sim, sku, *level);
    }
    wait_for_levels(&sim, &levels, 60);
    let (connections, resumed) = {
        let fortnox = sim.fortnox.lock().unwrap();
        let events = &fortnox.documents.events;
        let resumed = events.commands.iter().rfind(|c| c["command"] == "add-topics-v1").cloned();
        (events.connections, resumed.unwrap())
    };
    assert!(connections >= 2, "the socket was dropped and opened again");
    let articles = resumed["topics"].as_array().unwrap().iter().find(|t| t["topic"] == "articles").cloned().unwrap();
    assert!(articles["offset"].as_str().is_some_and(|o| !o.is_empty()), "resumed from a stored offset: {resumed}");

    // Every event again, twice each: nothing is written.
    settled(&sim);
    let before = woo_writes(&sim);
    {
        let mut fortnox = sim.fortnox.lock().unwrap();
        fortnox.documents.events.duplicate = true;
        fortnox.documents.events.drop_after = Some(0);
    }
    let subscribed = subscriptions(&sim);
    set_stock(&sim, &levels[0].0, levels[0].1);
    wait_until("the socket to come back", 30, || subscriptions(&sim) > subscribed);
    settled(&sim);
    assert_eq!(woo_writes(&sim), before, "a replayed or doubled event writes nothing");
}

#[test]
fn a_serve_killed_mid_event_loses_no_change_and_applies_none_twice() {
    let (_rt, sim) = started(40);
    let data = synced("events-kill", &sim);
    let port = free_port();
    let mut serve = serve_events(&data, &sim, port);
    let levels: Vec<(String, f64)> =
        skus(&sim, 12).into_iter().enumerate().map(|(i, s)| (s, 700.0 + i as f64)).collect();
    sim.log.clear();
    // Events a quarter of a second apart: the kill comes while most are still to come.
    sim.fortnox.lock().unwrap().documents.events.pace = Some(std::time::Duration::from_millis(250));
    for (sku, level) in &levels {
        set_stock(&sim, sku, *level);
    }
    wait_until("the first change to be applied", 30, || woo_level(&sim, &levels[0].0) == Some(levels[0].1));
    serve.child.kill().unwrap();
    serve.child.wait().unwrap();
    let applied = levels.iter().filter(|(sku, level)| woo_level(&sim, sku) == Some(*level)).count();
    assert!(applied < levels.len(), "the kill came mid-stream ({applied} of {} applied)", levels.len());
    let _serve = serve_events(&data, &sim, port);
    wait_for_levels(&sim, &levels, 60);
    settled(&sim);
    // One write per change (its product's new level): none lost, none made twice, the
    // job cut off by the kill included.
    assert_eq!(woo_writes(&sim), levels.len(), "{:?}", woo_write_paths(&sim));
}

fn woo_write_paths(sim: &Sim) -> Vec<String> {
    let writes = sim.log.entries().into_iter().filter(|e| e.service == "woocommerce" && e.is_write());
    writes.map(|e| format!("{} {}", e.method, e.path)).collect()
}

/// Stand-ins and a data directory whose processing order has its Fortnox invoice (the
/// orders flow made it), serve taking the events with every poll off; answers the order
/// and its invoice's number.
fn invoiced(name: &str, port: u16) -> (tokio::runtime::Runtime, Sim, Serve, u64, u64) {
    let (rt, sim) = started(40);
    let data = connected(name, &sim);
    let settings = data.join("settings.toml");
    std::fs::write(&settings, "[order]\ndocument = \"invoice\"\n\n[flows]\npaid-status = \"completed\"\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();
    sync_json(&data, &["--settings", &settings, "sync", "orders", "--json"]);
    schedule(&data, "default", ALL_OFF);
    let processing = sim.woo.lock().unwrap().orders.iter().find(|o| o["status"] == "processing").cloned();
    let order = processing.unwrap()["id"].as_u64().unwrap();
    let reference = format!(":{order}");
    let number = *sim
        .fortnox
        .lock()
        .unwrap()
        .documents
        .invoices
        .iter()
        .find(|(_, i)| i["ExternalInvoiceReference1"].as_str().is_some_and(|r| r.ends_with(&reference)))
        .unwrap()
        .0;
    let serve = serve_events_with(&data, &sim, port, &["--settings", &settings]);
    sim.log.clear();
    (rt, sim, serve, order, number)
}

fn invoice_listings(sim: &Sim) -> usize {
    sim.log.entries().into_iter().filter(|e| e.method == "GET" && e.path == "/3/invoices").count()
}

#[test]
fn a_payment_in_fortnox_marks_its_order_paid_without_a_poll() {
    let (_rt, sim, _serve, order, number) = invoiced("events-payment", free_port());
    {
        let mut fortnox = sim.fortnox.lock().unwrap();
        let total = fortnox.documents.invoices[&number]["Total"].clone();
        let payment = serde_json::json!({ "InvoicePayment": { "InvoiceNumber": number, "Amount": total,
                                                              "PaymentDate": "2099-01-01" } });
        fortnox.documents.pay(&payment).unwrap();
    }
    let status = || sim.woo.lock().unwrap().orders.iter().find(|o| o["id"] == order).unwrap()["status"].clone();
    wait_until("the order to be marked paid", 30, || status() == "completed");
    assert_eq!(invoice_listings(&sim), 0, "the invoice was read by its number, not found by a poll");
}

#[test]
fn a_credit_in_fortnox_becomes_a_refund_once_without_a_poll() {
    let (_rt, sim, _serve, order, number) = invoiced("events-credit", free_port());
    {
        let mut fortnox = sim.fortnox.lock().unwrap();
        fortnox.documents.invoice_action(number, "bookkeep").unwrap();
        fortnox.documents.invoice_action(number, "credit").unwrap();
    }
    let refunds = || sim.woo.lock().unwrap().writes.refunds.get(&order).map_or(0, Vec::len);
    wait_until("the credit as a refund", 30, || refunds() > 0);
    settled(&sim);
    assert_eq!(refunds(), 1, "one credit, one refund, whatever events told of it");
    assert_eq!(invoice_listings(&sim), 0, "the credit was read by its number, not found by a poll");
}

#[test]
fn the_doctor_says_whether_fortnox_takes_the_events() {
    let (_rt, sim) = started(20);
    let data = connected("events-doctor", &sim);
    let doctor = || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_woonox"))
            .arg("--data-dir")
            .arg(&data)
            .args(["doctor", "--json"])
            .env("WOONOX_FORTNOX_EVENTS", events_url(&sim))
            .output()
            .unwrap();
        let exam: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let findings = exam["findings"].as_array().unwrap().clone();
        (out.status.code(), findings.into_iter().find(|f| f["check"] == "push events").expect("a push events check"))
    };
    let (code, found) = doctor();
    assert_eq!((code, found["verdict"].as_str()), (Some(0), Some("ok")), "{found}");
    assert_eq!(subscriptions(&sim), 0, "the doctor subscribes to nothing");
    sim.fortnox.lock().unwrap().documents.events.denied = true;
    let (code, found) = doctor();
    assert_eq!((code, found["verdict"].as_str()), (Some(1), Some("failing")), "{found}");
    assert!(found["detail"].as_str().unwrap().contains("no permission to use WebSockets"), "{found}");
    assert!(found["fix"].as_str().unwrap().contains("WebSocket permission"), "{found}");
}
