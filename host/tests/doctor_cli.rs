//! `woonox doctor` against the stand-ins: a healthy pair passes and nothing is written;
//! each state a merchant's company or store can be in that makes a sync fail is caught by
//! its check, with a fix, and the command exits 1 for a failure and 0 for warnings only.

mod common;

use common::{connected, started, woonox};
use serde_json::{Value, json};
use std::path::Path;
use woonox_sim::Sim;

/// `woonox [--settings FILE] doctor --json`: (exit code, the examination).
fn doctor(data: &Path, settings: Option<&str>) -> (Option<i32>, Value) {
    let file = data.join("doctor-settings.toml");
    let mut args: Vec<&str> = Vec::new();
    if let Some(toml) = settings {
        std::fs::write(&file, toml).unwrap();
        args.extend(["--settings", file.to_str().unwrap()]);
    }
    args.extend(["doctor", "--json"]);
    let out = woonox(data, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let exam = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (out.status.code(), exam)
}

fn finding<'a>(exam: &'a Value, check: &str) -> &'a Value {
    let findings = exam["findings"].as_array().unwrap();
    findings.iter().find(|f| f["check"] == check).unwrap_or_else(|| {
        let checks: Vec<_> = findings.iter().map(|f| f["check"].as_str().unwrap_or_default()).collect();
        panic!("no check {check:?} among {checks:?}")
    })
}

/// Runs the doctor with `settings` and asserts that `check` comes out `verdict` with a
/// detail naming `says` and a fix, and the exit code that verdict gives.
fn caught(data: &Path, settings: Option<&str>, check: &str, verdict: &str, says: &str) {
    let (code, exam) = doctor(data, settings);
    let f = finding(&exam, check);
    assert_eq!(f["verdict"], verdict, "{check}: {f:#}");
    assert!(f["detail"].as_str().unwrap().contains(says), "{check}: {f:#}");
    assert!(!f["fix"].as_str().unwrap().is_empty(), "{check} gives no fix: {f:#}");
    let failing = exam["findings"].as_array().unwrap().iter().any(|f| f["verdict"] == "failing");
    assert_eq!(code, Some(if failing { 1 } else { 0 }), "{exam:#}");
}

#[test]
fn a_healthy_pair_passes_and_nothing_is_written() {
    let (_rt, sim) = started(20);
    let data = connected("doctor-healthy", &sim);
    let products = sim.woo.lock().unwrap().products.clone();
    sim.log.clear();
    let (code, exam) = doctor(&data, None);
    let problems: Vec<&Value> = exam["findings"].as_array().unwrap().iter().filter(|f| f["verdict"] != "ok").collect();
    assert_eq!(code, Some(0), "{problems:#?}");
    assert!(problems.is_empty(), "{problems:#?}");
    for check in [
        "scope article",
        "scope invoice",
        "price list A",
        "financial year",
        "account 3740",
        "pretty permalinks",
        "key permission",
        "prices with VAT",
        "HPOS",
        "SKUs",
        "tax class for 25 %",
        "webhooks",
        "files",
        "Fortnox login",
    ] {
        assert_eq!(finding(&exam, check)["verdict"], "ok", "{check}");
    }
    let writes: Vec<String> =
        sim.log.entries().iter().filter(|e| e.is_write()).map(|e| format!("{} {}", e.method, e.path)).collect();
    assert_eq!(writes, ["POST /wp-json/wc/v3/products/batch"], "only the empty batch that probes the key");
    assert_eq!(sim.woo.lock().unwrap().products, products);
    let table = woonox(&data, &["doctor"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("price list A") && text.contains("0 failing"), "{text}");
}

#[test]
fn each_fortnox_state_that_breaks_a_sync_is_caught() {
    let (_rt, sim) = started(20);
    let data = connected("doctor-fortnox", &sim);
    let company =
        |change: &dyn Fn(&mut woonox_sim::fortnox_company::Company)| change(&mut sim.fortnox.lock().unwrap().company);

    company(&|c| {
        c.denied_scopes.insert("invoice".into());
    });
    caught(&data, None, "scope invoice", "failing", "`invoice` scope");
    company(&|c| c.denied_scopes.clear());
    company(&|c| {
        c.unlicensed_scopes.insert("customer".into());
    });
    caught(&data, None, "scope customer", "failing", "no licence");
    company(&|c| c.unlicensed_scopes.clear());

    caught(&data, Some("[product]\nprice-list = \"Z\"\n"), "price list Z", "failing", "no price list \"Z\"");

    sim.woo.lock().unwrap().settings.set("general", "woocommerce_currency", &json!("EUR"));
    company(&|c| {
        let _ = c.currencies.remove("EUR");
    });
    caught(&data, None, "currency EUR", "failing", "no currency EUR");
    sim.woo.lock().unwrap().settings.set("general", "woocommerce_currency", &json!("SEK"));
    company(&|c| {
        let _ = c.currencies.insert("EUR".into(), 11.2);
    });

    let stripe = "[flows]\npayment-modes = [{ method = \"stripe\", mode = \"STRIPE\", account = 1580 }]\n";
    caught(&data, Some(stripe), "mode of payment STRIPE", "failing", "does not have");

    company(&|c| {
        let _ = c.accounts.insert(3740, false);
    });
    caught(&data, None, "account 3740", "failing", "inactive");
    company(&|c| {
        let _ = c.accounts.insert(3740, true);
    });
    caught(&data, Some("[order]\nfee-account = 3999\n"), "account 3999", "failing", "no account 3999");

    company(&|c| c.financial_years.clear());
    caught(&data, None, "financial year", "failing", "no financial year");
    company(&|c| *c = Default::default());

    // A connection made before woonox asked for `bookkeeping`: one warning, no failure.
    company(&|c| {
        let _ = c.denied_scopes.insert("bookkeeping".into());
    });
    caught(&data, None, "scope bookkeeping", "warning", "chart of accounts");
    company(&|c| c.denied_scopes.clear());
}

#[test]
fn each_store_state_that_breaks_a_sync_is_caught() {
    let (_rt, sim) = started(20);
    let data = connected("doctor-store", &sim);
    let store = |change: &dyn Fn(&mut woonox_sim::woo::State)| change(&mut sim.woo.lock().unwrap());

    store(&|s| s.key_permissions = "read".into());
    caught(&data, None, "key permission", "failing", "may only read");
    store(&|s| s.key_permissions = "read_write".into());

    caught(&data, Some("[order]\nprices = \"excluded\"\n"), "prices with VAT", "failing", "is \"excluded\"");

    store(&|s| s.hpos = false);
    caught(&data, None, "HPOS", "warning", "off");
    store(&|s| s.hpos = true);

    store(&|s| drop(s.settings.set("general", "woocommerce_price_num_decimals", &json!("0"))));
    caught(&data, None, "price decimals", "warning", "0 decimals");
    store(&|s| drop(s.settings.set("general", "woocommerce_price_num_decimals", &json!("2"))));

    store(&|s| s.extra_tax_rates.push(seven_percent()));
    caught(&data, None, "tax rate 7 %", "failing", "Fortnox does not have");
    store(&|s| s.extra_tax_rates.clear());

    let sold = first_sku(&sim);
    let article = sim.fortnox.lock().unwrap().articles.remove(&sold).unwrap();
    caught(&data, None, "SKUs", "warning", &sold);
    sim.fortnox.lock().unwrap().articles.insert(sold.clone(), article.clone());

    let mut odd = article;
    odd["ArticleNumber"] = json!("ODD-VAT");
    odd["VAT"] = json!(7);
    sim.fortnox.lock().unwrap().articles.insert("ODD-VAT".into(), odd);
    caught(&data, None, "tax class for 7 %", "failing", "no WooCommerce tax class charges 7 %");
    sim.fortnox.lock().unwrap().articles.remove("ODD-VAT");

    let unnamed = sim.woo.lock().unwrap().products.iter().position(|p| p["sku"] == json!(sold)).unwrap();
    store(&|s| s.products[unnamed]["sku"] = json!(""));
    caught(&data, None, "products without SKU", "warning", "1 products have no SKU");
    store(&|s| s.products[unnamed]["sku"] = json!(sold));

    // Last: without pretty permalinks nothing else on the store's side can be read, and a
    // sync then fails: the doctor names its last run.
    store(&|s| s.pretty_permalinks = false);
    caught(&data, None, "pretty permalinks", "failing", "pretty permalinks");
    assert_ne!(woonox(&data, &["sync", "stock"]).status.code(), Some(0));
    store(&|s| s.pretty_permalinks = true);
    caught(&data, None, "last stock run", "warning", "it failed");
}

#[test]
fn webhooks_and_woonox_itself_are_checked() {
    let (_rt, sim) = started(20);
    let data = connected("doctor-self", &sim);
    // Registered, then WooCommerce disables one after failed deliveries.
    let hook_url = "http://127.0.0.1:9";
    let out =
        common::connect_woocommerce_with(&data, &sim, woonox_sim::WOO_CONSUMER_SECRET, &["--webhook-url", hook_url]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, exam) = doctor(&data, None);
    assert_eq!(finding(&exam, "webhook order.created")["verdict"], "ok", "{exam:#}");
    for hook in sim.woo.lock().unwrap().extra.webhooks.iter_mut().filter(|h| h["topic"] == "order.updated") {
        hook["status"] = json!("disabled");
    }
    caught(&data, None, "webhook order.updated", "failing", "disabled");

    // A refresh token last renewed 40 days ago.
    let tokens = data.join("secrets/default/fortnox-tokens.json");
    let mut set: Value = serde_json::from_slice(&std::fs::read(&tokens).unwrap()).unwrap();
    let forty_days_ago = chrono::Utc::now().timestamp() - 40 * 86_400 + 3600;
    set["expires_at"] = json!(forty_days_ago);
    std::fs::write(&tokens, set.to_string()).unwrap();
    caught(&data, None, "Fortnox login", "warning", "renewed 40 day(s) ago");

    // A secrets file others can read: reported, not refused.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tokens, std::fs::Permissions::from_mode(0o644)).unwrap();
    caught(&data, None, "files", "failing", "fortnox-tokens.json");
}

fn seven_percent() -> Value {
    json!({ "id": 9, "country": "SE", "state": "", "postcode": "", "city": "", "rate": "7.0000", "name": "Moms 7%",
            "priority": 1, "compound": false, "shipping": true, "order": 0, "class": "reduced-rate-7",
            "postcodes": [], "cities": [] })
}

/// A SKU the store sells (a published simple product's).
fn first_sku(sim: &Sim) -> String {
    let woo = sim.woo.lock().unwrap();
    let product =
        woo.products.iter().find(|p| p["type"] == "simple" && p["sku"].as_str().is_some_and(|s| !s.is_empty()));
    product.expect("a simple product with a SKU")["sku"].as_str().unwrap().to_owned()
}

/// The status page shows the last examination and runs the doctor again on request; a
/// failing check marks the connection as needing attention.
#[test]
fn the_status_page_shows_the_doctor_and_runs_it() {
    use common::serve::{ALL_OFF, free_port, schedule, serve, wait_until};
    let (_rt, sim) = started(20);
    let data = connected("doctor-page", &sim);
    schedule(&data, "default", ALL_OFF);
    let serve = serve(&data, free_port());
    assert!(serve.page("/").contains("Doctor</h3><p>Not run yet"), "{}", serve.page("/"));
    sim.fortnox.lock().unwrap().company.financial_years.clear();
    let (status, to) = serve.post("/doctor/default", &[], Some(&serve.csrf()));
    assert_eq!((status, to.as_str()), (303, "/"));
    wait_until("the doctor's result on the page", 60, || serve.page("/").contains("Doctor: 1 failing"));
    let page = serve.page("/");
    assert!(page.contains("no financial year in Fortnox holds today"), "{page}");
    assert!(page.contains("Create the financial year in Fortnox"), "{page}");
    assert!(page.contains("needs attention"), "{page}");
    // The same examination as the command's, kept for the page.
    let (code, exam) = doctor(&data, None);
    assert_eq!(code, Some(1));
    assert_eq!(finding(&exam, "financial year")["verdict"], "failing");
}
