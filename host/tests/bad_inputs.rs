//! Bad input from either side, through the binary: each gets one clear message saying
//! what is wrong (and, where the user can act, what to do), and nothing is half-written.
//! RELIABILITY.md lists these cases with the messages a user sees.

mod common;

use common::{connected, started, woonox, writes};
use serde_json::{Value, json};
use woonox_sim::Sim;

fn run(data: &std::path::Path, args: &[&str]) -> (Option<i32>, String) {
    let out = woonox(data, args);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn documents_for(sim: &Sim, order_id: u64) -> usize {
    let reference = format!("woonox:woo:{order_id}");
    let fortnox = sim.fortnox.lock().unwrap();
    fortnox.documents.orders.values().filter(|o| o["ExternalInvoiceReference1"] == reference.as_str()).count()
}

fn can(faults: &woonox_sim::faults::SharedFaults, status: u16, body: &str) {
    faults.lock().unwrap().canned = Some((1, status, body.to_owned()));
}

#[test]
fn malformed_json_from_either_api_stops_the_flow_with_nothing_written() {
    let (_rt, sim) = started(40);
    let data = connected("bad-json", &sim);
    sim.log.clear();
    can(&sim.woo_faults, 200, r#"[{"id": 1, "status": "#);
    let (code, text) = run(&data, &["sync", "orders"]);
    assert_eq!(code, Some(1));
    assert!(text.contains("WooCommerce sent a page of orders that is not a JSON list"), "{text}");
    assert!(text.contains("run it again"), "{text}");
    can(&sim.fortnox_faults, 200, r#"{"Articles": [{"ArticleNumber": "#);
    let (code, text) = run(&data, &["sync", "products"]);
    assert_eq!(code, Some(1));
    // The products flow reads the price list first.
    assert!(text.contains("Fortnox sent a page of prices that is not JSON"), "{text}");
    assert_eq!(writes(&sim), 0);
}

#[test]
fn wrong_types_and_an_unknown_vat_rate_fail_that_order_alone() {
    let (_rt, sim) = started(60);
    {
        let mut woo = sim.woo.lock().unwrap();
        let good = woo.orders.iter().find(|o| o["status"] == "processing").cloned().unwrap();
        let mut wrong_types = good.clone();
        wrong_types["id"] = json!(8001);
        wrong_types["total"] = json!({ "amount": 1 });
        wrong_types["line_items"] = json!("three mugs");
        let mut eight_percent = good.clone();
        eight_percent["id"] = json!(8002);
        eight_percent["line_items"][0]["total"] = json!("100.00");
        eight_percent["line_items"][0]["total_tax"] = json!("8.00");
        eight_percent["line_items"][0]["taxes"] = json!([]);
        woo.orders.extend([wrong_types, eight_percent]);
    }
    let data = connected("bad-types", &sim);
    let out = woonox(&data, &["sync", "orders", "--json"]);
    assert_eq!(out.status.code(), Some(1), "failed items make the exit code 1");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = report["failed"].as_array().unwrap();
    let reason = |id: u64| failed.iter().find(|f| f["item"] == format!("order {id}")).map(|f| f["reason"].to_string());
    let wrong = reason(8001).expect("the order with wrong types fails");
    assert!(wrong.contains("does not have the expected shape"), "{wrong}");
    let vat = reason(8002).expect("the 8 % order fails");
    assert!(vat.contains("8") && vat.contains("not a Fortnox VAT rate"), "{vat}");
    assert_eq!(failed.len(), 2, "only those two: {report}");
    assert_eq!((documents_for(&sim, 8001), documents_for(&sim, 8002)), (0, 0));
    let eligible = sim
        .woo
        .lock()
        .unwrap()
        .orders
        .iter()
        .filter(|o| o["status"] == "processing" || o["status"] == "completed")
        .count();
    assert_eq!(report["created"], eligible - 2, "the other orders went through");
}

#[test]
fn a_ten_megabyte_page_is_read_and_the_flow_completes() {
    let (_rt, sim) = started(40);
    {
        let mut woo = sim.woo.lock().unwrap();
        woo.products[0]["description"] = json!("x".repeat(10 << 20));
    }
    let data = connected("bad-huge", &sim);
    let (code, text) = run(&data, &["sync", "stock"]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn forbidden_answers_say_what_permission_is_missing() {
    let (_rt, sim) = started(10);
    let data = connected("bad-403", &sim);
    can(&sim.fortnox_faults, 403, r#"{"ErrorInformation":{"error":1,"message":"Behörighet saknas","code":2001101}}"#);
    let (code, text) = run(&data, &["sync", "products"]);
    assert_eq!(code, Some(2), "a connection problem is the user's to fix: {text}");
    assert!(text.contains("no active licence"), "{text}");
    can(
        &sim.woo_faults,
        403,
        r#"{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":403}}"#,
    );
    let (code, text) = run(&data, &["sync", "orders"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("give it Read/Write"), "{text}");
}

#[test]
fn a_credit_larger_than_what_is_left_to_refund_is_refused_and_explained() {
    let (_rt, sim) = started(60);
    let data = connected("bad-refund", &sim);
    let settings = data.join("settings.toml");
    std::fs::write(&settings, "[order]\ndocument = \"invoice\"\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();
    assert_eq!(run(&data, &["--settings", &settings, "sync", "orders"]).0, Some(0));
    let order = sim.woo.lock().unwrap().orders.iter().find(|o| o["status"] == "processing").cloned().unwrap();
    let id = order["id"].as_u64().unwrap();
    {
        // Refunded in full in WooCommerce, and credited in full in Fortnox as well.
        let mut woo = sim.woo.lock().unwrap();
        let state = &mut *woo;
        state.writes.refund(&mut state.orders, id, &json!({ "amount": order["total"], "api_refund": false })).unwrap();
        let mut fortnox = sim.fortnox.lock().unwrap();
        let reference = format!("woonox:woo:{id}");
        let number = *fortnox
            .documents
            .invoices
            .iter()
            .find(|(_, i)| i["ExternalInvoiceReference1"] == reference.as_str())
            .unwrap()
            .0;
        fortnox.documents.invoice_action(number, "bookkeep").unwrap();
        fortnox.documents.invoice_action(number, "credit").unwrap();
    }
    let (code, text) = run(&data, &["--settings", &settings, "sync", "credit-notes"]);
    assert_eq!(code, Some(1));
    assert!(text.contains("would not refund") && text.contains(&format!("on order {id}")), "{text}");
    assert!(text.contains("Invalid refund amount") && text.contains("already refunded"), "{text}");
    assert_eq!(sim.woo.lock().unwrap().writes.refunds[&id].len(), 1, "no second refund");
}
