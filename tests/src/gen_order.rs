//! Generated WooCommerce orders: random shapes, built by the stand-in's WooCommerce
//! arithmetic (`woonox_sim::woo_orders`), so tests and the stand-in agree on what an order is.

use proptest::prelude::*;
use rust_decimal::Decimal;
use woonox_sim::woo_orders::{ExtraSpec, LineSpec, OrderSpec, RATES, build as build_order};

/// A generated order and what it should come to.
#[derive(Debug, Clone)]
pub struct GeneratedOrder {
    pub json: String,
    pub total: Decimal,
    pub prices_include_tax: bool,
    pub decimals: u32,
    /// (SKU, quantity) per line item.
    pub lines: Vec<(String, u32)>,
}

#[derive(Debug, Clone)]
struct Line {
    rate: u32,
    quantity: u32,
    unit_cents: i64,
}

#[derive(Debug, Clone)]
struct Extra {
    rate: u32,
    cents: i64,
}

fn rate() -> impl Strategy<Value = u32> {
    prop::sample::select(RATES.to_vec())
}

fn line() -> impl Strategy<Value = Line> {
    (rate(), 1u32..7, 1i64..250_000).prop_map(|(rate, quantity, unit_cents)| Line { rate, quantity, unit_cents })
}

fn extra(min: i64) -> impl Strategy<Value = Extra> {
    (rate(), min..20_000i64).prop_map(|(rate, cents)| Extra { rate, cents })
}

pub fn order() -> impl Strategy<Value = GeneratedOrder> {
    (
        prop::sample::select(vec![0u32, 2]),
        any::<bool>(),
        prop::collection::vec(line(), 1..7),
        prop::sample::select(vec![0u32, 5, 10, 15, 30]),
        prop::option::of(extra(0)),
        prop::collection::vec(extra(-5_000), 0..3),
        prop::sample::select(vec!["SEK", "EUR"]),
        1u64..100_000,
    )
        .prop_map(|(dp, incl, lines, coupon, shipping, fees, currency, id)| {
            build(dp, incl, &lines, coupon, shipping.as_ref(), &fees, currency, id)
        })
}

#[allow(clippy::too_many_arguments)]
fn build(
    dp: u32,
    incl: bool,
    lines: &[Line],
    coupon: u32,
    shipping: Option<&Extra>,
    fees: &[Extra],
    currency: &str,
    id: u64,
) -> GeneratedOrder {
    let spec = OrderSpec {
        id,
        status: "processing".into(),
        currency: currency.into(),
        decimals: dp,
        prices_include_tax: incl,
        lines: lines
            .iter()
            .enumerate()
            .map(|(i, l)| LineSpec {
                sku: format!("GEN-{i}-{}", l.rate),
                name: format!("Artikel {i} “{}%”", l.rate),
                rate: l.rate,
                quantity: l.quantity,
                unit_cents: l.unit_cents,
            })
            .collect(),
        coupon_percent: coupon,
        shipping: shipping.map(|s| ExtraSpec { rate: s.rate, cents: s.cents }),
        fees: fees.iter().map(|f| ExtraSpec { rate: f.rate, cents: f.cents }).collect(),
        email: "anna@example.se".into(),
        customer_id: 0,
        modified_gmt: "2026-11-26T17:56:26".into(),
    };
    let (order, total) = build_order(&spec);
    let lines = spec.lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect();
    GeneratedOrder { json: order.to_string(), total, prices_include_tax: incl, decimals: dp, lines }
}
