//! Refunds, credit notes and invoices through the binary against the stand-ins:
//! a whole refund of an unbooked, unpaid invoice cancels it; a partial refund becomes a
//! credit invoice of just its lines; a Fortnox credit becomes a WooCommerce refund that is
//! never sent back; a paid invoice moves its order to the paid status; every second run
//! writes nothing; a lost answer never makes a second credit.

mod common;

use common::{connected, money, started, sync_json, woonox, writes};
use serde_json::{Value, json};
use woonox_sim::Sim;

const SETTINGS: &str = "[order]\ndocument = \"invoice\"\n\n[flows]\npaid-status = \"completed\"\n";

fn with_settings(data: &std::path::Path) -> String {
    std::fs::create_dir_all(data).unwrap();
    let path = data.join("settings.toml");
    std::fs::write(&path, SETTINGS).unwrap();
    path.to_string_lossy().into_owned()
}

/// The Fortnox invoice woonox made for a WooCommerce order (not a credit).
fn invoice_of(sim: &Sim, order_id: u64) -> Value {
    let reference = format!("woonox:woo:{order_id}");
    let fortnox = sim.fortnox.lock().unwrap();
    let found = fortnox
        .documents
        .invoices
        .values()
        .find(|i| i["ExternalInvoiceReference1"] == reference.as_str() && i["Credit"] != true);
    found.cloned().unwrap()
}

fn credits_of(sim: &Sim, order_id: u64) -> Vec<Value> {
    let reference = format!("woonox:woo:{order_id}");
    let fortnox = sim.fortnox.lock().unwrap();
    fortnox
        .documents
        .invoices
        .values()
        .filter(|i| i["ExternalInvoiceReference1"] == reference.as_str() && i["Credit"] == true)
        .cloned()
        .collect()
}

/// Refunds `lines` (line index, quantity) of a WooCommerce order, or the whole order.
fn refund(sim: &Sim, order_id: u64, lines: Option<&[(usize, i64)]>) -> Value {
    let mut woo = sim.woo.lock().unwrap();
    let state = &mut *woo;
    let order = state.orders.iter().find(|o| o["id"] == order_id).unwrap().clone();
    let body = match lines {
        None => json!({ "amount": order["total"], "api_refund": false, "line_items": [] }),
        Some(lines) => {
            let items: Vec<Value> = lines
                .iter()
                .map(|(i, q)| {
                    let line = &order["line_items"][*i];
                    let per = |k: &str| money(&line[k]) / money(&line["quantity"]) * *q as f64;
                    json!({ "id": line["id"], "quantity": q, "refund_total": format!("{:.2}", per("total")),
                            "refund_tax": [{ "id": line["taxes"][0]["id"], "refund_total": format!("{:.2}", per("total_tax")) }] })
                })
                .collect();
            json!({ "api_refund": false, "line_items": items })
        }
    };
    state.writes.refund(&mut state.orders, order_id, &body).unwrap()
}

#[test]
fn refunds_credit_notes_and_invoices_each_happen_once() {
    let (_rt, sim) = started(160);
    let data = connected("sync-money-back", &sim);
    let settings = with_settings(&data);
    let run = |flow: &str| sync_json(&data, &["--settings", &settings, "sync", flow, "--json"]);
    assert_eq!(run("orders")["failed"], json!([]));
    let orders: Vec<Value> =
        sim.woo.lock().unwrap().orders.iter().filter(|o| o["status"] == "processing").cloned().collect();
    let multi_line = |o: &&Value| o["line_items"].as_array().unwrap().len() >= 2;
    let whole = orders[0]["id"].as_u64().unwrap();
    let partial_order = orders[1..].iter().find(multi_line).unwrap().clone();
    let partial = partial_order["id"].as_u64().unwrap();
    let (credited, paid) = {
        let rest: Vec<u64> =
            orders.iter().map(|o| o["id"].as_u64().unwrap()).filter(|id| ![whole, partial].contains(id)).collect();
        (rest[0], rest[1])
    };

    // WooCommerce → Fortnox: a whole refund and a partial one.
    refund(&sim, whole, None);
    let partial_refund = refund(&sim, partial, Some(&[(1, 1)]));
    let report = run("refunds");
    assert_eq!((report["created"].clone(), report["updated"].clone()), (json!(1), json!(1)), "{report}");
    assert_eq!(invoice_of(&sim, whole)["Cancelled"], true, "the whole refund cancels the unbooked, unpaid invoice");
    assert!(credits_of(&sim, whole).is_empty());
    let credits = credits_of(&sim, partial);
    assert_eq!(credits.len(), 1);
    assert!(
        (money(&credits[0]["Total"]) + money(&partial_refund["amount"])).abs() < 0.005,
        "the credit is the refund, to the öre"
    );
    assert_eq!(credits[0]["ExternalInvoiceReference2"], format!("woonox:woo:refund:{}", partial_refund["id"]));
    let credited_skus: Vec<&Value> = credits[0]["InvoiceRows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["ArticleNumber"])
        .filter(|a| !a.is_null())
        .collect();
    assert_eq!(credited_skus, vec![&partial_order["line_items"][1]["sku"]], "only the refunded line");
    // A second partial refund of the same order is a second credit of the same invoice.
    let second_refund = refund(&sim, partial, Some(&[(0, 1)]));
    assert_eq!(run("refunds")["created"], 1);
    let credits = credits_of(&sim, partial);
    assert_eq!(credits.len(), 2, "several credits per invoice");
    assert!(
        credits.iter().any(|c| c["ExternalInvoiceReference2"] == format!("woonox:woo:refund:{}", second_refund["id"]))
    );

    // Fortnox → WooCommerce: a credit of a booked invoice becomes a refund, once.
    let credited_invoice = invoice_of(&sim, credited);
    let number: u64 = credited_invoice["DocumentNumber"].as_str().unwrap().parse().unwrap();
    {
        let mut fortnox = sim.fortnox.lock().unwrap();
        fortnox.documents.invoice_action(number, "bookkeep").unwrap();
        fortnox.documents.invoice_action(number, "credit").unwrap();
    }
    let report = run("credit-notes");
    assert_eq!(report["created"], 1, "{report}");
    let refunds = sim.woo.lock().unwrap().writes.refunds[&credited].clone();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["refunded_payment"], false, "api_refund must be false");
    assert!((money(&refunds[0]["amount"]) - money(&credited_invoice["Total"])).abs() < 0.005);
    let fortnox_documents = sim.fortnox.lock().unwrap().documents.invoices.len();
    assert_eq!(run("refunds")["created"], 0, "the refund woonox made is not sent back");
    assert_eq!(sim.fortnox.lock().unwrap().documents.invoices.len(), fortnox_documents);

    // A fully paid invoice moves its order to the paid status.
    sim.woo.lock().unwrap().orders.iter_mut().find(|o| o["id"] == paid).unwrap()["status"] = json!("processing");
    let paid_invoice = invoice_of(&sim, paid);
    sim.fortnox
        .lock()
        .unwrap()
        .documents
        .pay(&json!({ "InvoicePayment": {
        "InvoiceNumber": paid_invoice["DocumentNumber"].as_str().unwrap().parse::<u64>().unwrap(),
        "Amount": paid_invoice["Total"], "PaymentDate": "2099-01-01" } }))
        .unwrap();
    let report = run("invoices");
    assert_eq!(report["updated"], 1, "{report}");
    let status = sim.woo.lock().unwrap().orders.iter().find(|o| o["id"] == paid).unwrap()["status"].clone();
    assert_eq!(status, "completed");

    sim.log.clear();
    for flow in ["orders", "refunds", "credit-notes", "invoices"] {
        run(flow);
        assert_eq!(writes(&sim), 0, "a second {flow} run wrote");
    }
}

#[test]
fn a_credit_whose_answer_is_lost_is_found_not_repeated() {
    let (_rt, sim) = started(120);
    let data = connected("sync-refund-drop", &sim);
    let settings = with_settings(&data);
    assert_eq!(sync_json(&data, &["--settings", &settings, "sync", "orders", "--json"])["failed"], json!([]));
    let order = sim.woo.lock().unwrap().orders.iter().find(|o| o["status"] == "processing").cloned().unwrap();
    let id = order["id"].as_u64().unwrap();
    refund(&sim, id, Some(&[(0, 1)]));
    {
        let mut faults = sim.fortnox_faults.lock().unwrap();
        faults.drop_only = Some("/3/invoices".into());
        faults.drop_after_commit = 1;
    }
    let first = woonox(&data, &["--settings", &settings, "sync", "refunds"]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(credits_of(&sim, id).len(), 1, "the credit was committed");
    let again = sync_json(&data, &["--settings", &settings, "sync", "refunds", "--json"]);
    assert_eq!(again["failed"], json!([]), "{again}");
    assert_eq!(credits_of(&sim, id).len(), 1, "exactly one credit per refund");
}
