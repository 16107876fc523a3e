//! `woonox sync orders` against the stand-ins: every eligible WooCommerce order becomes
//! exactly one Fortnox order with the same total, buyers become one customer each, the
//! WooCommerce order records the Fortnox number, a second run writes nothing, and a
//! create whose answer is lost is found again instead of written twice.

mod common;

use common::{connected, money, started, sync_json, woonox, writes};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use woonox_sim::Sim;

fn eligible(sim: &Sim) -> Vec<Value> {
    let woo = sim.woo.lock().unwrap();
    woo.orders.iter().filter(|o| o["status"] == "processing" || o["status"] == "completed").cloned().collect()
}

/// Fortnox orders per WooCommerce order id, read from the external reference.
fn fortnox_orders(sim: &Sim) -> BTreeMap<u64, Vec<Value>> {
    let fortnox = sim.fortnox.lock().unwrap();
    let mut by_order: BTreeMap<u64, Vec<Value>> = BTreeMap::new();
    for doc in fortnox.documents.orders.values() {
        let id = doc["ExternalInvoiceReference1"].as_str().unwrap().strip_prefix("woonox:woo:").unwrap();
        by_order.entry(id.parse().unwrap()).or_default().push(doc.clone());
    }
    by_order
}

#[test]
fn orders_become_one_fortnox_order_each_and_a_second_run_writes_nothing() {
    let (_rt, sim) = started(400);
    let eligible = eligible(&sim);
    assert!(eligible.len() > 30, "the stand-in should seed enough orders");
    assert!(eligible.iter().any(|o| o["currency"] == "EUR"), "two currencies");
    let data = connected("sync-orders", &sim);

    sim.log.clear();
    let dry = sync_json(&data, &["sync", "orders", "--dry-run", "--json"]);
    assert_eq!(writes(&sim), 0, "a dry run wrote");
    assert_eq!(dry["created"], eligible.len());
    let planned: BTreeSet<String> = dry["changes"].as_array().unwrap().iter().map(|c| c["item"].to_string()).collect();
    let expected: BTreeSet<String> = eligible.iter().map(|o| format!("\"order {}\"", o["id"])).collect();
    assert_eq!(planned, expected, "the dry run lists the orders it would send");

    let first = sync_json(&data, &["sync", "orders", "--json"]);
    assert_eq!(first["created"], eligible.len(), "{first}");
    assert_eq!(first["failed"], serde_json::json!([]));
    let documents = fortnox_orders(&sim);
    assert_eq!(documents.len(), eligible.len());
    let fortnox = sim.fortnox.lock().unwrap();
    let woo = sim.woo.lock().unwrap();
    for order in &eligible {
        let id = order["id"].as_u64().unwrap();
        let docs = &documents[&id];
        assert_eq!(docs.len(), 1, "order {id} has {} Fortnox documents", docs.len());
        let doc = &docs[0];
        assert!((money(&doc["Total"]) - money(&order["total"])).abs() < 0.005, "order {id}: totals differ");
        assert_eq!(doc["Currency"], order["currency"]);
        if order["currency"] != "SEK" {
            assert_eq!(money(&doc["CurrencyRate"]), 11.2, "the rate comes from Fortnox's currencies");
        }
        let customer = &fortnox.documents.customers[&doc["CustomerNumber"].as_str().unwrap().parse::<u64>().unwrap()];
        assert_eq!(customer["Email"], order["billing"]["email"]);
        let now = woo.orders.iter().find(|o| o["id"] == id).unwrap();
        let meta = now["meta_data"].as_array().unwrap().iter().find(|m| m["key"] == "_fortnox_order_number").unwrap();
        assert_eq!(meta["value"], doc["DocumentNumber"]);
        let notes = &woo.writes.notes[&id];
        assert_eq!(notes.len(), 1);
        assert!(notes[0]["note"].as_str().unwrap().contains(doc["DocumentNumber"].as_str().unwrap()));
    }
    let emails: BTreeSet<&str> = eligible.iter().map(|o| o["billing"]["email"].as_str().unwrap()).collect();
    assert_eq!(fortnox.documents.customers.len(), emails.len(), "one customer per buyer");
    drop((fortnox, woo));

    sim.log.clear();
    let second = sync_json(&data, &["sync", "orders", "--json"]);
    assert_eq!(writes(&sim), 0, "a second run wrote: {second}");
    assert_eq!(second["created"], 0);
}

#[test]
fn a_create_whose_answer_is_lost_is_found_not_repeated() {
    let (_rt, sim) = started(120);
    let eligible = eligible(&sim);
    let data = connected("sync-orders-drop", &sim);
    {
        let mut faults = sim.fortnox_faults.lock().unwrap();
        faults.drop_only = Some("/3/orders".into());
        faults.drop_after_commit = 1;
    }
    let first = woonox(&data, &["sync", "orders"]);
    assert_eq!(first.status.code(), Some(1), "the lost answer stops the run");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("run it again"), "{stderr}");
    assert_eq!(fortnox_orders(&sim).len(), 1, "the first create was committed");

    let second = sync_json(&data, &["sync", "orders", "--json"]);
    assert_eq!(second["failed"], serde_json::json!([]), "{second}");
    let documents = fortnox_orders(&sim);
    assert_eq!(documents.len(), eligible.len());
    assert!(documents.values().all(|d| d.len() == 1), "a Woo order has two Fortnox documents");
    let searched =
        sim.log.entries().iter().any(|e| e.path == "/3/orders" && e.query.contains("externalinvoicereference1"));
    assert!(searched, "the rerun looked before writing");
}

/// `woonox demo` on a small shop: every flow runs, nothing fails, and its last pass over
/// unchanged data writes nothing (it counts the stand-ins' log itself; the count printed
/// must be zero).
#[test]
fn the_demo_runs_every_flow_and_its_second_pass_writes_nothing() {
    let data = common::data_dir("demo");
    let out = woonox(&data, &["demo", "--articles", "120", "--orders", "40"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    for flow in ["products", "stock", "customers", "orders", "invoices", "credit-notes", "refunds"] {
        assert!(stdout.lines().any(|l| l.starts_with(flow)), "no {flow} row:\n{stdout}");
    }
    assert!(stdout.contains("API writes in this pass: 0"), "{stdout}");
    assert!(stdout.contains("Done: 0 item(s) failed"), "{stdout}");
    assert!(data.join("demo").join("state.sqlite").exists(), "the demo keeps its state in a local SQLite file");
}

/// The optional steps, by setting: a completed order's Fortnox order becomes an invoice,
/// which is bookkept and paid with the payment method's mode of payment; a cancelled
/// order cancels its Fortnox order; a second run writes nothing.
#[test]
fn invoicing_bookkeeping_payment_and_cancelling_follow_the_settings() {
    let (_rt, sim) = started(160);
    let data = connected("sync-orders-steps", &sim);
    let settings = data.join("settings.toml");
    std::fs::write(
        &settings,
        "[flows]\ninvoice-at-status = \"completed\"\nbookkeep = true\n\
         payment-modes = [{ method = \"stripe\", mode = \"KORT\", account = 1580 }]\n",
    )
    .unwrap();
    let settings = settings.to_string_lossy().into_owned();
    let run = || sync_json(&data, &["--settings", &settings, "sync", "orders", "--json"]);
    assert_eq!(run()["failed"], serde_json::json!([]));
    let eligible = eligible(&sim);
    let documents = fortnox_orders(&sim);
    {
        let fortnox = sim.fortnox.lock().unwrap();
        for order in &eligible {
            let doc = &documents[&order["id"].as_u64().unwrap()][0];
            let invoice = doc["InvoiceReference"].as_str().unwrap();
            if order["status"] == "completed" {
                let invoice = &fortnox.documents.invoices[&invoice.parse::<u64>().unwrap()];
                assert_eq!(invoice["Booked"], true, "{invoice}");
                assert_eq!(money(&invoice["Balance"]), 0.0, "paid: {invoice}");
                assert_eq!(invoice["FinalPayDate"].as_str().map(str::len), Some(10));
            } else {
                assert_eq!(invoice, "0", "a processing order is not invoiced");
            }
        }
        let payments = &fortnox.documents.payments;
        assert!(payments.iter().all(|p| p["ModeOfPayment"] == "KORT" && p["ModeOfPaymentAccount"] == 1580));
        let completed = eligible.iter().filter(|o| o["status"] == "completed").count();
        assert_eq!(payments.len(), completed, "one payment per invoice");
    }
    let processing = eligible.iter().find(|o| o["status"] == "processing").unwrap()["id"].as_u64().unwrap();
    {
        let mut woo = sim.woo.lock().unwrap();
        let order = woo.orders.iter_mut().find(|o| o["id"] == processing).unwrap();
        order["status"] = serde_json::json!("cancelled");
        order["date_modified_gmt"] = serde_json::json!("2099-01-01T00:00:00");
    }
    assert_eq!(run()["updated"], 1);
    assert_eq!(fortnox_orders(&sim)[&processing][0]["Cancelled"], true);
    sim.log.clear();
    run();
    assert_eq!(writes(&sim), 0, "a second run wrote");
}

/// A rate fetched from Fortnox is kept with its order's day: a later run (as each webhook
/// delivery is) reuses it for another order of that day, and asks again for a later day.
#[test]
fn a_fetched_rate_serves_later_runs_for_orders_of_the_same_day() {
    let (_rt, sim) = started(400);
    let euro: Vec<u64> =
        eligible(&sim).iter().filter(|o| o["currency"] == "EUR").filter_map(|o| o["id"].as_u64()).collect();
    assert!(euro.len() >= 3, "the stand-in should seed euro orders");
    let now = || chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    // Only the order `id` is paid, made at `made` and just modified.
    let only = |id: u64, made: &str| {
        let mut woo = sim.woo.lock().unwrap();
        for order in woo.orders.iter_mut() {
            if order["id"] == id {
                order["status"] = "processing".into();
                order["date_created_gmt"] = made.into();
                order["date_modified_gmt"] = now().into();
                order["date_modified"] = now().into();
            } else if order["status"] == "processing" || order["status"] == "completed" {
                order["status"] = "on-hold".into();
            }
        }
    };
    let rate_calls = || sim.log.entries().iter().filter(|e| e.path.starts_with("/3/currencies")).count();
    let data = connected("sync-orders-rate-kept", &sim);
    for (id, made, calls) in
        [(euro[0], "2026-12-01T09:00:00", 1), (euro[1], "2026-12-01T15:00:00", 0), (euro[2], "2026-12-02T08:00:00", 1)]
    {
        only(id, made);
        sim.log.clear();
        let report = sync_json(&data, &["sync", "orders", "--json"]);
        assert_eq!(report["created"], 1, "order {id}: {report}");
        assert_eq!(rate_calls(), calls, "order {id} made {made}");
        assert_eq!(money(&fortnox_orders(&sim)[&id][0]["CurrencyRate"]), 11.2);
    }
}
