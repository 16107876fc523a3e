//! Crash anywhere: `woonox sync orders`, `woonox sync refunds` and `woonox serve` killed
//! with SIGKILL at seeded random moments, again and again, while work keeps arriving in the
//! store (new orders, pending orders paid, refunds), then run to the end. Afterwards every
//! eligible WooCommerce order is in Fortnox exactly once, every refund is credited exactly
//! once, and the state file opens cleanly. `WOONOX_CRASH_KILLS` (default 50) and
//! `WOONOX_CRASH_SEED` (default 7) choose how many kills and when; any number of kills is
//! possible, since the work never runs out.

mod common;

use common::{connected, woonox, writes};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use woonox_sim::woo_orders::{OrderSpec, build};
use woonox_sim::{Sim, SimConfig, seed};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const ARTICLES: usize = 400;

/// `serve` polls the two flows under test all the time, and nothing else.
const SCHEDULE: &str = "\n[connections.default.schedule]\norders = \"1s\"\nrefunds = \"1s\"\nproducts = \"off\"\n\
stock = \"off\"\ncustomers = \"off\"\ninvoices = \"off\"\ncredit-notes = \"off\"\n";

/// Orders that will arrive during the campaign, with ids of their own.
fn arriving_orders(count: usize) -> Vec<OrderSpec> {
    let catalog = seed::catalog(SimConfig::default().seed, ARTICLES);
    let mut specs = seed::orders(&catalog, count);
    for (i, spec) in specs.iter_mut().enumerate() {
        spec.id = 100_000 + i as u64;
    }
    specs
}

fn now_gmt() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// New work in the store between two runs: an order placed, a pending order paid, and now
/// and then a refund of one unit of an order already in Fortnox. True when a refund was made.
fn more_work(sim: &Sim, arriving: &mut Vec<OrderSpec>, rng: &mut StdRng) -> bool {
    let mut woo = sim.woo.lock().unwrap();
    let state = &mut *woo;
    if let Some(mut spec) = arriving.pop() {
        spec.status = "processing".into();
        spec.modified_gmt = now_gmt();
        state.orders.push(build(&spec).0);
    }
    if let Some(order) = state.orders.iter_mut().find(|o| o["status"] == "pending") {
        order["status"] = json!("processing");
        order["date_modified_gmt"] = json!(now_gmt());
    }
    if rng.random_range(0..4) != 0 {
        return false;
    }
    let invoiced: Vec<u64> = {
        let fortnox = sim.fortnox.lock().unwrap();
        let invoices = fortnox.documents.invoices.values();
        invoices.filter(|i| i["Credit"] != true && i["Booked"] == true).filter_map(order_of).collect()
    };
    if invoiced.is_empty() {
        return false;
    }
    let id = invoiced[rng.random_range(0..invoiced.len())];
    let order = state.orders.iter().find(|o| o["id"] == id).unwrap().clone();
    let line = &order["line_items"][0];
    let per = |k: &str| common::money(&line[k]) / common::money(&line["quantity"]);
    let body = json!({ "api_refund": false, "line_items": [{ "id": line["id"], "quantity": 1,
        "refund_total": format!("{:.2}", per("total")),
        "refund_tax": [{ "id": line["taxes"][0]["id"], "refund_total": format!("{:.2}", per("total_tax")) }] }] });
    // More than is left to refund is refused, as WooCommerce does; that is fine here.
    state.writes.refund(&mut state.orders, id, &body).is_ok()
}

fn order_of(invoice: &Value) -> Option<u64> {
    invoice["ExternalInvoiceReference1"].as_str()?.strip_prefix("woonox:woo:")?.parse().ok()
}

/// One run to be killed: a sync of `flow`, or `serve` polling both flows.
fn spawn(data: &Path, settings: &str, what: &str) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_woonox"));
    command.arg("--data-dir").arg(data).args(["--settings", settings]);
    match what {
        "serve" => command.args(["serve", "--bind", "127.0.0.1:0"]),
        flow => command.args(["sync", flow]),
    };
    command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()
}

#[test]
fn killed_anywhere_every_order_and_refund_ends_exactly_once() {
    let kills = env_number("WOONOX_CRASH_KILLS", 50);
    let mut rng = StdRng::seed_from_u64(env_number("WOONOX_CRASH_SEED", 7));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig { articles: ARTICLES, orders: Some(320), refunds: 12, ..SimConfig::default() };
    let sim = rt.block_on(Sim::start(config)).unwrap();
    let data = connected("crash-anywhere", &sim);
    let config_file = data.join("woonox.toml");
    let text = std::fs::read_to_string(&config_file).unwrap() + SCHEDULE;
    std::fs::write(&config_file, text).unwrap();
    let settings = data.join("settings.toml");
    // Booked invoices, so refunds are credited with Fortnox's own `/credit` and then edited.
    std::fs::write(&settings, "[order]\ndocument = \"invoice\"\n\n[flows]\nbookkeep = true\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();
    let mut arriving = arriving_orders(kills as usize * 2 + 10);

    let (mut killed, mut runs, mut refunds_arrived) = (0, 0, 0);
    let started = std::time::Instant::now();
    while killed < kills {
        runs += 1;
        assert!(runs <= kills * 10, "runs kept finishing before they could be killed ({killed} of {kills})");
        refunds_arrived += usize::from(more_work(&sim, &mut arriving, &mut rng));
        let what = ["orders", "orders", "refunds", "serve"][rng.random_range(0..4)];
        let mut child = spawn(&data, &settings, what);
        // A debug build under load takes a second or more to start: kills land from start-up
        // to deep into the work.
        std::thread::sleep(Duration::from_millis(rng.random_range(100..2500)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
    }

    for flow in ["orders", "refunds"] {
        let out = woonox(&data, &["--settings", &settings, "sync", flow]);
        assert_eq!(out.status.code(), Some(0), "{flow}: {}", String::from_utf8_lossy(&out.stdout));
    }
    let (woo, fortnox) = (sim.woo.lock().unwrap(), sim.fortnox.lock().unwrap());
    let invoices: Vec<&Value> = fortnox.documents.invoices.values().collect();
    let eligible: Vec<&Value> =
        woo.orders.iter().filter(|o| o["status"] == "processing" || o["status"] == "completed").collect();
    for order in &eligible {
        let reference = format!("woonox:woo:{}", order["id"]);
        let documents = invoices
            .iter()
            .filter(|i| i["ExternalInvoiceReference1"] == reference.as_str() && i["Credit"] != true)
            .count();
        assert_eq!(documents, 1, "order {} has {documents} invoices after {killed} kills", order["id"]);
    }
    let refunds: Vec<u64> = woo.writes.refunds.values().flatten().filter_map(|r| r["id"].as_u64()).collect();
    assert!(!refunds.is_empty());
    for refund in &refunds {
        let reference = format!("woonox:woo:refund:{refund}");
        let credits = invoices.iter().filter(|i| i["ExternalInvoiceReference2"] == reference.as_str()).count();
        assert_eq!(credits, 1, "refund {refund} has {credits} credits after {killed} kills");
    }
    for credit in invoices.iter().filter(|i| i["Credit"] == true) {
        let reference = credit["ExternalInvoiceReference2"].as_str().unwrap_or_default();
        assert!(reference.starts_with("woonox:woo:refund:"), "a credit no refund claims: {credit}");
    }
    let (orders, refund_count) = (eligible.len(), refunds.len());
    drop((woo, fortnox));
    // The state file opens cleanly, and nothing is left to do.
    drop(woonox::state::store::Store::open(&data.join("state.sqlite")).expect("the state file opens"));
    sim.log.clear();
    for flow in ["orders", "refunds"] {
        assert_eq!(woonox(&data, &["--settings", &settings, "sync", flow]).status.code(), Some(0));
    }
    assert_eq!(writes(&sim), 0, "a run after recovery still had something to write");
    eprintln!(
        "crash-anywhere: {killed} kills in {runs} runs ({:.0} s), {orders} orders and {refund_count} refunds \
         ({refunds_arrived} of them made while the kills went on), 0 duplicates, 0 lost",
        started.elapsed().as_secs_f64()
    );
}
