//! The mappings over real WooCommerce 10.0.2 responses and the API documentation's
//! examples, with expected values worked out by hand from the inputs.

use serde_json::{Value, json};
use woonox_guest::settings::{Settings, VatMode};
use woonox_guest::stock::{fortnox_levels, reconcile, woo_levels};
use woonox_guest::{map_customer, map_order, map_product};
use woonox_tests::fixture;

fn rows(body: &Value) -> Vec<Value> {
    body["Order"]["OrderRows"].as_array().unwrap().clone()
}

#[test]
fn real_order_with_coupon_fee_and_shipping_prices_including_vat() {
    let order = fixture("woocommerce/order-real-processing-coupon-fee.json");
    let mapped = map_order(&order, Some("1042"), &Settings::default()).unwrap();
    let doc = &mapped.body["Order"];
    assert_eq!(doc["CustomerNumber"], "1042");
    assert_eq!(doc["OrderDate"], "2026-11-26");
    assert_eq!(doc["Currency"], "SEK");
    assert_eq!(doc["VATIncluded"], true);
    assert_eq!(doc["YourOrderNumber"], "22");
    assert_eq!(doc["ExternalInvoiceReference1"], "woonox:woo:22");
    assert_eq!(doc["Remarks"], "Lämna vid dörren.");
    // 272.16 + 68.04 tax for 2 mugs = 170.10 each; 296.32 + 17.78 for the book; shipping
    // 39.20 + 9.80; fee 40.00 + 10.00; the coupon code as a text row.
    assert_eq!(
        rows(&mapped.body),
        vec![
            json!({"ArticleNumber": "FNX-1001", "Description": "Kaffekopp Blå", "OrderedQuantity": 2, "DeliveredQuantity": 2, "Price": 170.1, "VAT": 25}),
            json!({"ArticleNumber": "FNX-1002", "Description": "Kokbok Svensk Husmanskost", "OrderedQuantity": 1, "DeliveredQuantity": 1, "Price": 314.1, "VAT": 6}),
            json!({"Description": "PostNord", "OrderedQuantity": 1, "DeliveredQuantity": 1, "Price": 49, "VAT": 25}),
            json!({"Description": "Fakturaavgift", "OrderedQuantity": 1, "DeliveredQuantity": 1, "Price": 50, "VAT": 25}),
            json!({"Description": "Rabattkod: rabatt10", "OrderedQuantity": 0, "DeliveredQuantity": 0}),
        ]
    );
    assert!(mapped.warnings.is_empty(), "{:?}", mapped.warnings);
}

#[test]
fn the_same_order_with_prices_excluding_vat() {
    let order = fixture("woocommerce/order-real-processing-coupon-fee.json");
    let mut settings = Settings::default();
    settings.order.prices = VatMode::Excluded;
    let mapped = map_order(&order, None, &settings).unwrap();
    let prices: Vec<Value> =
        rows(&mapped.body).iter().map(|r| r.get("Price").cloned().unwrap_or(Value::Null)).collect();
    // Ex-VAT rows: 136.08, 296.32, 39.20, 40.00. Fortnox's VAT: 25 % of 351.36 = 87.84 and
    // 6 % of 296.32 = 17.78, so 647.68 + 105.62 = 753.30, the order total: no rounding row.
    assert_eq!(prices, [json!(136.08), json!(296.32), json!(39.2), json!(40), Value::Null]);
    assert_eq!(mapped.body["Order"]["VATIncluded"], false);
}

#[test]
fn real_guest_order_with_a_variation_and_free_shipping() {
    let order = fixture("woocommerce/order-real-guest-variation.json");
    let mapped = map_order(&order, None, &Settings::default()).unwrap();
    let rows = rows(&mapped.body);
    assert_eq!(rows[0]["ArticleNumber"], "FNX-2000-M");
    assert_eq!(rows[0]["Price"], json!(199)); // 159.20 + 39.80
    assert_eq!(rows[1]["ArticleNumber"], "FNX-1004");
    assert_eq!(rows[1]["Price"], json!(250)); // 200.00 + 50.00
    assert_eq!(rows[2], json!({"Description": "Fri frakt", "OrderedQuantity": 0, "DeliveredQuantity": 0}));
    assert_eq!(rows.len(), 3);
    assert!(mapped.body["Order"].get("CustomerNumber").is_none());
}

/// Every order the real store produced (processing, refunded, completed, a webhook
/// payload) maps to a document with the store's total; the empty order the store accepted
/// for a non-existent product is refused with a reason.
#[test]
fn every_recorded_real_order() {
    let orders: Vec<Value> = serde_json::from_str(&fixture("woocommerce/orders-real-all.json")).unwrap();
    assert_eq!(orders.len(), 6);
    for order in orders {
        let result = map_order(&order.to_string(), Some("1"), &Settings::default());
        if order["id"] == 24 {
            assert_eq!(
                result.unwrap_err().to_string(),
                "line 1 (\"\"): has neither SKU nor name; a Fortnox row needs one of them"
            );
            continue;
        }
        let body = result.unwrap_or_else(|e| panic!("order {}: {e}", order["id"])).body;
        let amounts: f64 =
            rows(&body).iter().filter_map(|r| Some(r.get("Price")?.as_f64()? * r["DeliveredQuantity"].as_f64()?)).sum();
        let total: f64 = order["total"].as_str().unwrap().parse().unwrap();
        // VAT-included rows: their amounts are the total.
        assert!((amounts - total).abs() < 0.005, "order {}: rows {amounts} vs total {total}", order["id"]);
    }
}

#[test]
fn docs_order_with_us_state_tax_is_refused_naming_the_line_and_rate() {
    let order = fixture("woocommerce/order-docs-us-state-tax.json");
    let err = map_order(&order, None, &Settings::default()).unwrap_err();
    assert_eq!(err.to_string(), "line 1 (\"Woo Single #1\"): tax 0.45 on 6.00 is 7.5%, not a Fortnox VAT rate");
}

#[test]
fn guest_order_billing_becomes_a_private_swedish_customer() {
    let order = fixture("woocommerce/order-real-guest-variation.json");
    let c = map_customer(&order, &Settings::default()).unwrap().body;
    let c = &c["Customer"];
    assert_eq!(c["Name"], "Bertil Berg");
    assert_eq!(c["Type"], "PRIVATE");
    assert_eq!(c["Email"], "bertil@example.se");
    assert_eq!(c["CountryCode"], "SE");
    assert_eq!(c["ZipCode"], "113 50");
    assert_eq!(c["VATType"], "SEVAT");
    assert_eq!(c["Currency"], "SEK");
    assert!(c.get("ExternalReference").is_none(), "a guest has no WooCommerce customer id");
}

#[test]
fn registered_customers_from_the_real_store_and_the_docs() {
    let real = map_customer(&fixture("woocommerce/customer-real.json"), &Settings::default()).unwrap().body;
    assert!(real["Customer"]["Name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(real["Customer"]["ExternalReference"].as_str().unwrap().starts_with("woonox:woo:customer:"));
    let docs = map_customer(&fixture("woocommerce/customer-docs.json"), &Settings::default()).unwrap().body;
    assert_eq!(docs["Customer"]["Name"], "John Doe");
    assert_eq!(docs["Customer"]["Email"], "john.doe@example.com");
    // The docs' customer lives in the US: outside the EU, so EXPORT.
    assert_eq!(docs["Customer"]["VATType"], "EXPORT");
    assert_eq!(docs["Customer"]["CountryCode"], "US");
}

#[test]
fn a_fortnox_article_with_its_price_becomes_a_product() {
    let p = map_product(
        &fixture("fortnox/article-mug.json"),
        Some(&fixture("fortnox/price-mug.json")),
        &Settings::default(),
    )
    .unwrap()
    .body;
    assert_eq!(p["sku"], "FNX-1001");
    assert_eq!(p["name"], "Kaffekopp Blå");
    assert_eq!(p["regular_price"], "189.00");
    assert_eq!(p["manage_stock"], true);
    assert_eq!(p["stock_quantity"], 12); // DisposableQuantity "12.0", not QuantityInStock 14
    assert_eq!(p["status"], "publish");
    assert_eq!(p["weight"], "0.35"); // 350 g in kg
    assert_eq!(p["dimensions"], json!({"length": "12", "width": "9", "height": "9.5"})); // mm → cm
    assert_eq!(p["global_unique_id"], "7350000000012");
    assert!(p.get("SalesPrice").is_none() && p.get("price").is_none());
}

#[test]
fn real_variations_reconciled_against_fortnox_stock() {
    let fortnox = fortnox_levels(&fixture("fortnox/articles-list.json")).unwrap();
    let woo = woo_levels(&fixture("woocommerce/variations-real.json")).unwrap();
    let plan = reconcile(&fortnox, &woo);
    // FNX-2000-M: Fortnox 3.5 available → 3 whole units; WooCommerce has 8.
    assert_eq!(plan.updates.len(), 1);
    assert_eq!(plan.updates[0].sku, "FNX-2000-M");
    assert_eq!(plan.updates[0].product_id, 17);
    assert_eq!(plan.updates[0].parent_id, Some(15));
    assert_eq!(plan.updates[0].quantity.to_string(), "3");
    assert_eq!(plan.only_in_woo, ["FNX-2000-S"]);
    assert_eq!(plan.only_in_fortnox, ["FNX-1001", "FNX-2000-L"]); // FRAKT is not stock goods
}
