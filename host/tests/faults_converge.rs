//! Injected faults: with the stand-ins failing a tenth of all calls at random (429 storms,
//! 503s, slow answers, and writes committed but their answer dropped), `woonox sync all`
//! run until it succeeds reaches exactly the state a fault-free twin reaches: the same
//! documents, customers, products, statuses and refunds, nothing twice, nothing missing.
//! `WOONOX_CHAOS_PERCENT` (default 10) and `WOONOX_CHAOS_SEED` (default 3) set the faults.

mod common;

use common::{connected, woonox};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use woonox_sim::{Sim, SimConfig};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn money(v: &Value) -> String {
    format!("{:.2}", v.as_f64().or_else(|| v.as_str()?.parse().ok()).unwrap_or(0.0))
}

/// Runs `sync all` until it succeeds; answers how many runs it took.
fn until_done(data: &std::path::Path, settings: &str) -> usize {
    for run in 1..=80 {
        if woonox(data, &["--settings", settings, "sync", "all"]).status.code() == Some(0) {
            return run;
        }
    }
    panic!("sync all did not converge in 80 runs");
}

/// What the merchant and the accountant see, without numbers each side assigns itself.
fn state(sim: &Sim) -> Value {
    let (woo, fortnox) = (sim.woo.lock().unwrap(), sim.fortnox.lock().unwrap());
    let mut documents: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for i in fortnox.documents.invoices.values() {
        let key = format!("{} {} {}", i["ExternalInvoiceReference1"], i["ExternalInvoiceReference2"], i["Credit"]);
        documents.entry(key).or_default().push(json!([
            money(&i["Total"]),
            i["Cancelled"],
            i["Booked"],
            money(&i["Balance"])
        ]));
    }
    let mut customers: Vec<&Value> = fortnox.documents.customers.values().map(|c| &c["Email"]).collect();
    customers.sort_by_key(|e| e.to_string());
    let products: BTreeMap<String, Value> = woo
        .products
        .iter()
        .map(|p| {
            (format!("{} {}", p["sku"], p["id"]), json!([p["regular_price"], p["stock_quantity"], p["manage_stock"]]))
        })
        .collect();
    let orders: BTreeMap<String, Value> = woo
        .orders
        .iter()
        .map(|o| {
            let id = o["id"].as_u64().unwrap();
            let notes = woo.writes.notes.get(&id).map_or(0, Vec::len);
            let mut refunds: Vec<String> =
                woo.writes.refunds.get(&id).into_iter().flatten().map(|r| money(&r["amount"])).collect();
            refunds.sort();
            let fortnox_meta = o["meta_data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["key"].as_str().unwrap_or("").starts_with("_fortnox"))
                .count();
            (id.to_string(), json!([o["status"], notes, refunds, fortnox_meta]))
        })
        .collect();
    json!({ "documents": documents, "customers": customers, "products": products, "orders": orders })
}

/// The accountant's day in Fortnox, the same on both twins: one invoice paid, one credited.
fn accountant(sim: &Sim, paid_order: u64, credited_order: u64) {
    let mut fortnox = sim.fortnox.lock().unwrap();
    let number_of = |order: u64| {
        let reference = format!("woonox:woo:{order}");
        let found = fortnox
            .documents
            .invoices
            .iter()
            .find(|(_, i)| i["ExternalInvoiceReference1"] == reference.as_str() && i["Credit"] != true);
        found.map(|(n, i)| (*n, i.clone())).unwrap()
    };
    let (paid, invoice) = number_of(paid_order);
    let (credited, _) = number_of(credited_order);
    fortnox.documents.pay(&json!({ "InvoicePayment": { "InvoiceNumber": paid, "Amount": invoice["Balance"], "PaymentDate": invoice["InvoiceDate"] } })).unwrap();
    fortnox.documents.invoice_action(credited, "bookkeep").unwrap();
    fortnox.documents.invoice_action(credited, "credit").unwrap();
}

#[test]
fn under_random_faults_every_flow_reaches_the_fault_free_state() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig { articles: 120, orders: Some(40), refunds: 4, ..SimConfig::default() };
    let calm = rt.block_on(Sim::start(config.clone())).unwrap();
    let chaotic = rt.block_on(Sim::start(config)).unwrap();
    let (calm_data, chaotic_data) = (connected("faults-calm", &calm), connected("faults-chaos", &chaotic));
    let settings = calm_data.join("settings.toml");
    std::fs::write(&settings, "[order]\ndocument = \"invoice\"\n\n[flows]\npaid-status = \"completed\"\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();
    let percent = env_number("WOONOX_CHAOS_PERCENT", 10) as u32;
    for (i, faults) in [&chaotic.fortnox_faults, &chaotic.woo_faults].into_iter().enumerate() {
        let mut f = faults.lock().unwrap();
        f.chaos_percent = percent;
        f.chaos_seed = env_number("WOONOX_CHAOS_SEED", 3) + i as u64;
    }

    assert_eq!(until_done(&calm_data, &settings), 1, "the fault-free twin needs one run");
    let first_runs = until_done(&chaotic_data, &settings);
    let unrefunded: Vec<u64> = calm
        .woo
        .lock()
        .unwrap()
        .orders
        .iter()
        .filter(|o| o["status"] == "processing" && o["refunds"].as_array().unwrap().is_empty())
        .map(|o| o["id"].as_u64().unwrap())
        .take(2)
        .collect();
    accountant(&calm, unrefunded[0], unrefunded[1]);
    accountant(&chaotic, unrefunded[0], unrefunded[1]);
    until_done(&calm_data, &settings);
    let second_runs = until_done(&chaotic_data, &settings);
    assert_eq!(state(&chaotic), state(&calm), "the faulty twin ended elsewhere");
    let served = |s: &Sim| {
        let (f, w) = (s.fortnox_faults.lock().unwrap().served.clone(), s.woo_faults.lock().unwrap().served.clone());
        (
            f.rate_limited + w.rate_limited,
            f.server_errors + w.server_errors,
            f.slow + w.slow,
            f.dropped_after_commit + w.dropped_after_commit,
        )
    };
    let (limited, errors, slow, dropped) = served(&chaotic);
    assert!(dropped > 0 && errors > 0 && limited > 0 && slow > 0, "every kind of fault should have been met");
    eprintln!(
        "faults: {percent}% of calls; {limited} × 429, {errors} × 503, {slow} slow, {dropped} committed-then-dropped; \
         runs {first_runs} + {second_runs}; duplicates 0, lost 0"
    );
}
