//! A new user's first steps with the real binary against the stand-ins: connect the
//! store (a wrong secret is refused and nothing stored), connect Fortnox through the
//! consent redirect, then `check` reads both sides.

mod common;

use common::{connect_fortnox, connect_woocommerce, data_dir, woonox};
use woonox_sim::{FORTNOX_CLIENT_SECRET, Sim, SimConfig, WOO_CONSUMER_SECRET};

#[test]
fn connect_both_services_then_check() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 120, ..SimConfig::default() })).unwrap();
    let data = data_dir("connect-cli");

    let out = woonox(&data, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("woonox connect woocommerce"));

    let out = connect_woocommerce(&data, &sim, "cs_wrong");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Check the consumer key and secret"));
    assert!(!data.join("secrets/default/woocommerce.json").exists(), "refused keys were stored");
    assert_eq!(connect_woocommerce(&data, &sim, WOO_CONSUMER_SECRET).status.code(), Some(0));

    let consent_url = connect_fortnox(&data, &sim);
    assert!(consent_url.contains("access_type=offline") && consent_url.contains("state="), "{consent_url}");

    let out = woonox(&data, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fortnox_articles"], 120);
    // Half the catalog as simple products, plus the variable products (their variations are not products).
    let products = sim.woo.lock().unwrap().products.iter().filter(|p| p["type"] != "variation").count();
    assert_eq!(report["woocommerce_products"], products);
    assert_eq!(products, 60 + 6);
    // Secrets are owner-only; the connections file holds none.
    use std::os::unix::fs::PermissionsExt;
    for file in ["woocommerce.json", "fortnox-app.json", "fortnox-tokens.json"] {
        let mode = std::fs::metadata(data.join("secrets/default").join(file)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(!config.contains(WOO_CONSUMER_SECRET) && !config.contains(FORTNOX_CLIENT_SECRET));
}
