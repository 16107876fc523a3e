//! Mapping never panics, whatever JSON (or non-JSON) arrives: it answers a body or an
//! error with a message.

use proptest::prelude::*;
use serde_json::Value;
use woonox_guest::settings::Settings;
use woonox_guest::stock::{fortnox_levels, woo_levels};
use woonox_guest::{map_customer, map_order, map_product};
use woonox_tests::gen_order::order;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        ".{0,12}".prop_map(Value::from),
        prop::sample::select(vec!["", "0", "1.5", "-3", "true", "12,50", "1e400", "NaN", "parent"])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Names the decoders look for, so arbitrary values land in real fields.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "total",
            "total_tax",
            "quantity",
            "sku",
            "taxes",
            "line_items",
            "tax_lines",
            "rate_id",
            "rate_percent",
            "shipping_lines",
            "fee_lines",
            "coupon_lines",
            "billing",
            "country",
            "meta_data",
            "key",
            "value",
            "date_created",
            "prices_include_tax",
            "Article",
            "ArticleNumber",
            "DisposableQuantity",
            "StockGoods",
            "Price",
            "PriceList",
            "Weight",
            "Articles",
            "itemId",
            "availableStock",
            "manage_stock",
            "stock_quantity",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

fn run_all(input: &str) {
    let settings = Settings::default();
    for result in [
        map_order(input, Some("1"), &settings).map(|_| ()),
        map_customer(input, &settings).map(|_| ()),
        map_product(input, Some(input), &settings).map(|_| ()),
        map_product(input, None, &settings).map(|_| ()),
        fortnox_levels(input).map(|_| ()),
        woo_levels(input).map(|_| ()),
    ] {
        if let Err(e) = result {
            assert!(!e.to_string().trim().is_empty(), "an error without a message for {input}");
        }
    }
}

/// Replaces the value at a pseudo-random place in `doc` with `replacement`.
fn mutate(doc: &mut Value, mut pick: usize, replacement: Value) {
    let mut node = doc;
    loop {
        let children = match node {
            Value::Object(m) if !m.is_empty() => m.len(),
            Value::Array(a) if !a.is_empty() => a.len(),
            _ => break,
        };
        let i = pick % (children + 1);
        if i == children {
            break;
        }
        pick /= children + 1;
        node = match node {
            Value::Object(m) => m.values_mut().nth(i).unwrap(),
            Value::Array(a) => &mut a[i],
            _ => unreachable!(),
        };
    }
    *node = replacement;
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_json(v in json_value()) {
        run_all(&v.to_string());
    }

    #[test]
    fn arbitrary_text(s in ".{0,200}") {
        run_all(&s);
    }

    /// A valid order with one value anywhere in it replaced by anything.
    #[test]
    fn a_valid_order_with_one_field_broken(o in order(), pick in any::<usize>(), v in json_value()) {
        let mut doc: Value = serde_json::from_str(&o.json).unwrap();
        mutate(&mut doc, pick, v);
        run_all(&doc.to_string());
    }
}
