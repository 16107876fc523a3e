//! Orders whose rows Fortnox's documentation and a real store showed we sent wrong: text
//! rows (coupon codes, free shipping) carry a quantity, and a discount fee whose tax
//! WooCommerce spread over several rates becomes one row per rate, to the öre.

mod common;

use common::{connected, money, started, sync_json};
use serde_json::{Value, json};
use woonox_sim::Sim;
use woonox_sim::woo_orders::{ExtraSpec, LineSpec, OrderSpec, build};

/// A Fortnox article of the stand-in at `vat` %.
fn article_at(sim: &Sim, vat: u64) -> String {
    let fortnox = sim.fortnox.lock().unwrap();
    fortnox.articles.values().find(|a| a["VAT"] == vat).unwrap()["ArticleNumber"].as_str().unwrap().to_owned()
}

/// Adds an order built WooCommerce's way (recorded exchange 78's shape: a coupon, free
/// shipping, a plugin fee and a discount fee over a 25 % and a 12 % line).
fn add_order(sim: &Sim, id: u64) -> Value {
    let line =
        |sku: String, rate, quantity, unit_cents| LineSpec { name: sku.clone(), sku, rate, quantity, unit_cents };
    let spec = OrderSpec {
        id,
        status: "processing".into(),
        currency: "SEK".into(),
        decimals: 2,
        prices_include_tax: true,
        lines: vec![line(article_at(sim, 25), 25, 1, 19990), line(article_at(sim, 12), 12, 3, 8750)],
        coupon_percent: 10,
        shipping: Some(ExtraSpec { rate: 25, cents: 0 }),
        fees: vec![ExtraSpec { rate: 25, cents: 2900 }, ExtraSpec { rate: 25, cents: -5000 }],
        email: "rows@example.se".into(),
        customer_id: 0,
        buyer: Default::default(),
        modified_gmt: "2026-11-26T17:56:26".into(),
    };
    let (order, _) = build(&spec);
    sim.woo.lock().unwrap().orders.push(order.clone());
    order
}

fn fortnox_order(sim: &Sim, id: u64) -> Value {
    let reference = format!("woonox:woo:{id}");
    let fortnox = sim.fortnox.lock().unwrap();
    fortnox.documents.orders.values().find(|o| o["ExternalInvoiceReference1"] == reference.as_str()).cloned().unwrap()
}

#[test]
fn text_rows_carry_a_quantity_and_a_discount_fee_is_a_row_per_rate() {
    let (_rt, sim) = started(40);
    let order = add_order(&sim, 9001);
    let fee = &order["fee_lines"][1];
    assert!(fee["taxes"].as_array().unwrap().len() >= 2, "the stand-in spreads the fee's tax: {fee}");
    let data = connected("fortnox-rows", &sim);
    let report = sync_json(&data, &["sync", "orders", "--json"]);
    assert_eq!(report["failed"], json!([]), "{report}");

    let doc = fortnox_order(&sim, 9001);
    assert!((money(&doc["Total"]) - money(&order["total"])).abs() < 0.005, "{doc}\n{order}");
    let rows = doc["OrderRows"].as_array().unwrap();
    for row in rows {
        assert!(row.get("OrderedQuantity").is_some() && row.get("DeliveredQuantity").is_some(), "{row}");
    }
    let text_rows: Vec<&Value> = rows.iter().filter(|r| r.get("Price").is_none()).collect();
    assert!(text_rows.iter().any(|r| r["Description"].as_str().unwrap().starts_with("Rabattkod")), "{doc}");
    assert!(text_rows.iter().all(|r| money(&r["OrderedQuantity"]) == 0.0 && money(&r["DeliveredQuantity"]) == 0.0));
    let discount: Vec<(u64, f64)> = rows
        .iter()
        .filter(|r| r["Description"] == "Kampanjrabatt")
        .map(|r| (r["VAT"].as_u64().unwrap(), money(&r["Price"])))
        .collect();
    let rates: Vec<u64> = discount.iter().map(|(vat, _)| *vat).collect();
    assert_eq!(rates, vec![25, 12], "one row per rate the fee's tax was spread over");
    let discount_total: f64 = discount.iter().map(|(_, p)| p).sum();
    let fee_gross = money(&fee["total"]) + money(&fee["total_tax"]);
    assert!((discount_total - fee_gross).abs() < 0.005, "the rows add up to the fee with its VAT");
}

/// Fortnox's documentation makes `OrderedQuantity` required on every order row: the
/// stand-in refuses a text row without it, in Fortnox's words.
#[test]
fn the_stand_in_refuses_an_order_row_without_a_quantity() {
    let (_rt, sim) = started(4);
    let mut fortnox = sim.fortnox.lock().unwrap();
    let customer = fortnox.documents.create_customer(&json!({ "Customer": { "Name": "Anna" } })).unwrap();
    let number = customer["Customer"]["CustomerNumber"].clone();
    let body = json!({ "Order": { "CustomerNumber": number, "OrderRows": [{ "Description": "Rabattkod: x" }] } });
    let fortnox = &mut *fortnox;
    let (status, code, message) = fortnox.documents.create_order(&body, &fortnox.articles).unwrap_err();
    assert_eq!((status, code), (400, 2000108));
    assert!(message.contains("OrderedQuantity"), "{message}");
    let with_quantity = json!({ "Order": { "CustomerNumber": number, "OrderRows": [{ "Description": "Rabattkod: x", "OrderedQuantity": 0 }] } });
    assert!(fortnox.documents.create_order(&with_quantity, &fortnox.articles).is_ok());
}
