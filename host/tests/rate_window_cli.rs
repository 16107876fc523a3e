//! Fortnox counts its 25 calls in any 5 s across processes. Back-to-back `woonox sync`
//! runs continue one window kept in the state, so none of them draws a 429 from the
//! stand-in, which enforces Fortnox's window.

mod common;

use common::serve::{free_port, schedule, serve, wait_until};
use common::{
    connect_fortnox, connect_fortnox_as, connect_woocommerce, connect_woocommerce_with, connected, data_dir, started,
    woonox,
};
use woonox_sim::WOO_CONSUMER_SECRET;

#[test]
fn back_to_back_runs_draw_no_429() {
    let (_rt, sim) = started(30);
    let data = connected("rate-window", &sim);
    // Make the first run's calls count: a window filled by it must hold up the next.
    sim.fortnox.lock().unwrap().reset_rate_windows();
    sim.log.clear();
    for run in 0..20 {
        let out = woonox(&data, &["sync", "products", "stock", "customers"]);
        assert!(out.status.code().is_some_and(|c| c <= 1), "run {run}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let entries = sim.log.entries();
    let fortnox: Vec<_> = entries.iter().filter(|e| e.service == "fortnox").collect();
    let refused = fortnox.iter().filter(|e| e.status == 429).count();
    eprintln!("rate window: {} Fortnox calls over 20 runs, {refused} answers 429", fortnox.len());
    assert!(fortnox.len() > 50, "too few calls to fill a window: {}", fortnox.len());
    assert_eq!(refused, 0, "{refused} answers 429 over 20 back-to-back runs ({} Fortnox calls)", fortnox.len());
}

/// Two shops fed by one Fortnox company: their connections name the same
/// `fortnox-company`, so `woonox serve` paces both through one window and the company,
/// which Fortnox counts as one, never draws a 429 while both poll as fast as they can.
#[test]
fn connections_of_one_company_share_its_window() {
    let (_rt, fortnox) = started(1200);
    let (_rt_b, second_shop) = started(1200);
    let data = data_dir("one-company");
    assert_eq!(connect_woocommerce(&data, &fortnox, WOO_CONSUMER_SECRET).status.code(), Some(0));
    connect_fortnox(&data, &fortnox);
    let b = ["--connection", "b"];
    assert_eq!(connect_woocommerce_with(&data, &second_shop, WOO_CONSUMER_SECRET, &b).status.code(), Some(0));
    connect_fortnox_as(&data, &fortnox, "b");
    let file = data.join("woonox.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut text = text.replace("[connections.default]\n", "[connections.default]\nfortnox-company = \"acme\"\n");
    text = text.replace("[connections.b]\n", "[connections.b]\nfortnox-company = \"acme\"\n");
    assert_eq!(text.matches("fortnox-company").count(), 2, "{text}");
    std::fs::write(&file, text).unwrap();
    let polls = "products = \"1s\"\nstock = \"off\"\ncustomers = \"off\"\norders = \"off\"\nrefunds = \"off\"\ninvoices = \"off\"\ncredit-notes = \"off\"";
    schedule(&data, "default", polls);
    schedule(&data, "b", polls);
    fortnox.fortnox.lock().unwrap().reset_rate_windows();
    fortnox.log.clear();

    let _serve = serve(&data, free_port());
    let calls = || fortnox.log.entries().iter().filter(|e| e.service == "fortnox" && e.path.starts_with("/3/")).count();
    // Four windows' worth: both connections polling without pause would overrun any one.
    wait_until("a hundred Fortnox calls", 120, || calls() >= 100);
    let entries = fortnox.log.entries();
    let refused = entries.iter().filter(|e| e.service == "fortnox" && e.status == 429).count();
    assert_eq!(refused, 0, "{refused} answers 429 over {} Fortnox calls of one company", calls());
    let callers: std::collections::BTreeSet<_> =
        entries.iter().filter(|e| e.path.starts_with("/3/")).filter_map(|e| e.authorization.clone()).collect();
    assert!(callers.len() >= 2, "only one connection called Fortnox");
}
