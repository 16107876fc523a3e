//! What the merchant sees on the WooCommerce side, through the binary against the
//! stand-ins: products get the tax class of their article's VAT; a Fortnox credit comes
//! back as a refund whose lines (shipping and fees too) add up to its amount, without
//! restocking; a refund WooCommerce refuses is said once, noted on the order, and waits
//! for the merchant; a refused order is explained on the order; a dry run shows what each
//! update changes.

mod common;

use common::{connected, started, sync_json, sync_report, woonox, writes};
use serde_json::Value;
use woonox_sim::Sim;

const INVOICES: &str = "[order]\ndocument = \"invoice\"\n";

fn settings_file(data: &std::path::Path, text: &str) -> String {
    std::fs::create_dir_all(data).unwrap();
    let path = data.join("settings.toml");
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn notes(sim: &Sim, order_id: u64) -> Vec<String> {
    let woo = sim.woo.lock().unwrap();
    let notes = woo.writes.notes.get(&order_id).cloned().unwrap_or_default();
    notes.iter().map(|n| n["note"].as_str().unwrap_or_default().to_owned()).collect()
}

/// The number of the Fortnox invoice woonox made for a WooCommerce order.
fn invoice_number(sim: &Sim, order_id: u64) -> u64 {
    let reference = format!("woonox:woo:{order_id}");
    let fortnox = sim.fortnox.lock().unwrap();
    let invoice = fortnox.documents.invoices.values().find(|i| i["ExternalInvoiceReference1"] == reference.as_str());
    invoice.unwrap()["DocumentNumber"].as_str().unwrap().parse().unwrap()
}

/// The accountant books the invoice and credits it whole.
fn credit_in_fortnox(sim: &Sim, invoice: u64) {
    let mut fortnox = sim.fortnox.lock().unwrap();
    fortnox.documents.invoice_action(invoice, "bookkeep").unwrap();
    fortnox.documents.invoice_action(invoice, "credit").unwrap();
}

fn refund_attempts(sim: &Sim) -> usize {
    sim.log.entries().iter().filter(|e| e.is_write() && e.path.ends_with("/refunds")).count()
}

/// An order sent to Fortnox, then refunded in WooCommerce by hand and credited by the
/// accountant as well: the credit-notes flow will be refused ("Invalid refund amount").
/// Answers the settings file and the order's id.
fn refunded_twice(sim: &Sim, data: &std::path::Path) -> (&'static str, u64) {
    let settings: &'static str = settings_file(data, INVOICES).leak();
    sync_json(data, &["--settings", settings, "sync", "orders", "--json"]);
    let order_id = sim.woo.lock().unwrap().orders[0]["id"].as_u64().unwrap();
    {
        let mut woo = sim.woo.lock().unwrap();
        let state = &mut *woo;
        let total = state.orders.iter().find(|o| o["id"] == order_id).unwrap()["total"].clone();
        let body = serde_json::json!({ "amount": total, "api_refund": false, "line_items": [] });
        state.writes.refund(&mut state.orders, order_id, &body).unwrap();
    }
    credit_in_fortnox(sim, invoice_number(sim, order_id));
    (settings, order_id)
}

#[test]
fn a_refused_credit_is_said_once_then_waits_for_the_merchant() {
    let (_rt, sim) = started(40);
    let data = connected("held-credit", &sim);
    let (settings, order_id) = refunded_twice(&sim, &data);
    let with = |args: &[&'static str]| -> Vec<&'static str> { [&["--settings", settings][..], args].concat() };

    let (code, report) = sync_report(&data, &with(&["sync", "credit-notes", "--json"]));
    assert_eq!(code, Some(1), "{report}");
    let reason = report["failed"][0]["reason"].as_str().unwrap_or_default().to_owned();
    assert!(reason.contains("dismiss") && reason.contains("--retry-failed"), "says what to do: {reason}");
    let noted = notes(&sim, order_id).into_iter().filter(|n| n.contains("could not record Fortnox credit")).count();
    assert_eq!(noted, 1, "a private note on the order says what happened");

    // It waits: no second attempt, no second note, but still needs attention.
    sim.log.clear();
    let out = woonox(&data, &with(&["sync", "credit-notes"]));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stderr.contains("wait for you") && stderr.contains("--dismiss-failed"), "{stderr}");
    assert_eq!(writes(&sim), 0, "a held credit is not tried again");
    let check = woonox(&data, &with(&["check"]));
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stderr).contains("credit invoice"), "check lists it");

    // Asked to, it tries again (and is refused again, without a second note).
    let (code, _) = sync_report(&data, &with(&["sync", "credit-notes", "--retry-failed", "--json"]));
    assert_eq!(code, Some(1));
    assert_eq!(refund_attempts(&sim), 1, "--retry-failed tries it once more");
    assert_eq!(notes(&sim, order_id).iter().filter(|n| n.contains("could not record")).count(), 1);

    // Dismissed, it is left alone for good.
    sim.log.clear();
    let (code, report) = sync_report(&data, &with(&["sync", "credit-notes", "--dismiss-failed", "--json"]));
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(writes(&sim), 0);
    assert_eq!(woonox(&data, &with(&["check"])).status.code(), Some(0));
}

/// The item key in the held item's `action` form.
fn held_key(page: &str, action: &str) -> String {
    let form = page.split("<form").find(|f| f.contains(&format!("/held/default/{action}")));
    let form = form.unwrap_or_else(|| panic!("no {action} form for a held item: {page}"));
    let start = form.find("name=key value=\"").unwrap() + 16;
    form[start..].split('"').next().unwrap().replace("&amp;", "&").replace("&quot;", "\"")
}

/// The same held credit, settled from `serve`'s status page: its Retry and Dismiss forms
/// (with the page's CSRF token) do what `--retry-failed` and `--dismiss-failed` do.
#[test]
fn a_held_credit_is_retried_and_dismissed_from_the_status_page() {
    let (_rt, sim) = started(40);
    let data = connected("held-page", &sim);
    let (settings, order_id) = refunded_twice(&sim, &data);
    assert_eq!(sync_report(&data, &["--settings", settings, "sync", "credit-notes", "--json"]).0, Some(1));
    common::serve::schedule(&data, "default", common::serve::ALL_OFF);
    let page = common::serve::serve_with(&data, common::serve::free_port(), &["--settings", settings]);
    sim.log.clear();

    let key = held_key(&page.page("/"), "retry");
    assert!(key.starts_with("held:"), "{key}");
    assert_eq!(page.post("/held/default/retry", &[("key", &key)], None).0, 403, "a form without the CSRF token");
    assert_eq!(page.post("/held/default/retry", &[("key", &key)], Some(&page.csrf())).0, 303);
    common::serve::wait_until("Retry to run the credit-notes flow", 60, || refund_attempts(&sim) > 0);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(refund_attempts(&sim), 1, "Retry tries it once");
    assert_eq!(notes(&sim, order_id).iter().filter(|n| n.contains("could not record")).count(), 1, "no second note");

    let key = held_key(&page.page("/"), "dismiss");
    assert_eq!(page.post("/held/default/dismiss", &[("key", &key)], Some(&page.csrf())).0, 303);
    assert!(!page.page("/").contains("/held/default/"), "a dismissed item is still on the page");
    drop(page);
    assert_eq!(woonox(&data, &["--settings", settings, "check"]).status.code(), Some(0), "check still lists it");
}

#[test]
fn a_refused_order_is_explained_on_the_order_once_per_reason() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = woonox_sim::SimConfig { articles: 40, orders: Some(1), refused_orders: 1, ..Default::default() };
    let sim = rt.block_on(Sim::start(config)).unwrap();
    let data = connected("refused-noted", &sim);
    for _ in 0..2 {
        let (code, _) = sync_report(&data, &["sync", "orders", "--json"]);
        assert_eq!(code, Some(1));
    }
    let notes = notes(&sim, 9000);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("could not send this order to Fortnox") && notes[0].contains("19%"), "{}", notes[0]);
    let private = sim.woo.lock().unwrap().writes.notes[&9000][0]["customer_note"].clone();
    assert_eq!(private, false, "the buyer never sees it");
}

#[test]
fn a_dry_run_shows_each_changed_field() {
    let (_rt, sim) = started(40);
    let data = connected("dry-diff", &sim);
    sync_json(&data, &["sync", "products", "--json"]);
    let sku = sim.woo.lock().unwrap().products.iter().find(|p| p["type"] == "simple").unwrap()["sku"].clone();
    let sku = sku.as_str().unwrap().to_owned();
    let old =
        sim.woo.lock().unwrap().products.iter().find(|p| p["sku"] == sku.as_str()).unwrap()["regular_price"].clone();
    sim.fortnox.lock().unwrap().set_price(&sku, 1234.5);
    sim.log.clear();
    let report = sync_json(&data, &["sync", "products", "--dry-run", "--json"]);
    assert_eq!(writes(&sim), 0);
    let change = report["changes"].as_array().unwrap().iter().find(|c| c["item"] == format!("article {sku}"));
    let fields = change.unwrap_or_else(|| panic!("{report}"))["fields"].clone();
    let price = fields.as_array().unwrap().iter().find(|f| f["field"] == "regular_price").cloned();
    assert_eq!(price, Some(serde_json::json!({ "field": "regular_price", "old": old, "new": "1234.50" })), "{fields}");
    assert_eq!(fields.as_array().unwrap().len(), 1, "only what changes: {fields}");
    let table = woonox(&data, &["sync", "products", "--dry-run"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains(&format!("regular_price: {} → 1234.50", old.as_str().unwrap())), "{text}");

    // A skipped item comes with its reason.
    let cancelled = {
        let mut woo = sim.woo.lock().unwrap();
        let order = woo.orders.iter_mut().find(|o| o["status"] == "pending").unwrap();
        order["status"] = "cancelled".into();
        order["id"].clone()
    };
    let report = sync_json(&data, &["sync", "orders", "--dry-run", "--json"]);
    let skipped =
        report["skipped_items"].as_array().unwrap().iter().find(|s| s["item"] == format!("order {cancelled}"));
    let reason = skipped.unwrap_or_else(|| panic!("{report}"))["reason"].as_str().unwrap();
    assert!(reason.contains("status cancelled"), "{reason}");
}

/// The recorded store's classes (exchanges 17 and 18): 25 % standard (""), 12 %
/// `reduced-rate`, 6 % `reduced-rate-6`, 0 % `zero-rate`.
fn recorded_class(vat: u64) -> &'static str {
    match vat {
        25 => "",
        12 => "reduced-rate",
        6 => "reduced-rate-6",
        0 => "zero-rate",
        other => panic!("no class for {other} %"),
    }
}

fn article_vat(sim: &Sim, sku: &str) -> u64 {
    let fortnox = sim.fortnox.lock().unwrap();
    let vat = &fortnox.articles[sku]["VAT"];
    vat.as_u64().or_else(|| vat.as_f64().map(|v| v as u64)).unwrap()
}

#[test]
fn products_get_the_tax_class_of_their_articles_vat() {
    let (_rt, sim) = started(60);
    let data = connected("tax-classes", &sim);
    // One variable product's parent is at 0 %, so its variation needs a class of its own.
    let odd_parent = {
        let mut woo = sim.woo.lock().unwrap();
        let parent = woo.products.iter_mut().find(|p| p["type"] == "variable").unwrap();
        parent["tax_class"] = "zero-rate".into();
        parent["id"].as_u64().unwrap()
    };
    sync_json(&data, &["sync", "products", "--json"]);
    let products = sim.woo.lock().unwrap().products.clone();
    let mut checked = std::collections::BTreeSet::new();
    for p in products.iter().filter(|p| p["sku"].as_str().is_some_and(|s| !s.is_empty())) {
        let sku = p["sku"].as_str().unwrap();
        let expected = recorded_class(article_vat(&sim, sku));
        let class = p["tax_class"].as_str().unwrap_or("missing");
        if p["type"] == "variation" {
            let parent = products.iter().find(|q| q["id"] == p["parent_id"]).unwrap();
            let follows = parent["tax_class"] == expected && matches!(class, "parent" | "");
            assert!(follows || class == expected, "variation {sku}: {class:?}, parent {}", parent["tax_class"]);
            if p["parent_id"] == odd_parent {
                assert_eq!(class, expected, "a variation whose parent charges another rate gets its own class");
            }
        } else {
            assert_eq!(class, expected, "product {sku}");
        }
        checked.insert(expected);
    }
    assert!(checked.len() >= 3, "the catalogue has articles at several rates: {checked:?}");
    sim.log.clear();
    sync_json(&data, &["sync", "products", "--json"]);
    assert_eq!(writes(&sim), 0, "a second run wrote");

    // A store in a country where no class charges the article's VAT: refused, saying so.
    sim.woo.lock().unwrap().settings.set("general", "woocommerce_default_country", &"NO".into());
    let sku = products.iter().find(|p| p["type"] == "simple").unwrap()["sku"].as_str().unwrap().to_owned();
    sim.fortnox.lock().unwrap().set_price(&sku, 777.0);
    let (code, report) = sync_report(&data, &["sync", "products", "--json"]);
    assert_eq!(code, Some(1), "{report}");
    let failure = &report["failed"][0];
    assert_eq!(failure["item"], format!("article {sku}"));
    let reason = failure["reason"].as_str().unwrap();
    let vat = article_vat(&sim, &sku);
    assert!(reason.contains(&format!("{vat} % VAT in NO")) && reason.contains("add a tax class"), "{reason}");
}

/// The first order with shipping and a product line, as the store holds it.
fn order_with_shipping(sim: &Sim) -> Value {
    let woo = sim.woo.lock().unwrap();
    let with_shipping = |o: &&Value| o["shipping_lines"].as_array().is_some_and(|s| !s.is_empty());
    woo.orders
        .iter()
        .filter(|o| o["status"] == "processing" || o["status"] == "completed")
        .find(with_shipping)
        .unwrap()
        .clone()
}

fn stock_of(sim: &Sim, product_id: &Value) -> Value {
    sim.woo
        .lock()
        .unwrap()
        .products
        .iter()
        .find(|p| &p["id"] == product_id)
        .map(|p| p["stock_quantity"].clone())
        .unwrap_or_default()
}

fn cents(v: &Value) -> i64 {
    (common::money(v) * 100.0).round() as i64
}

/// A credit of a whole invoice comes back with every line, shipping included, summing to
/// its amount; `restock` says whether WooCommerce was asked to restock.
fn credit_comes_back(name: &str, settings: &str, restocks: bool) {
    let (_rt, sim) = started(40);
    let data = connected(name, &sim);
    let settings: &'static str = settings_file(&data, settings).leak();
    sync_json(&data, &["--settings", settings, "sync", "orders", "--json"]);
    let order = order_with_shipping(&sim);
    let order_id = order["id"].as_u64().unwrap();
    let line = &order["line_items"][0];
    let before = stock_of(&sim, &line["product_id"]);
    credit_in_fortnox(&sim, invoice_number(&sim, order_id));
    let report = sync_json(&data, &["--settings", settings, "sync", "credit-notes", "--json"]);
    assert!(report["created"].as_u64().unwrap() >= 1, "{report}");
    let refund = sim.woo.lock().unwrap().writes.refunds[&order_id][0].clone();
    assert_eq!(cents(&refund["amount"]), cents(&order["total"]), "the whole order was credited: {refund}");
    let lines: i64 = ["line_items", "shipping_lines", "fee_lines"]
        .iter()
        .flat_map(|k| refund[*k].as_array().cloned().unwrap_or_default())
        .map(|l| cents(&l["total"]) + cents(&l["total_tax"]))
        .sum();
    assert_eq!(-lines, cents(&refund["amount"]), "the refund's lines add up to its amount: {refund}");
    let shipping = refund["shipping_lines"].as_array().unwrap();
    assert_eq!(shipping.len(), order["shipping_lines"].as_array().unwrap().len(), "shipping is refunded: {refund}");
    let quantity = line["quantity"].as_i64().unwrap();
    let after = stock_of(&sim, &line["product_id"]);
    match (restocks, before.as_i64()) {
        (false, _) => assert_eq!(after, before, "no restock: Fortnox owns stock"),
        (true, Some(b)) => assert_eq!(after.as_i64(), Some(b + quantity), "restocked on request"),
        (true, None) => panic!("the line's product manages no stock"),
    }
}

#[test]
fn a_fortnox_credit_comes_back_with_shipping_and_without_restocking() {
    credit_comes_back("credit-lines", INVOICES, false);
}

#[test]
fn restocking_credited_items_is_a_setting() {
    credit_comes_back(
        "credit-restock",
        "[order]\ndocument = \"invoice\"\n\n[flows]\nrestock-credited-items = true\n",
        true,
    );
}
