//! `woonox sync stock` against the stand-ins: only differing levels are written, as
//! absolute values, variations included; a dry run writes nothing; a second run writes
//! nothing at all.

mod common;

use common::{connect_fortnox, connect_woocommerce, data_dir, woonox};
use woonox_sim::{Sim, SimConfig, WOO_CONSUMER_SECRET};

fn woo_writes(sim: &Sim) -> usize {
    sim.log.entries().iter().filter(|e| e.service == "woocommerce" && e.is_write()).count()
}

#[test]
fn stock_is_written_once_and_then_never_again() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 240, ..SimConfig::default() })).unwrap();
    // A variable product whose one variation carries a Fortnox SKU, and a product Fortnox does not know.
    {
        let mut woo = sim.woo.lock().unwrap();
        woo.products
            .push(serde_json::json!({ "id": 9000, "type": "variable", "parent_id": 0, "sku": "", "name": "T-shirt" }));
        woo.products.push(serde_json::json!({ "id": 9001, "type": "variation", "parent_id": 9000, "sku": "SIM-00002",
                                              "manage_stock": "parent", "stock_quantity": null }));
        woo.products.push(serde_json::json!({ "id": 9002, "type": "simple", "parent_id": 0, "sku": "ONLY-IN-WOO",
                                              "manage_stock": true, "stock_quantity": 4 }));
    }
    // What must change, worked out from both sides' data: every matched item whose level
    // (or stock management) differs from Fortnox's available quantity.
    let (differing, matched, batches) = {
        let (woo, fortnox) = (sim.woo.lock().unwrap(), sim.fortnox.lock().unwrap());
        let matched: Vec<_> =
            woo.products.iter().filter(|p| fortnox.articles.contains_key(p["sku"].as_str().unwrap_or(""))).collect();
        let differing: Vec<_> = matched
            .iter()
            .filter(|p| {
                let level = &fortnox.articles[p["sku"].as_str().unwrap()]["DisposableQuantity"];
                p["manage_stock"] != true || p["stock_quantity"] != *level
            })
            .collect();
        // Products in batches of at most 100, each parent's variations in a batch of their own.
        let simple = differing.iter().filter(|p| p["type"] != "variation").count();
        let parents: std::collections::BTreeSet<_> =
            differing.iter().filter(|p| p["type"] == "variation").map(|p| p["parent_id"].to_string()).collect();
        (differing.len(), matched.len(), simple.div_ceil(100) + parents.len())
    };
    assert!(differing > 100 && differing < matched, "the stand-in's data should mix equal and differing levels");
    let data = data_dir("sync-stock");
    assert_eq!(connect_woocommerce(&data, &sim, WOO_CONSUMER_SECRET).status.code(), Some(0));
    connect_fortnox(&data, &sim);

    sim.log.clear();
    let dry = woonox(&data, &["sync", "stock", "--dry-run", "--json"]);
    assert_eq!(dry.status.code(), Some(0), "{}", String::from_utf8_lossy(&dry.stderr));
    let would: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    assert_eq!(woo_writes(&sim), 0, "a dry run wrote");

    let first = woonox(&data, &["sync", "stock", "--json"]);
    assert_eq!(first.status.code(), Some(0), "{}", String::from_utf8_lossy(&first.stderr));
    let did: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(did["updated"], would["updated"]);
    assert_eq!(did["updated"], differing, "{did}");
    assert_eq!(did["unchanged"], matched - differing);
    assert_eq!(did["skipped"], 1, "ONLY-IN-WOO is not in Fortnox");
    let variation = sim.woo.lock().unwrap().products.iter().find(|p| p["id"] == 9001).cloned().unwrap();
    let fortnox_level = sim.fortnox.lock().unwrap().articles["SIM-00002"]["DisposableQuantity"].clone();
    assert_eq!(
        (variation["manage_stock"].clone(), variation["stock_quantity"].clone()),
        (serde_json::json!(true), fortnox_level)
    );
    assert_eq!(woo_writes(&sim), batches);

    sim.log.clear();
    let second = woonox(&data, &["sync", "stock", "--json"]);
    let again: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(
        (again["updated"].clone(), again["unchanged"].clone()),
        (serde_json::json!(0), serde_json::json!(matched))
    );
    assert_eq!(woo_writes(&sim), 0, "a second run wrote");
    assert_eq!(sim.log.entries().iter().filter(|e| e.is_write()).count(), 0);

    let table = woonox(&data, &["sync", "stock"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("unchanged") && text.lines().any(|l| l.starts_with("stock")), "{text}");
}

/// With the warehouse module, levels are the available stock of the named stock points
/// (the stand-in keeps three quarters of each article's stock at MAIN, the rest at SHOP).
#[test]
fn the_warehouse_source_sums_the_named_stock_points() {
    let (_rt, sim) = common::started(60);
    let data = common::connected("sync-stock-warehouse", &sim);
    let settings = data.join("settings.toml");
    std::fs::write(&settings, "[flows]\nstock-source = \"warehouse\"\nstock-points = [\"MAIN\"]\n").unwrap();
    let settings = settings.to_string_lossy().into_owned();
    let report = common::sync_json(&data, &["--settings", &settings, "sync", "stock", "--json"]);
    assert_eq!(report["failed"], serde_json::json!([]), "{report}");
    let (woo, fortnox) = (sim.woo.lock().unwrap(), sim.fortnox.lock().unwrap());
    for p in woo.products.iter().filter(|p| p["type"] == "simple") {
        let stock = fortnox.articles[p["sku"].as_str().unwrap()]["QuantityInStock"].as_f64().unwrap();
        assert_eq!(p["stock_quantity"].as_f64(), Some((stock * 0.75).floor()), "{p}");
    }
    assert!(sim.log.entries().iter().any(|e| e.path == "/api/warehouse/status-v1/stockbalance"));
}
