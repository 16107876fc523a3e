//! The stand-in remembers where each product sits and each list page's variations, to
//! answer a 50,000-product store without a pass per lookup. Its tests (and these) edit the
//! products directly, so the answers must stay those of a plain scan whatever the edits.

#[allow(dead_code)]
mod replay;

use replay::{Client, Signing};
use serde_json::{Value, json};
use woonox_sim::{Sim, SimConfig};

fn get(client: &Client, path: &str, query: &[(&str, &str)]) -> Value {
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let answer = client.signed("GET", path, &query, None, Some(&Signing::fresh("HMAC-SHA256", false)), &[]);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer.body
}

fn status(client: &Client, path: &str) -> u16 {
    client.signed("GET", path, &[], None, Some(&Signing::fresh("HMAC-SHA256", false)), &[]).status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lookups_follow_direct_edits_of_the_products() {
    let sim = Sim::start(SimConfig { articles: 40, ..SimConfig::default() }).await.unwrap();
    let url = sim.woo_url.clone();
    let woo = sim.woo.clone();
    tokio::task::spawn_blocking(move || {
        let client = Client::new(&url);
        let ids: Vec<u64> = woo.lock().unwrap().products.iter().map(|p| p["id"].as_u64().unwrap()).collect();
        let last = *ids.last().unwrap();
        assert_eq!(get(&client, &format!("/wp-json/wc/v3/products/{last}"), &[])["id"], last);
        // The first product removed: every place after it moves by one.
        woo.lock().unwrap().products.remove(0);
        assert_eq!(status(&client, &format!("/wp-json/wc/v3/products/{}", ids[0])), 404);
        for id in &ids[1..] {
            assert_eq!(get(&client, &format!("/wp-json/wc/v3/products/{id}"), &[])["id"], *id);
        }
        // A product planted at the front, under an id no one has seen.
        let planted = json!({ "id": 777_777, "type": "simple", "parent_id": 0, "name": "Planterad", "sku": "P-1",
                              "regular_price": "10.00", "manage_stock": false, "stock_quantity": null, "status": "publish" });
        woo.lock().unwrap().products.insert(0, planted);
        assert_eq!(get(&client, "/wp-json/wc/v3/products/777777", &[])["name"], "Planterad");
        assert_eq!(get(&client, &format!("/wp-json/wc/v3/products/{last}"), &[])["id"], last);
    })
    .await
    .unwrap();
}

/// Every variable product on every page lists exactly the variations stored under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_variable_product_lists_its_own_variations() {
    let sim = Sim::start(SimConfig { articles: 120, ..SimConfig::default() }).await.unwrap();
    let url = sim.woo_url.clone();
    let woo = sim.woo.clone();
    tokio::task::spawn_blocking(move || {
        let client = Client::new(&url);
        let expected = |parent: u64| -> Vec<u64> {
            let woo = woo.lock().unwrap();
            let children = woo.products.iter().filter(|p| p["type"] == "variation" && p["parent_id"] == parent);
            children.map(|p| p["id"].as_u64().unwrap()).collect()
        };
        let mut variable = 0;
        for page in 1.. {
            let page = page.to_string();
            let products = get(&client, "/wp-json/wc/v3/products", &[("per_page", "100"), ("page", &page)]);
            let products = products.as_array().unwrap();
            if products.is_empty() {
                break;
            }
            for p in products.iter().filter(|p| p["type"] == "variable") {
                variable += 1;
                let listed: Vec<u64> =
                    p["variations"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
                let mut want = expected(p["id"].as_u64().unwrap());
                let mut got = listed.clone();
                want.sort();
                got.sort();
                assert!(!want.is_empty());
                assert_eq!(got, want, "product {}", p["id"]);
            }
        }
        assert!(variable > 1, "the seed made variable products");
    })
    .await
    .unwrap();
}
