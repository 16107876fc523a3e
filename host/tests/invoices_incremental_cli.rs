//! The invoices and credit-notes flows read only what changed in Fortnox since their last
//! run (a `lastmodified` cursor), `sync all` reads once for both, and nothing is missed: a
//! payment, a new credit, and an item the merchant retries after its cursor moved on.

mod common;

use common::{connected, started, sync_json, sync_report};
use serde_json::{Value, json};
use woonox_sim::Sim;

/// No overlap, so that a run a second later reads back nothing it already handled.
const SETTINGS: &str = "[order]\ndocument = \"invoice\"\n\n[flows]\npaid-status = \"completed\"\noverlap-minutes = 0\n";

/// The invoice listings Fortnox was asked for since the log was cleared, as their queries.
fn listings(sim: &Sim) -> Vec<String> {
    sim.log.entries().into_iter().filter(|e| e.method == "GET" && e.path == "/3/invoices").map(|e| e.query).collect()
}

fn invoice_number(sim: &Sim, order_id: u64) -> u64 {
    let fortnox = sim.fortnox.lock().unwrap();
    let reference = format!(":{order_id}");
    let invoice = fortnox.documents.invoices.values().find(|i| {
        i["Credit"] != true && i["ExternalInvoiceReference1"].as_str().is_some_and(|r| r.ends_with(&reference))
    });
    invoice.unwrap()["DocumentNumber"].as_str().unwrap().parse().unwrap()
}

fn pay(sim: &Sim, number: u64) {
    let mut fortnox = sim.fortnox.lock().unwrap();
    let total = fortnox.documents.invoices[&number]["Total"].clone();
    let payment =
        json!({ "InvoicePayment": { "InvoiceNumber": number, "Amount": total, "PaymentDate": "2099-01-01" } });
    fortnox.documents.pay(&payment).unwrap();
}

fn status(sim: &Sim, order_id: u64) -> Value {
    sim.woo.lock().unwrap().orders.iter().find(|o| o["id"] == order_id).unwrap()["status"].clone()
}

/// Fortnox stamps `lastmodified` to the second, and a read asks for changes in or after the
/// second the last one began: a second on, what came before is behind the cursor.
fn next_second() {
    std::thread::sleep(std::time::Duration::from_millis(1100));
}

/// Stand-ins with a connected data directory holding [`SETTINGS`]; answers the settings
/// file's path too.
fn prepared(name: &str) -> (tokio::runtime::Runtime, Sim, std::path::PathBuf, String) {
    let (rt, sim) = started(60);
    let data = connected(name, &sim);
    std::fs::write(data.join("settings.toml"), SETTINGS).unwrap();
    let settings = data.join("settings.toml").to_string_lossy().into_owned();
    (rt, sim, data, settings)
}

#[test]
fn invoices_are_read_incrementally_and_nothing_is_missed() {
    let (_rt, sim, data, settings) = prepared("invoices-incremental");
    let run = |flow: &str| sync_json(&data, &["--settings", &settings, "sync", flow, "--json"]);
    assert_eq!(run("orders")["failed"], json!([]));
    let orders: Vec<u64> = sim.woo.lock().unwrap().paid_orders().map(|o| o["id"].as_u64().unwrap()).collect();
    assert!(orders.len() >= 3, "the stand-in seeds enough paid orders");

    // The first read is whole; the next reads only what changed since.
    next_second();
    sim.log.clear();
    assert_eq!(run("invoices")["failed"], json!([]));
    assert_eq!(run("credit-notes")["failed"], json!([]));
    let first = listings(&sim);
    assert_eq!(first.len(), 2, "each flow's first read: {first:?}");
    assert!(first.iter().all(|q| !q.contains("lastmodified")), "a first read is whole: {first:?}");
    next_second();
    sim.log.clear();
    let report = run("invoices");
    let second = listings(&sim);
    assert_eq!(second.len(), 1, "nothing changed: one listing page, {second:?}");
    assert!(second[0].contains("lastmodified="), "{second:?}");
    assert_eq!(report["unchanged"].as_u64().unwrap() + report["updated"].as_u64().unwrap(), 0, "{report}");

    // A payment moves the invoice's stamp; the next read finds it, and only it.
    for &order in &orders {
        sim.woo.lock().unwrap().orders.iter_mut().find(|o| o["id"] == order).unwrap()["status"] = json!("processing");
    }
    pay(&sim, invoice_number(&sim, orders[0]));
    let report = run("invoices");
    assert_eq!(report["updated"], 1, "{report}");
    assert_eq!(report["unchanged"], 0, "only the paid invoice was read: {report}");
    assert_eq!(status(&sim, orders[0]), "completed");

    // `sync all` reads once for both flows, from the earlier of their cursors: the
    // credit-notes flow's, from its first read, finds a credit made since.
    let credited = invoice_number(&sim, orders[1]);
    {
        let mut fortnox = sim.fortnox.lock().unwrap();
        fortnox.documents.invoice_action(credited, "bookkeep").unwrap();
        fortnox.documents.invoice_action(credited, "credit").unwrap();
    }
    pay(&sim, invoice_number(&sim, orders[2]));
    next_second();
    sim.log.clear();
    let out = common::woonox(&data, &["--settings", &settings, "sync", "all", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let reports: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let of = |flow: &str| reports.iter().find(|r| r["flow"] == flow).unwrap().clone();
    assert_eq!(listings(&sim).len(), 1, "one read for both flows: {:?}", listings(&sim));
    assert!(listings(&sim)[0].contains("lastmodified="), "the earlier cursor of the two, not a whole read");
    assert_eq!(of("credit-notes")["created"], 1, "{}", of("credit-notes"));
    assert_eq!(of("invoices")["updated"], 1, "{}", of("invoices"));
    assert_eq!(status(&sim, orders[2]), "completed");
    assert_eq!(sim.woo.lock().unwrap().writes.refunds[&orders[1]].len(), 1);
}

#[test]
fn a_retried_credit_is_read_again_though_the_cursor_moved_past_it() {
    let (_rt, sim, data, settings) = prepared("invoices-retry");
    let run = |args: &[&str]| {
        let all = [&["--settings", settings.as_str(), "sync"][..], args, &["--json"]].concat();
        sync_report(&data, &all)
    };
    assert_eq!(run(&["orders"]).0, Some(0));
    // Refunded by hand in WooCommerce and credited in Fortnox too: the refund is refused.
    let order = sim.woo.lock().unwrap().paid_orders().next().unwrap()["id"].as_u64().unwrap();
    {
        let mut woo = sim.woo.lock().unwrap();
        let state = &mut *woo;
        let total = state.orders.iter().find(|o| o["id"] == order).unwrap()["total"].clone();
        let body = json!({ "amount": total, "api_refund": false, "line_items": [] });
        state.writes.refund(&mut state.orders, order, &body).unwrap();
    }
    let number = invoice_number(&sim, order);
    {
        let mut fortnox = sim.fortnox.lock().unwrap();
        fortnox.documents.invoice_action(number, "bookkeep").unwrap();
        fortnox.documents.invoice_action(number, "credit").unwrap();
    }
    next_second();
    let (code, report) = run(&["credit-notes"]);
    assert_eq!((code, report["failed"].as_array().map(Vec::len)), (Some(1), Some(1)), "{report}");
    assert_eq!(run(&["credit-notes"]).1["skipped"], 1, "held, it waits");
    next_second();
    let (_, report) = run(&["credit-notes"]);
    assert_eq!(report["skipped"], 0, "the cursor has moved past the held credit: {report}");

    // The merchant retries: the credit is read again and tried once more.
    sim.log.clear();
    let (_, report) = run(&["credit-notes", "--retry-failed"]);
    let attempts = sim.log.entries().iter().filter(|e| e.is_write() && e.path.ends_with("/refunds")).count();
    assert_eq!(attempts, 1, "the retried credit was tried again: {report}");
}
