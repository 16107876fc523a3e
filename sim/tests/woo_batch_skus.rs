//! SKUs are unique across products and variations, within one batch as across calls: a
//! second create of a SKU in the same batch, or an update to another product's SKU, fails in
//! its place, and a SKU given up by an update is free again. (The stand-in indexes SKUs once
//! per batch; these hold it to the unindexed rules.)

#[allow(dead_code)]
mod replay;

use replay::{Client, Signing};
use serde_json::{Value, json};
use woonox_sim::{Sim, SimConfig};

fn send(client: &Client, method: &str, path: &str, query: &[(&str, &str)], body: Option<&Value>) -> replay::Answer {
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    client.signed(method, path, &query, body, Some(&Signing::fresh("HMAC-SHA256", false)), &[])
}

fn skus_found(client: &Client, skus: &str) -> Vec<u64> {
    let answer = send(client, "GET", "/wp-json/wc/v3/products", &[("sku", skus), ("per_page", "100")], None);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let mut ids: Vec<u64> = answer.body.as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skus_stay_unique_within_a_batch_and_across_calls() {
    let sim = Sim::start(SimConfig { articles: 40, ..SimConfig::default() }).await.unwrap();
    let url = sim.woo_url.clone();
    let (a, b) = {
        let woo = sim.woo.lock().unwrap();
        let simple: Vec<&Value> = woo.products.iter().filter(|p| p["type"] == "simple").collect();
        let pair = |p: &Value| (p["id"].as_u64().unwrap(), p["sku"].as_str().unwrap().to_owned());
        (pair(simple[0]), pair(simple[1]))
    };
    tokio::task::spawn_blocking(move || {
        let client = Client::new(&url);
        let batch = json!({
            "create": [{ "name": "Ny", "sku": "NEW-1" }, { "name": "Ny igen", "sku": "NEW-1" }],
            "update": [{ "id": a.0, "sku": b.1 }, { "id": a.0, "sku": "NEW-2" }],
        });
        let answer = send(&client, "POST", "/wp-json/wc/v3/products/batch", &[], Some(&batch));
        assert_eq!(answer.status, 200, "{}", answer.body);
        let created = answer.body["create"][0]["id"].as_u64().expect("the first create succeeds");
        let second = &answer.body["create"][1]["error"];
        assert_eq!(second["code"], "product_invalid_sku", "{}", answer.body);
        assert_eq!(second["data"]["resource_id"], created, "the duplicate names the product made a moment before");
        let taken = &answer.body["update"][0]["error"];
        assert_eq!(taken["code"], "product_invalid_sku", "{}", answer.body);
        assert_eq!(taken["data"]["resource_id"], b.0);
        assert_eq!(answer.body["update"][1]["sku"], "NEW-2", "{}", answer.body);

        assert_eq!(skus_found(&client, &format!("NEW-1,NEW-2,{}", a.1)), {
            let mut ids = vec![a.0, created];
            ids.sort();
            ids
        });
        // The SKU the update gave up can be used again.
        let again = json!({ "create": [{ "name": "Återanvänd", "sku": a.1 }] });
        let answer = send(&client, "POST", "/wp-json/wc/v3/products/batch", &[], Some(&again));
        assert!(answer.body["create"][0]["id"].as_u64().is_some(), "{}", answer.body);
    })
    .await
    .unwrap();
    drop(sim);
}
