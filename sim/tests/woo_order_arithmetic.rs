//! The stand-in's WooCommerce order arithmetic against the real store: the orders of
//! recorded exchanges 78 (prices with VAT) and 80 (prices without VAT), rebuilt from the
//! same catalogue, shipping and fees, come to the recorded fee taxes and totals. The
//! oracle is the recording, not our own arithmetic.

use serde_json::Value;
use woonox_sim::woo_orders::{ExtraSpec, LineSpec, OrderSpec, build};

fn recorded(name: &str) -> Value {
    let path = format!("{}/../../shared/specs/woocommerce/real-10.0.2/transcripts/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str::<Value>(&text).unwrap()["response"]["body"].clone()
}

/// The recorded order's catalogue: 199.90 at 25 %, 249.00 at 6 %, 3 × 33.33 at 0 %,
/// shipping 39.20 and fees 29.00 and -50.00.
fn spec(prices_include_tax: bool) -> OrderSpec {
    let line = |sku: &str, rate, quantity, unit_cents| LineSpec {
        sku: sku.into(),
        name: sku.into(),
        rate,
        quantity,
        unit_cents,
    };
    OrderSpec {
        id: 1,
        status: "processing".into(),
        currency: "SEK".into(),
        decimals: 2,
        prices_include_tax,
        lines: vec![line("KVARN", 25, 1, 19990), line("BOK", 6, 1, 24900), line("GAVA", 0, 3, 3333)],
        coupon_percent: 0,
        shipping: Some(ExtraSpec { rate: 25, cents: 3920 }),
        fees: vec![ExtraSpec { rate: 25, cents: 2900 }, ExtraSpec { rate: 25, cents: -5000 }],
        email: "karin.lind@example.se".into(),
        customer_id: 2,
        buyer: Default::default(),
        modified_gmt: "2026-11-26T17:56:26".into(),
    }
}

fn discount_fee(order: &Value) -> &Value {
    order["fee_lines"].as_array().unwrap().iter().find(|f| f["total"].as_str().unwrap().starts_with('-')).unwrap()
}

fn taxes(fee: &Value) -> Vec<(u64, String)> {
    fee["taxes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_u64().unwrap(), t["total"].as_str().unwrap().into()))
        .collect()
}

fn check(recording: &str, prices_include_tax: bool) {
    let real = recorded(recording);
    let (ours, _) = build(&spec(prices_include_tax));
    assert_eq!(ours["total"], real["total"], "{recording}: order total");
    let (ours_fee, real_fee) = (discount_fee(&ours), discount_fee(&real));
    assert_eq!(taxes(ours_fee), taxes(real_fee), "{recording}: the fee's tax per rate");
    assert_eq!(ours_fee["total_tax"], real_fee["total_tax"], "{recording}: the fee's total tax");
}

#[test]
fn a_discount_fee_is_taxed_as_the_real_store_taxes_it_with_prices_including_vat() {
    check("78-order-create-negative-fee-tax-spread.json", true);
}

#[test]
fn a_discount_fee_is_taxed_as_the_real_store_taxes_it_with_prices_excluding_vat() {
    check("80-order-create-negative-fee-prices-excl-vat.json", false);
}
