//! map-order's promise: the Fortnox document comes to the WooCommerce total to the öre,
//! over generated orders (mixed VAT rates, coupons, fees, shipping, prices with and
//! without VAT, stores with 0 and 2 decimals); an order with a line at a rate Fortnox
//! lacks is refused, naming that line.

use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;
use woonox_guest::settings::{Settings, ShippingMode, VatMode};
use woonox_guest::{MapError, map_order};
use woonox_tests::gen_order::{GeneratedOrder, order};

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(&v.to_string()).unwrap()
}

fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// What Fortnox computes for the document, read from the JSON body alone: row amounts
/// (quantity × price to the öre), VAT per rate on the rows' sum, Freight taxed at 25 %.
fn fortnox_total(doc: &Value) -> Decimal {
    let included = doc["VATIncluded"].as_bool().unwrap();
    let mut per_rate: BTreeMap<u32, Decimal> = BTreeMap::new();
    for row in doc["OrderRows"].as_array().unwrap() {
        if let Some(price) = row.get("Price") {
            let amount = round2(dec(&row["DeliveredQuantity"]) * dec(price));
            *per_rate.entry(row["VAT"].as_u64().unwrap() as u32).or_default() += amount;
        }
    }
    let rows: Decimal = per_rate.values().sum();
    let freight = doc.get("Freight").map(dec).unwrap_or_default();
    let freight_vat = round2(freight * Decimal::new(25, 2));
    if included {
        rows + freight + freight_vat
    } else {
        let vat: Decimal = per_rate.iter().map(|(r, s)| round2(*s * Decimal::from(*r) / Decimal::ONE_HUNDRED)).sum();
        rows + vat + freight + freight_vat
    }
}

fn rounding_rows(doc: &Value, settings: &Settings) -> Vec<Decimal> {
    doc["OrderRows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["AccountNumber"] == settings.order.rounding_account)
        .map(|r| dec(&r["Price"]))
        .collect()
}

fn check(o: &GeneratedOrder, settings: &Settings) -> Result<(), TestCaseError> {
    if o.refused {
        let refusal = map_order(&o.json, Some("1"), settings).map(|m| m.body.to_string());
        let text = refusal.err().map(|e| e.to_string()).unwrap_or_default();
        prop_assert!(text.contains("19%") && text.contains("line"), "not refused for its 19 % line: {text}");
        return Ok(());
    }
    match map_order(&o.json, Some("1"), settings) {
        Ok(mapped) => {
            let doc = &mapped.body["Order"];
            prop_assert_eq!(fortnox_total(doc), o.total, "document {} vs order {}", doc, o.json);
            for r in rounding_rows(doc, settings) {
                prop_assert!(r.abs() <= settings.order.rounding_tolerance, "rounding row {r} over tolerance");
            }
            for (sku, qty) in &o.lines {
                let units: Decimal = doc["OrderRows"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["ArticleNumber"] == sku.as_str())
                    .map(|r| dec(&r["OrderedQuantity"]))
                    .sum();
                prop_assert_eq!(units, Decimal::from(*qty), "quantity of {} changed", sku);
            }
            Ok(())
        }
        Err(MapError::TotalsMismatch { woo_total, fortnox_total, tolerance }) => {
            prop_assert_eq!(woo_total, o.total);
            prop_assert!((woo_total - fortnox_total).abs() > tolerance);
            Ok(())
        }
        Err(e) => Err(TestCaseError::fail(format!("{e} for {}", o.json))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_document_comes_to_the_order_total(o in order()) {
        check(&o, &Settings::default())?;
    }

    /// Prices with VAT give rows whose sum is the total: never a rounding row, never an error.
    #[test]
    fn with_vat_included_rows_are_exact(o in order()) {
        prop_assume!(!o.refused);
        let mut settings = Settings::default();
        settings.order.prices = VatMode::Included;
        let mapped = map_order(&o.json, None, &settings).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(rounding_rows(&mapped.body["Order"], &settings).is_empty());
        check(&o, &settings)?;
    }

    /// A two-decimal store without VAT in prices differs from Fortnox's VAT only by
    /// rounding, well inside the default tolerance: it always maps.
    #[test]
    fn a_two_decimal_store_always_maps(o in order()) {
        prop_assume!(o.decimals == 2 && !o.refused);
        let mut settings = Settings::default();
        settings.order.prices = VatMode::Excluded;
        prop_assert!(map_order(&o.json, None, &settings).is_ok());
        check(&o, &settings)?;
    }

    #[test]
    fn freight_mode_reconciles_or_names_the_difference(o in order()) {
        let mut settings = Settings::default();
        settings.order.shipping = ShippingMode::Freight;
        check(&o, &settings)?;
    }
}

#[test]
fn a_difference_beyond_the_tolerance_is_an_error_naming_both_totals() {
    let json = woonox_tests::fixture("woocommerce/order-real-processing-coupon-fee.json")
        .replace("\"total\": \"753.30\"", "\"total\": \"760.00\"");
    let err = map_order(&json, None, &Settings::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("753.30") && text.contains("760.00"), "{text}");
}

#[test]
fn a_difference_within_the_tolerance_becomes_a_rounding_row() {
    let json = woonox_tests::fixture("woocommerce/order-real-processing-coupon-fee.json")
        .replace("\"total\": \"753.30\"", "\"total\": \"753.00\"");
    let settings = Settings::default();
    let mapped = map_order(&json, None, &settings).unwrap();
    let doc = &mapped.body["Order"];
    assert_eq!(rounding_rows(doc, &settings), vec![Decimal::new(-30, 2)]);
    assert_eq!(fortnox_total(doc), Decimal::new(75300, 2));
}
