//! WooCommerce list parameters woonox uses that the recordings do not show, as the REST
//! API documents them: `include` (only these ids) and `orderby=id&order=asc`.

#[allow(dead_code)]
mod replay;

use replay::{Client, Signing};
use woonox_sim::{Sim, SimConfig};

fn get(client: &Client, query: &[(&str, &str)]) -> replay::Answer {
    let query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    client.signed("GET", "/wp-json/wc/v3/products", &query, None, Some(&Signing::fresh("HMAC-SHA256", false)), &[])
}

fn ids(answer: &replay::Answer) -> Vec<u64> {
    answer.body.as_array().unwrap().iter().map(|p| p["id"].as_u64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_lists_only_those_ids_and_orderby_id_sorts() {
    let sim = Sim::start(SimConfig { articles: 40, ..SimConfig::default() }).await.unwrap();
    let url = sim.woo_url.clone();
    let (first, third) = {
        let woo = sim.woo.lock().unwrap();
        (woo.products[0]["id"].as_u64().unwrap(), woo.products[2]["id"].as_u64().unwrap())
    };
    tokio::task::spawn_blocking(move || {
        let client = Client::new(&url);
        let wanted = format!("{third},{first}");
        let answer = get(&client, &[("include", &wanted), ("orderby", "id"), ("order", "asc")]);
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(ids(&answer), vec![first, third]);
        assert_eq!(answer.header("X-WP-Total"), Some("2"));
        let all = get(&client, &[("per_page", "100"), ("orderby", "id"), ("order", "asc")]);
        let listed = ids(&all);
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "ascending ids: {listed:?}");
    })
    .await
    .unwrap();
    drop(sim);
}
