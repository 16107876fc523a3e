//! WooCommerce orders as WooCommerce itself computes them: per-line tax rounded to the
//! store's decimals, coupons folded into line totals, shipping and fees taxed on their own,
//! and the order total the sum of the rounded parts.

use proptest::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};

const RATES: [u32; 4] = [25, 12, 6, 0];

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

fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

fn text(d: Decimal, dp: u32) -> String {
    format!("{:.*}", dp as usize, round(d, dp))
}

fn rate_id(rate: u32) -> u64 {
    RATES.iter().position(|r| *r == rate).unwrap() as u64 + 1
}

/// Net and tax of an amount the way WooCommerce splits it.
fn split(amount: Decimal, rate: u32, incl: bool, dp: u32) -> (Decimal, Decimal) {
    let r = Decimal::from(rate);
    if incl {
        let gross = round(amount, dp);
        let tax = round(gross * r / (Decimal::ONE_HUNDRED + r), dp);
        (gross - tax, tax)
    } else {
        let net = round(amount, dp);
        (net, round(net * r / Decimal::ONE_HUNDRED, dp))
    }
}

fn taxes(rate: u32, tax: Decimal, dp: u32) -> Value {
    json!([{ "id": rate_id(rate), "total": text(tax, dp), "subtotal": text(tax, dp) }])
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
    let mut total = Decimal::ZERO;
    let keep = Decimal::ONE - Decimal::from(coupon) / Decimal::ONE_HUNDRED;
    let mut items = Vec::new();
    let mut skus = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let unit = round(Decimal::new(l.unit_cents, 2), dp);
        let (net, tax) = split(unit * Decimal::from(l.quantity) * keep, l.rate, incl, dp);
        total += net + tax;
        let sku = format!("GEN-{i}-{}", l.rate);
        items.push(json!({
            "id": i + 1, "name": format!("Artikel {i} “{}%”", l.rate), "product_id": 100 + i, "variation_id": 0,
            "quantity": l.quantity, "tax_class": "", "sku": sku,
            "subtotal": text(net, dp), "subtotal_tax": text(tax, dp),
            "total": text(net, dp), "total_tax": text(tax, dp), "taxes": taxes(l.rate, tax, dp),
            "price": (net / Decimal::from(l.quantity)).to_string().parse::<f64>().unwrap(), "meta_data": []
        }));
        skus.push((sku, l.quantity));
    }
    let mut shipping_lines = Vec::new();
    if let Some(s) = shipping {
        let (net, tax) = split(Decimal::new(s.cents, 2), s.rate, false, dp);
        total += net + tax;
        shipping_lines.push(json!({
            "id": 90, "method_title": "PostNord", "method_id": "flat_rate",
            "total": text(net, dp), "total_tax": text(tax, dp), "taxes": taxes(s.rate, tax, dp)
        }));
    }
    let fee_lines: Vec<Value> = fees
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (net, tax) = split(Decimal::new(f.cents, 2), f.rate, false, dp);
            total += net + tax;
            json!({ "id": 80 + i, "name": format!("Avgift {i}"), "tax_status": "taxable",
                    "total": text(net, dp), "total_tax": text(tax, dp), "taxes": taxes(f.rate, tax, dp) })
        })
        .collect();
    let tax_lines: Vec<Value> = RATES
        .iter()
        .map(|r| {
            json!({ "id": 200 + rate_id(*r), "rate_id": rate_id(*r), "rate_code": format!("SE-MOMS-{r}"),
                         "label": format!("Moms {r}%"), "rate_percent": r })
        })
        .collect();
    let coupon_lines = if coupon > 0 { json!([{ "id": 70, "code": format!("rabatt{coupon}") }]) } else { json!([]) };
    let order = json!({
        "id": id, "number": id.to_string(), "status": "processing", "currency": currency,
        "prices_include_tax": incl, "date_created": "2026-11-26T18:56:26", "date_created_gmt": "2026-11-26T17:56:26",
        "total": text(total, dp), "customer_id": 0, "customer_note": "",
        "billing": { "first_name": "Anna", "last_name": "Andersson", "country": "SE", "email": "anna@example.se" },
        "shipping": { "first_name": "Anna", "last_name": "Andersson", "address_1": "Sveavägen 10", "city": "Stockholm",
                      "postcode": "113 50", "country": "SE" },
        "line_items": items, "tax_lines": tax_lines, "shipping_lines": shipping_lines, "fee_lines": fee_lines,
        "coupon_lines": coupon_lines, "meta_data": []
    });
    GeneratedOrder {
        json: order.to_string(),
        total: round(total, dp),
        prices_include_tax: incl,
        decimals: dp,
        lines: skus,
    }
}
