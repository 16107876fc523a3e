//! Generated WooCommerce orders: random shapes, built by the stand-in's WooCommerce
//! arithmetic (`woonox_sim::woo_orders`), so tests and the stand-in agree on what an order is.
//! Names come as the store returns them (`&` as `&amp;`, a merchant's `<b>` kept), buyers
//! are private or companies known only by an organisation number in the order's meta, and
//! some orders carry a line at German VAT (19 %), which woonox must refuse whole.

use proptest::prelude::*;
use rust_decimal::Decimal;
use woonox_sim::woo_orders::{BuyerSpec, ExtraSpec, FOREIGN_RATE, LineSpec, OrderSpec, RATES, build as build_order};

/// A generated order and what it should come to.
#[derive(Debug, Clone)]
pub struct GeneratedOrder {
    pub json: String,
    pub total: Decimal,
    pub prices_include_tax: bool,
    pub decimals: u32,
    /// (SKU, quantity) per line item.
    pub lines: Vec<(String, u32)>,
    /// Each line's name as the merchant typed it (the order JSON has it as stored).
    pub names: Vec<String>,
    /// A line is taxed at a rate Fortnox lacks (19 %): the order must be refused.
    pub refused: bool,
    /// The buyer, as typed at checkout.
    pub buyer: BuyerSpec,
}

/// Line names as a merchant may type them; the store escapes the `&`.
const NAMES: [&str; 4] = ["Artikel {i} “{r}%”", "Kaffe & Kultur {i}", "<b>Rea</b> {i} – {r}%", "Bröd &amp; Salt {i}"];

#[derive(Debug, Clone)]
struct Line {
    name: usize,
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
    (0..NAMES.len(), rate(), 1u32..7, 1i64..250_000).prop_map(|(name, rate, quantity, unit_cents)| Line {
        name,
        rate,
        quantity,
        unit_cents,
    })
}

fn extra(min: i64) -> impl Strategy<Value = Extra> {
    (rate(), min..20_000i64).prop_map(|(rate, cents)| Extra { rate, cents })
}

/// A private buyer, or a company known only by an organisation number (billing company
/// empty, the name from the billing name).
fn buyer() -> impl Strategy<Value = BuyerSpec> {
    prop_oneof![
        Just(BuyerSpec::default()),
        (1000u32..10_000).prop_map(|n| BuyerSpec {
            first_name: "Fika & Co".into(),
            last_name: "AB".into(),
            company: String::new(),
            org_number: Some(format!("556{:03}-{n:04}", n % 1000)),
        }),
    ]
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
        buyer(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(dp, incl, mut lines, coupon, shipping, fees, currency, id, buyer, refused)| {
            if refused {
                // Large enough that its tax never rounds away, even in a store without decimals.
                lines.push(Line { name: 1, rate: FOREIGN_RATE, quantity: 1, unit_cents: 19_900 });
            }
            build(dp, incl, &lines, coupon, shipping.as_ref(), &fees, currency, id, buyer, refused)
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
    buyer: BuyerSpec,
    refused: bool,
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
                name: NAMES[l.name].replace("{i}", &i.to_string()).replace("{r}", &l.rate.to_string()),
                rate: l.rate,
                quantity: l.quantity,
                unit_cents: l.unit_cents,
            })
            .collect(),
        coupon_percent: coupon,
        shipping: shipping.map(|s| ExtraSpec { rate: s.rate, cents: s.cents }),
        fees: fees.iter().map(|f| ExtraSpec { rate: f.rate, cents: f.cents }).collect(),
        email: "anna@example.se".into(),
        buyer,
        customer_id: 0,
        modified_gmt: "2026-11-26T17:56:26".into(),
    };
    let (order, total) = build_order(&spec);
    let lines = spec.lines.iter().map(|l| (l.sku.clone(), l.quantity)).collect();
    GeneratedOrder {
        json: order.to_string(),
        total,
        prices_include_tax: incl,
        decimals: dp,
        lines,
        names: spec.lines.iter().map(|l| l.name.clone()).collect(),
        refused,
        buyer: spec.buyer,
    }
}
