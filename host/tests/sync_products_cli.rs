//! `woonox sync products` against the stand-ins: webshop articles become products (or
//! update the product or variation with their SKU) with the price list's price; a second
//! run writes nothing; a changed price, on the article or only in the price list, is one
//! batched update; fields left out of the settings keep WooCommerce's own values.

mod common;

use common::{connected, started, sync_json, writes};
use serde_json::{Value, json};
use woonox_sim::Sim;

fn product(sim: &Sim, sku: &str) -> Value {
    sim.woo.lock().unwrap().products.iter().find(|p| p["sku"] == sku).cloned().unwrap()
}

#[test]
fn products_are_created_and_updated_once_and_only_what_changed_is_written_again() {
    let (_rt, sim) = started(200);
    {
        let mut woo = sim.woo.lock().unwrap();
        woo.products.push(json!({ "id": 9000, "type": "variable", "parent_id": 0, "sku": "", "name": "T-shirt" }));
        woo.products.push(
            json!({ "id": 9001, "type": "variation", "parent_id": 9000, "sku": "SIM-00002", "regular_price": "1.00" }),
        );
        let mut fortnox = sim.fortnox.lock().unwrap();
        fortnox.articles.get_mut("SIM-00004").unwrap()["WebshopArticle"] = json!(false);
    }
    let in_woo = sim
        .woo
        .lock()
        .unwrap()
        .products
        .iter()
        .filter(|p| p["sku"].as_str().is_some_and(|s| s.starts_with("SIM-")))
        .count();
    let data = connected("sync-products", &sim);
    let settings = data.join("settings.toml");
    std::fs::write(&settings, "[flows]\nproduct-fields = [\"name\", \"price\", \"stock\", \"status\", \"ean\"]\n")
        .unwrap();
    let settings = settings.to_string_lossy().into_owned();
    let run = || sync_json(&data, &["--settings", &settings, "sync", "products", "--json"]);

    sim.log.clear();
    let dry = sync_json(&data, &["--settings", &settings, "sync", "products", "--dry-run", "--json"]);
    assert_eq!(writes(&sim), 0, "a dry run wrote");
    let first = run();
    assert_eq!((first["created"].clone(), first["updated"].clone()), (dry["created"].clone(), dry["updated"].clone()));
    assert_eq!(first["created"], 200 - in_woo - 1, "{first}");
    assert_eq!(first["updated"], in_woo, "{first}");
    assert_eq!(first["skipped"], 1, "the article that is not a webshop article");
    assert_eq!(first["failed"], json!([]));
    let fortnox_price = |sku: &str| sim.fortnox.lock().unwrap().articles[sku]["SalesPrice"].as_f64().unwrap();
    for sku in ["SIM-00001", "SIM-00002", "SIM-00200"] {
        let p = product(&sim, sku);
        assert_eq!(p["regular_price"], format!("{:.2}", fortnox_price(sku)), "{sku}: {p}");
    }
    assert_eq!(product(&sim, "SIM-00002")["id"], 9001, "the variation was updated, not duplicated");
    assert!(sim.woo.lock().unwrap().products.iter().all(|p| p["sku"] != "SIM-00004"));

    sim.log.clear();
    let second = run();
    assert_eq!(writes(&sim), 0, "a second run wrote: {second}");

    // A price changed on the article, and one only in the price list; the merchant renamed
    // a product and does not want names written any more.
    sim.fortnox.lock().unwrap().set_price("SIM-00010", 123.45);
    sim.fortnox.lock().unwrap().set_list_price("A", "SIM-00011", 99.5);
    sim.woo.lock().unwrap().products.iter_mut().find(|p| p["sku"] == "SIM-00010").unwrap()["name"] =
        json!("Egen titel");
    std::fs::write(&settings, "[flows]\nproduct-fields = [\"price\", \"stock\", \"status\"]\n").unwrap();
    sim.log.clear();
    let third = run();
    assert_eq!(third["updated"], 2, "{third}");
    assert_eq!(sim.log.entries().iter().filter(|e| e.service == "woocommerce" && e.is_write()).count(), 1, "one batch");
    assert_eq!(product(&sim, "SIM-00010")["regular_price"], "123.45");
    assert_eq!(product(&sim, "SIM-00011")["regular_price"], "99.50");
    assert_eq!(product(&sim, "SIM-00010")["name"], "Egen titel", "names are no longer written");
}
