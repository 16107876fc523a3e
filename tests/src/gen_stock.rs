//! Fortnox articles and prices, and WooCommerce product lists, for product and stock
//! properties.

use proptest::prelude::*;
use serde_json::{Value, json};

/// A Fortnox article with Fortnox's loose typing: some numbers arrive as strings.
pub fn article() -> impl Strategy<Value = (String, Option<String>)> {
    (
        0u32..40,
        "[A-Za-zåäö0-9 ,.-]{1,40}",
        any::<bool>(),
        any::<bool>(),
        prop::option::of(-20i64..5_000),
        prop::option::of(0u32..30_000),
        prop::option::of(0i64..1_000_000),
        any::<bool>(),
    )
        .prop_map(|(n, description, stock_goods, webshop, quantity, weight, price_cents, as_strings)| {
            let sku = format!("ART-{n}");
            let quantity = quantity.map(|q| q as f64 / 2.0);
            let disposable = match (quantity, as_strings) {
                (Some(q), true) => json!(q.to_string()),
                (Some(q), false) => json!(q),
                (None, _) => Value::Null,
            };
            let article = json!({ "Article": {
                "ArticleNumber": sku, "Description": description, "StockGoods": stock_goods,
                "WebshopArticle": webshop, "Active": true, "DisposableQuantity": disposable,
                "Weight": weight, "Width": 100, "Height": 50, "Depth": 20, "Note": "Anteckning"
            }});
            let price = price_cents.map(|c| {
                json!({ "Price": { "ArticleNumber": sku, "PriceList": "A", "FromQuantity": 0, "Price": c as f64 / 100.0 } })
                    .to_string()
            });
            (article.to_string(), price)
        })
}

/// Fortnox articles and WooCommerce products over a shared, small SKU space, so that
/// matches, mismatches and one-sided SKUs all occur.
pub fn stock_sets() -> impl Strategy<Value = (String, String)> {
    let fortnox = prop::collection::vec((0u8..15, prop::option::of(-10i64..400), any::<bool>()), 0..15);
    let woo = prop::collection::vec(
        (
            0u8..15,
            prop::option::of(-3i64..400),
            prop::sample::select(vec![json!(true), json!(false), json!("parent")]),
            any::<bool>(),
        ),
        0..15,
    );
    (fortnox, woo).prop_map(|(f, w)| {
        let articles: Vec<Value> = f
            .into_iter()
            .map(|(s, q, goods)| {
                json!({ "ArticleNumber": format!("SKU-{s}"), "StockGoods": goods,
                        "DisposableQuantity": q.map(|q| (q as f64 / 4.0).to_string()) })
            })
            .collect();
        let products: Vec<Value> = w
            .into_iter()
            .enumerate()
            .map(|(i, (s, q, manage, variation))| {
                json!({ "id": 1000 + i, "parent_id": if variation { 15 } else { 0 },
                        "type": if variation { "variation" } else { "simple" },
                        "sku": format!("SKU-{s}"), "manage_stock": manage, "stock_quantity": q })
            })
            .collect();
        (json!({ "Articles": articles }).to_string(), Value::Array(products).to_string())
    })
}
