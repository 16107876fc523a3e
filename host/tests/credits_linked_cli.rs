//! Refunds credited the way Fortnox links its own credits: the first credit of a booked
//! invoice is Fortnox's `/credit` with its rows cut down to the refunded lines, a later one
//! a new credit naming the original; a foreign-currency credit keeps the original's rate;
//! an amount refunded without lines is split over the order's VAT rates; a lost `/credit`
//! answer never makes a second credit.

mod common;

use common::{connected, money, started, sync_json, woonox, writes};
use serde_json::{Value, json};
use woonox_sim::Sim;

fn settings(data: &std::path::Path, text: &str) -> String {
    std::fs::create_dir_all(data).unwrap();
    let path = data.join("settings.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

const BOOKED: &str = "[order]\ndocument = \"invoice\"\n\n[flows]\nbookkeep = true\n";
const UNBOOKED: &str = "[order]\ndocument = \"invoice\"\n";

fn invoices_of(sim: &Sim, order_id: u64) -> (Value, Vec<Value>) {
    let reference = format!("woonox:woo:{order_id}");
    let fortnox = sim.fortnox.lock().unwrap();
    let mine: Vec<Value> = fortnox
        .documents
        .invoices
        .values()
        .filter(|i| i["ExternalInvoiceReference1"] == reference.as_str())
        .cloned()
        .collect();
    let original = mine.iter().find(|i| i["Credit"] != true).cloned().unwrap();
    (original, mine.into_iter().filter(|i| i["Credit"] == true).collect())
}

/// Refunds one unit of line `line`, or `amount` without lines.
fn refund(sim: &Sim, order_id: u64, line: Option<usize>, amount: Option<&str>) -> Value {
    let mut woo = sim.woo.lock().unwrap();
    let state = &mut *woo;
    let order = state.orders.iter().find(|o| o["id"] == order_id).unwrap().clone();
    let body = match (line, amount) {
        (Some(i), _) => {
            let line = &order["line_items"][i];
            let per = |k: &str| money(&line[k]) / money(&line["quantity"]);
            json!({ "api_refund": false, "line_items": [{ "id": line["id"], "quantity": 1,
                "refund_total": format!("{:.2}", per("total")),
                "refund_tax": [{ "id": line["taxes"][0]["id"], "refund_total": format!("{:.2}", per("total_tax")) }] }] })
        }
        (None, Some(amount)) => json!({ "amount": amount, "api_refund": false, "line_items": [] }),
        (None, None) => unreachable!(),
    };
    state.writes.refund(&mut state.orders, order_id, &body).unwrap()
}

/// A paid order in `currency`, with lines at two VAT rates or more when `mixed`.
fn paid_order(sim: &Sim, currency: &str, mixed: bool) -> Value {
    let woo = sim.woo.lock().unwrap();
    let rates = |o: &Value| -> std::collections::BTreeSet<u64> {
        o["line_items"].as_array().unwrap().iter().map(|l| l["taxes"][0]["id"].as_u64().unwrap()).collect()
    };
    woo.orders
        .iter()
        .find(|o| {
            let paid = o["status"] == "processing" || o["status"] == "completed";
            paid && o["currency"] == currency && (!mixed || rates(o).len() >= 2)
        })
        .cloned()
        .unwrap()
}

fn skus(invoice: &Value) -> Vec<Value> {
    invoice["InvoiceRows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ArticleNumber"].clone())
        .filter(|a| !a.is_null())
        .collect()
}

#[test]
fn a_booked_invoice_is_credited_by_fortnox_and_later_refunds_name_the_original() {
    let (_rt, sim) = started(200);
    let data = connected("credits-linked", &sim);
    let settings = settings(&data, BOOKED);
    let run = |flow: &str| sync_json(&data, &["--settings", &settings, "sync", flow, "--json"]);
    assert_eq!(run("orders")["failed"], json!([]));
    let order = paid_order(&sim, "SEK", true);
    let id = order["id"].as_u64().unwrap();
    let (original, _) = invoices_of(&sim, id);
    assert_eq!(original["Booked"], true);

    let first = refund(&sim, id, Some(1), None);
    sim.log.clear();
    assert_eq!(run("refunds")["failed"], json!([]));
    assert!(sim.log.entries().iter().any(|e| e.path.ends_with("/credit")), "Fortnox's own credit was used");
    let (original, credits) = invoices_of(&sim, id);
    assert_eq!(credits.len(), 1);
    let credit = &credits[0];
    assert_eq!(original["CreditInvoiceReference"], credit["DocumentNumber"], "the original names its credit");
    assert_eq!(credit["CreditInvoiceReference"], original["DocumentNumber"], "the credit names the original");
    assert_eq!(skus(credit), vec![order["line_items"][1]["sku"].clone()], "only the refunded line: {credit}");
    assert!((money(&credit["Total"]) + money(&first["amount"])).abs() < 0.005, "{credit}");
    assert_eq!(credit["ExternalInvoiceReference2"], format!("woonox:woo:refund:{}", first["id"]));
    assert_eq!(money(&original["Balance"]), money(&original["Total"]), "Fortnox does not net a credit");

    let second = refund(&sim, id, Some(0), None);
    assert_eq!(run("refunds")["created"], 1);
    let (original, credits) = invoices_of(&sim, id);
    assert_eq!(credits.len(), 2);
    let later =
        credits.iter().find(|c| c["ExternalInvoiceReference2"] == format!("woonox:woo:refund:{}", second["id"]));
    let later = later.unwrap();
    let named = format!("Kreditering av faktura {}", original["DocumentNumber"].as_str().unwrap());
    assert_eq!(later["InvoiceRows"][0]["Description"], named.as_str(), "a later credit names the original");
    assert_eq!(original["CreditInvoiceReference"], credits[0]["DocumentNumber"], "the original keeps its first credit");
    assert_eq!(skus(later), vec![order["line_items"][0]["sku"].clone()]);

    sim.log.clear();
    run("refunds");
    run("credit-notes");
    assert_eq!(writes(&sim), 0, "a second run wrote");
}

#[test]
fn a_lost_credit_answer_is_found_not_repeated() {
    let (_rt, sim) = started(120);
    let data = connected("credits-lost", &sim);
    let settings = settings(&data, BOOKED);
    assert_eq!(sync_json(&data, &["--settings", &settings, "sync", "orders", "--json"])["failed"], json!([]));
    let order = paid_order(&sim, "SEK", true);
    let id = order["id"].as_u64().unwrap();
    let refunded = refund(&sim, id, Some(0), None);
    {
        let mut faults = sim.fortnox_faults.lock().unwrap();
        faults.drop_only =
            Some(format!("/3/invoices/{}/credit", invoices_of(&sim, id).0["DocumentNumber"].as_str().unwrap()));
        faults.drop_after_commit = 1;
    }
    let lost = woonox(&data, &["--settings", &settings, "sync", "refunds"]);
    assert_eq!(lost.status.code(), Some(1), "the lost answer stops the run");
    // The credit-notes flow must not take woonox's unfinished credit for the accountant's.
    let notes = sync_json(&data, &["--settings", &settings, "sync", "credit-notes", "--json"]);
    assert_eq!(notes["created"], 0, "{notes}");
    assert_eq!(sync_json(&data, &["--settings", &settings, "sync", "refunds", "--json"])["failed"], json!([]));
    let (_, credits) = invoices_of(&sim, id);
    assert_eq!(credits.len(), 1, "one credit after the lost answer: {credits:?}");
    assert_eq!(skus(&credits[0]), vec![order["line_items"][0]["sku"].clone()]);
    assert!((money(&credits[0]["Total"]) + money(&refunded["amount"])).abs() < 0.005);
}

#[test]
fn a_foreign_currency_credit_keeps_the_rate_and_an_amount_is_split_over_the_rates() {
    let (_rt, sim) = started(400);
    let data = connected("credits-currency", &sim);
    let settings = settings(&data, UNBOOKED);
    let run = |flow: &str| sync_json(&data, &["--settings", &settings, "sync", flow, "--json"]);
    assert_eq!(run("orders")["failed"], json!([]));
    let eur = paid_order(&sim, "EUR", false);
    let sek = paid_order(&sim, "SEK", true);
    refund(&sim, eur["id"].as_u64().unwrap(), Some(0), None);
    let half = format!("{:.2}", (money(&sek["total"]) * 50.0).floor() / 100.0);
    refund(&sim, sek["id"].as_u64().unwrap(), None, Some(&half));
    assert_eq!(run("refunds")["failed"], json!([]));

    let (original, credits) = invoices_of(&sim, eur["id"].as_u64().unwrap());
    assert_eq!(credits.len(), 1);
    assert_eq!(credits[0]["Currency"], "EUR");
    assert_eq!(money(&credits[0]["CurrencyRate"]), money(&original["CurrencyRate"]), "the original's rate");
    let named = format!("Kreditering av faktura {}", original["DocumentNumber"].as_str().unwrap());
    assert_eq!(credits[0]["InvoiceRows"][0]["Description"], named.as_str(), "the credit names the original");

    let (_, credits) = invoices_of(&sim, sek["id"].as_u64().unwrap());
    assert_eq!(credits.len(), 1);
    let rates: std::collections::BTreeSet<u64> = credits[0]["InvoiceRows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("Price").is_some())
        .map(|r| r["VAT"].as_u64().unwrap())
        .collect();
    assert!(rates.len() >= 2, "split over the order's rates: {}", credits[0]);
    assert!((money(&credits[0]["Total"]) + money(&json!(half))).abs() < 0.005, "{}", credits[0]);
}
