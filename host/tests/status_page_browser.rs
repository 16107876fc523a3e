//! The status page a merchant keeps open, in headless Chromium (Debian's; the README's
//! test command, scripts/test, installs it): the activity after a sync with links to the
//! store's admin, a refused order with its reason first, a lookup and a sync of just that
//! item (an order, an article), the page at phone width, its script allowed by its own
//! CSP, and store text escaped. Screenshots are kept in target/tmp/screenshots/.

mod common;

use common::serve::{ALL_OFF, Serve, schedule, serve, wait_until};
use common::{connected, started};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use woonox_sim::Sim;

/// A SKU no Fortnox article has, with markup a store could hold.
const BAD_SKU: &str = "NOT-IN-FORTNOX<b>x</b>";
const BAD_ORDER: u64 = 7777;

/// The stand-ins with one order woonox must refuse, connected, and serve after its first
/// orders poll.
fn shop(name: &str) -> (tokio::runtime::Runtime, Sim, PathBuf, Serve) {
    let (rt, sim) = started(60);
    {
        let mut woo = sim.woo.lock().unwrap();
        let mut bad = woo.orders.iter().find(|o| o["status"] == "processing").cloned().unwrap();
        bad["id"] = json!(BAD_ORDER);
        bad["line_items"][0]["sku"] = json!(BAD_SKU);
        woo.orders.push(bad);
    }
    let data = connected(name, &sim);
    schedule(&data, "default", &ALL_OFF.replace("orders = \"off\"", "orders = \"1h\""));
    let serve = serve(&data, common::serve::free_port());
    let failed = "woonox_jobs_total{connection=\"default\",flow=\"orders\",result=\"items_failed\"}";
    wait_until("the orders poll", 120, || serve.metric(failed) == 1);
    (rt, sim, data, serve)
}

fn browser(profile: &Path, url: &str, extra: &[&str]) -> Output {
    Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("Debian's chromium: run the README's test command, scripts/test, which installs it")
}

fn dom(profile: &Path, url: &str) -> String {
    String::from_utf8_lossy(&browser(profile, url, &["--dump-dom"]).stdout).into_owned()
}

/// Takes a screenshot kept as a test artefact; answers its path.
fn screenshot(profile: &Path, url: &str, name: &str, size: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    browser(profile, url, &[&format!("--screenshot={}", shot.display()), &format!("--window-size={size}")]);
    assert!(std::fs::metadata(&shot).map(|m| m.len() > 10_000).unwrap_or(false), "no screenshot {name}");
    shot
}

/// The Fortnox document made for a WooCommerce order, as the stand-in holds it.
fn fortnox_document(sim: &Sim, order_id: u64) -> Option<String> {
    let reference = format!("woonox:woo:{order_id}");
    let fortnox = sim.fortnox.lock().unwrap();
    let docs = &fortnox.documents;
    let by_ref = |d: &&Value| d["ExternalInvoiceReference1"] == reference.as_str() && d["Credit"] != true;
    let order =
        docs.orders.values().find(by_ref).map(|d| format!("Fortnox order {}", d["DocumentNumber"].as_str().unwrap()));
    order.or_else(|| {
        docs.invoices
            .values()
            .find(by_ref)
            .map(|d| format!("Fortnox invoice {}", d["DocumentNumber"].as_str().unwrap()))
    })
}

#[test]
fn activity_after_a_sync_with_the_refused_order_first() {
    let (_rt, sim, _data, serve) = shop("page-activity");
    let profile = common::data_dir("chromium-activity");
    let page = dom(&profile, &format!("{}/?show=activity", serve.base));
    // A written order: its line names the store's admin page and the Fortnox document,
    // as the stand-ins hold them (not as woonox says).
    let ids: Vec<u64> = sim.woo.lock().unwrap().orders.iter().filter_map(|o| o["id"].as_u64()).collect();
    let sent = ids.into_iter().find_map(|id| fortnox_document(&sim, id).map(|doc| (id, doc)));
    let (id, document) = sent.expect("an order in Fortnox");
    let admin = format!("{}/wp-admin/post.php?post={id}&amp;action=edit", sim.woo_url);
    assert!(page.contains(&admin), "no link to order {id}'s admin page:\n{page}");
    assert!(page.contains(&document), "order {id} is not shown as {document}:\n{page}");
    // The refused order comes before the green noise, with its reason, its markup escaped.
    let refused = page.find(&format!("order {BAD_ORDER}")).expect("the refused order is on the page");
    assert!(refused < page.find("Recent activity").unwrap(), "failures first");
    assert!(page.contains("needs attention"), "{page}");
    assert!(page.contains("does not exist in Fortnox"), "the reason is on the page:\n{page}");
    assert!(!page.contains("<b>x</b>") && page.contains("&lt;b&gt;x&lt;/b&gt;"), "store text must stay text");
    assert!(page.contains("Last 24 h:") && page.contains("next poll"), "when things happen:\n{page}");
    screenshot(&profile, &format!("{}/?show=activity", serve.base), "activity", "1200,1100");
}

#[test]
fn a_lookup_shows_the_item_and_syncs_just_it() {
    let (_rt, sim, _data, serve) = shop("page-lookup");
    let profile = common::data_dir("chromium-lookup");
    let lookup = format!("{}/?connection=default&find={BAD_ORDER}", serve.base);
    let page = dom(&profile, &lookup);
    assert!(page.contains("refused (orders)") && page.contains("does not exist in Fortnox"), "{page}");
    assert!(page.contains(&format!("Sync order {BAD_ORDER} now")), "{page}");

    // The merchant corrects the SKU in WooCommerce and syncs just that order.
    let good_sku = sim.fortnox.lock().unwrap().articles.keys().next().unwrap().clone();
    {
        let mut woo = sim.woo.lock().unwrap();
        let order = woo.orders.iter_mut().find(|o| o["id"] == BAD_ORDER).unwrap();
        order["line_items"][0]["sku"] = json!(good_sku);
    }
    let item = format!("order {BAD_ORDER}");
    assert_eq!(serve.post("/sync/default", &[("item", &item)], None).0, 403, "the form needs its CSRF token");
    sim.log.clear();
    let (status, location) = serve.post("/sync/default", &[("item", &item)], Some(&serve.csrf()));
    assert_eq!((status, location.as_str()), (303, format!("/?connection=default&find={BAD_ORDER}&queued=1").as_str()));
    wait_until("the order's sync", 60, || fortnox_document(&sim, BAD_ORDER).is_some());
    wait_until("its outcome on the page", 30, || {
        serve.page(&format!("/?connection=default&find={BAD_ORDER}")).contains("created (sync now)")
    });
    let document = fortnox_document(&sim, BAD_ORDER).unwrap();
    let page = dom(&profile, &lookup);
    assert!(page.contains(&document), "the lookup links the new document ({document}):\n{page}");
    let orders_written = sim.log.entries().iter().filter(|e| e.is_write() && e.path.ends_with("/3/orders")).count();
    assert_eq!(orders_written, 1, "just that order was sent");
    screenshot(&profile, &lookup, "lookup", "1200,900");

    // An article: its new Fortnox price reaches its product, and nothing else is written.
    let sku = {
        let woo = sim.woo.lock().unwrap();
        woo.products.iter().find(|p| p["type"] == "simple").unwrap()["sku"].as_str().unwrap().to_owned()
    };
    sim.fortnox.lock().unwrap().set_price(&sku, 1234.5);
    let catalog = |sim: &Sim| -> Vec<(Value, Value, Value)> {
        let woo = sim.woo.lock().unwrap();
        woo.products
            .iter()
            .map(|p| (p["sku"].clone(), p["regular_price"].clone(), p["stock_quantity"].clone()))
            .collect()
    };
    let before = catalog(&sim);
    let (status, _) = serve.post("/sync/default", &[("item", &format!("article {sku}"))], Some(&serve.csrf()));
    assert_eq!(status, 303);
    let price = || {
        let woo = sim.woo.lock().unwrap();
        woo.products.iter().find(|p| p["sku"] == sku.as_str()).unwrap()["regular_price"].clone()
    };
    wait_until("the article's sync", 60, || price() == "1234.50");
    wait_until("its outcome on the page", 30, || {
        serve.page(&format!("/?connection=default&find={sku}")).contains("updated (sync now)")
    });
    let changed: Vec<Value> =
        before.iter().zip(catalog(&sim)).filter(|(old, new)| **old != *new).map(|(old, _)| old.0.clone()).collect();
    assert_eq!(changed, [json!(sku)], "only that article's product changed");
}

#[test]
fn the_page_at_phone_width_with_its_script_allowed() {
    let (_rt, _sim, _data, serve) = shop("page-phone");
    let profile = common::data_dir("chromium-phone");
    let url = format!("{}/", serve.base);
    let out = browser(&profile, &url, &["--dump-dom", "--enable-logging=stderr", "--v=0"]);
    let (page, log) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!log.contains("Content Security Policy"), "the page's own script was refused:\n{log}");
    assert!(page.contains("name=\"viewport\""), "no viewport: phones would zoom out");
    let tables = page.matches("<table").count();
    assert!(
        tables > 0 && page.matches("<div class=\"scroll\"><table").count() == tables,
        "a table a phone cannot scroll"
    );
    // Without script it still refreshes itself.
    let raw = serve.page("/");
    assert!(raw.contains("<noscript><meta http-equiv=refresh content=30></noscript>"), "{raw}");
    screenshot(&profile, &url, "phone", "390,844");
}
