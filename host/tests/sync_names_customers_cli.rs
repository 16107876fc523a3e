//! Names and customers through the binary, against stand-ins that store names the way a
//! real WooCommerce 10.0.2 does (`&` as `&amp;`, a `<b>` tag kept): Fortnox gets text, not
//! HTML; the customers flow reads the store's customers and skips staff with a reason; a
//! registered company gets one Fortnox customer, whose organisation number is learned from
//! its first order; a refused order writes nothing, not even its customer.

mod common;

use common::{connected, started, sync_json, sync_report, woonox, writes};
use serde_json::{Value, json};
use woonox_sim::Sim;
use woonox_sim::woo_orders::{BuyerSpec, LineSpec, OrderSpec, build};

/// A processing order of `lines` (name, rate) for `buyer`, added to the store.
fn add_order(sim: &Sim, id: u64, customer_id: u64, email: &str, buyer: BuyerSpec, lines: &[(&str, u32)]) {
    let spec = OrderSpec {
        id,
        status: "processing".into(),
        currency: "SEK".into(),
        decimals: 2,
        prices_include_tax: true,
        lines: lines
            .iter()
            .map(|(name, rate)| LineSpec {
                sku: "SIM-00001".into(),
                name: (*name).into(),
                rate: *rate,
                quantity: 1,
                unit_cents: 24_900,
            })
            .collect(),
        coupon_percent: 0,
        shipping: None,
        fees: Vec::new(),
        email: email.into(),
        buyer,
        customer_id,
        modified_gmt: "2026-11-26T20:00:00".into(),
    };
    sim.woo.lock().unwrap().orders.push(build(&spec).0);
}

fn fortnox_customers(sim: &Sim) -> Vec<Value> {
    sim.fortnox.lock().unwrap().documents.customers.values().cloned().collect()
}

fn fortnox_orders(sim: &Sim) -> Vec<Value> {
    sim.fortnox.lock().unwrap().documents.orders.values().cloned().collect()
}

fn order_for(sim: &Sim, id: u64) -> Option<Value> {
    let reference = format!("woonox:woo:{id}");
    fortnox_orders(sim).into_iter().find(|o| o["ExternalInvoiceReference1"] == reference.as_str())
}

fn markup(text: &str) -> bool {
    text.contains("&amp;") || text.contains('<') || text.contains('>')
}

#[test]
fn names_reach_fortnox_as_text_not_html() {
    let (_rt, sim) = started(120);
    let company = BuyerSpec { company: "Bröd &amp; <b>Salt</b> AB".into(), ..BuyerSpec::default() };
    add_order(&sim, 8001, 0, "brod@example.se", company, &[("Kaffe & Kultur – <b>fet</b>", 25)]);
    assert!(
        sim.woo.lock().unwrap().orders.last().unwrap()["line_items"][0]["name"]
            .as_str()
            .unwrap()
            .starts_with("Kaffe &amp; Kultur"),
        "the stand-in escapes line names as the store does"
    );
    let data = connected("sync-names", &sim);
    let report = sync_json(&data, &["sync", "orders", "--json"]);
    assert_eq!(report["failed"], json!([]), "{report}");

    let order = order_for(&sim, 8001).unwrap();
    assert_eq!(order["OrderRows"][0]["Description"], "Kaffe & Kultur - fet");
    let number = order["CustomerNumber"].as_str().unwrap().parse::<u64>().unwrap();
    assert_eq!(sim.fortnox.lock().unwrap().documents.customers[&number]["Name"], "Bröd & Salt AB");
    // The seeded shop has "Kopp &amp; fat" products and "<b>Rea!</b>" lines too.
    let descriptions: Vec<String> = fortnox_orders(&sim)
        .iter()
        .flat_map(|o| o["OrderRows"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["Description"].as_str().map(str::to_owned))
        .collect();
    assert!(descriptions.iter().any(|d| d.starts_with("Kopp & fat")), "seeded names with & were sent");
    let tagged_sent = sim.woo.lock().unwrap().orders.iter().any(|o| {
        let eligible = o["status"] == "processing" || o["status"] == "completed";
        eligible && o["line_items"].as_array().unwrap().iter().any(|l| l["name"].as_str().unwrap().contains("<b>Rea!"))
    });
    assert!(tagged_sent, "the seeded shop should send a line name with a tag");
    assert!(descriptions.iter().any(|d| d.starts_with("Rea! ")), "seeded names with a tag were sent");
    let names = fortnox_customers(&sim).iter().map(|c| c["Name"].as_str().unwrap_or_default().to_owned()).collect();
    for text in descriptions.iter().chain(&names as &Vec<String>) {
        assert!(!markup(text), "markup reached Fortnox: {text:?}");
    }
}

#[test]
fn the_customers_flow_reads_the_stores_customers_and_skips_staff_with_a_reason() {
    let (_rt, sim) = started(40);
    let data = connected("sync-customers-roles", &sim);
    let first = sync_json(&data, &["sync", "customers", "--json"]);
    assert_eq!((first["created"].as_u64(), first["skipped"].as_u64()), (Some(5), Some(0)), "{first}");
    let listed = sim.log.entries().into_iter().filter(|e| e.path.ends_with("/customers")).collect::<Vec<_>>();
    assert!(listed.iter().all(|e| !e.query.contains("role=")), "the API's default role is asked for");
    let admin = |sim: &Sim| fortnox_customers(sim).iter().any(|c| c["Email"] == "admin@example.se");
    assert!(!admin(&sim));

    // Every user, on request: the administrator has nothing to send and is skipped, saying why.
    let settings = data.join("settings.toml");
    std::fs::write(&settings, "[flows]\ncustomer-roles = [\"all\"]\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();
    sim.log.clear();
    let all = sync_json(&data, &["--settings", &settings, "sync", "customers", "--json"]);
    assert_eq!((all["unchanged"].as_u64(), all["skipped"].as_u64()), (Some(5), Some(1)), "{all}");
    assert_eq!(all["failed"], json!([]));
    assert_eq!(all["skipped_items"][0]["item"], "customer 1", "{all}");
    assert!(all["skipped_items"][0]["reason"].as_str().unwrap().contains("billing"), "{all}");
    assert!(!admin(&sim), "the administrator went to Fortnox");
    assert_eq!(writes(&sim), 0);

    let table = woonox(&data, &["--settings", &settings, "sync", "customers"]);
    let stdout = String::from_utf8_lossy(&table.stdout);
    assert_eq!(table.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("customers customer 1 skipped: no billing"), "{stdout}");
}

#[test]
fn a_registered_company_is_one_fortnox_customer_that_learns_its_org_number_from_an_order() {
    let (_rt, sim) = started(40);
    let data = connected("sync-customers-company", &sim);
    // Customer 4 is buyer 3, "Fika &amp; Co 3" AB: its organisation number is only in its orders.
    sync_json(&data, &["sync", "customers", "--json"]);
    let before: Vec<Value> = fortnox_customers(&sim).into_iter().filter(|c| c["Email"] == "kund3@example.se").collect();
    assert_eq!(before.len(), 1);
    assert_eq!((before[0]["Name"].as_str(), before[0].get("OrganisationNumber")), (Some("Fika & Co 3 AB"), None));
    let number = before[0]["CustomerNumber"].as_str().unwrap().to_owned();

    let buyer = woonox_sim::seed::buyer(3);
    let org = buyer.org_number.clone().unwrap();
    add_order(&sim, 8100, 4, "kund3@example.se", buyer, &[("Kaffekopp Blå", 25)]);
    sim.log.clear();
    let report = sync_json(&data, &["sync", "orders", "--json"]);
    assert_eq!(report["failed"], json!([]), "{report}");

    let company: Vec<Value> =
        fortnox_customers(&sim).into_iter().filter(|c| c["Email"] == "kund3@example.se").collect();
    assert_eq!(company.len(), 1, "a second customer was created: {company:?}");
    assert_eq!(
        (company[0]["OrganisationNumber"].as_str(), company[0]["Type"].as_str()),
        (Some(org.as_str()), Some("COMPANY"))
    );
    assert_eq!(order_for(&sim, 8100).unwrap()["CustomerNumber"], number.as_str());
    let puts =
        sim.log.entries().iter().filter(|e| e.method == "PUT" && e.path == format!("/3/customers/{number}")).count();
    assert_eq!(puts, 1, "the organisation number is added once");
    // Every customer with an organisation number is a company named from its billing name.
    for c in fortnox_customers(&sim).iter().filter(|c| c.get("OrganisationNumber").is_some()) {
        assert_eq!(c["Type"], "COMPANY", "{c}");
        assert!(c["Name"].as_str().unwrap().starts_with("Fika & Co "), "{c}");
    }

    sim.log.clear();
    sync_json(&data, &["sync", "customers", "orders", "--json"]);
    assert_eq!(writes(&sim), 0, "a second run wrote");
}

#[test]
fn a_refused_order_writes_nothing_not_even_its_customer() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = woonox_sim::SimConfig { articles: 40, orders: Some(1), refused_orders: 1, ..Default::default() };
    let sim = rt.block_on(Sim::start(config)).unwrap();
    let data = connected("sync-refused", &sim);
    for run in 0..2 {
        sim.log.clear();
        let (code, report) = sync_report(&data, &["sync", "orders", "--json"]);
        assert_eq!(code, Some(1), "run {run}: {report}");
        let failed = report["failed"].as_array().unwrap();
        let refused = failed.iter().find(|f| f["item"] == "order 9000").expect("order 9000 fails");
        assert!(refused["reason"].as_str().unwrap().contains("19%"), "{refused}");
        assert!(order_for(&sim, 9000).is_none());
        let stray = fortnox_customers(&sim).iter().any(|c| c["Email"] == "einkauf0@example.de");
        assert!(!stray, "run {run}: the refused order's customer was created");
    }
    assert_eq!(writes(&sim), 0, "the second run wrote for the refused order");
}
