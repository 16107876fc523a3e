//! Crash anywhere: `woonox sync orders` and `woonox sync refunds` killed with SIGKILL at
//! seeded random moments, again and again, then run to the end. Afterwards every eligible
//! WooCommerce order is in Fortnox exactly once, every refund is credited exactly once,
//! and the state file opens cleanly. `WOONOX_CRASH_KILLS` (default 50) and
//! `WOONOX_CRASH_SEED` (default 7) choose how many kills and when.

mod common;

use common::{connected, woonox, writes};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;
use woonox_sim::{Sim, SimConfig};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn killed_anywhere_every_order_and_refund_ends_exactly_once() {
    let kills = env_number("WOONOX_CRASH_KILLS", 50);
    let mut rng = StdRng::seed_from_u64(env_number("WOONOX_CRASH_SEED", 7));
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // Enough work that every run is still busy when it is killed.
    let config = SimConfig { articles: 400, orders: Some(320), refunds: 12, ..SimConfig::default() };
    let sim = rt.block_on(Sim::start(config)).unwrap();
    let data = connected("crash-anywhere", &sim);
    let settings = data.join("settings.toml");
    // Booked invoices, so refunds are credited with Fortnox's own `/credit` and then edited.
    std::fs::write(&settings, "[order]\ndocument = \"invoice\"\n\n[flows]\nbookkeep = true\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();

    let mut killed = 0;
    for i in 0..kills * 3 {
        if killed == kills {
            break;
        }
        let flow = if i % 3 == 2 { "refunds" } else { "orders" };
        let mut child = Command::new(env!("CARGO_BIN_EXE_woonox"))
            .arg("--data-dir")
            .arg(&data)
            .args(["--settings", &settings, "sync", flow])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(50..1500)));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
    }
    assert_eq!(killed, kills, "runs finished before they could be killed");

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
    drop(woonox::store::Store::open(&data.join("state.sqlite")).expect("the state file opens"));
    sim.log.clear();
    for flow in ["orders", "refunds"] {
        assert_eq!(woonox(&data, &["--settings", &settings, "sync", flow]).status.code(), Some(0));
    }
    assert_eq!(writes(&sim), 0, "a run after recovery still had something to write");
    eprintln!("crash-anywhere: {killed} kills, {orders} orders and {refund_count} refunds, 0 duplicates, 0 lost");
}
