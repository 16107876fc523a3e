//! WooCommerce orders as WooCommerce computes them: per-line tax rounded to the store's
//! decimals, coupons folded into line totals, shipping and fees taxed on their own, and
//! the order total the sum of the rounded parts. The stand-in's seeded orders and the
//! property tests' generated orders both come from here.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The store's tax rates, with rate ids 1..=4 in this order.
pub const RATES: [u32; 4] = [25, 12, 6, 0];

/// A rate Fortnox has no account for (German VAT): a line taxed so is an order woonox
/// must refuse whole.
pub const FOREIGN_RATE: u32 = 19;

#[derive(Debug, Clone)]
pub struct LineSpec {
    pub sku: String,
    pub name: String,
    pub rate: u32,
    pub quantity: u32,
    /// Catalog unit price in öre (with VAT when the store's prices include it).
    pub unit_cents: i64,
}

#[derive(Debug, Clone)]
pub struct ExtraSpec {
    pub rate: u32,
    /// Amount without VAT, in öre (WooCommerce takes shipping and fees ex VAT). A negative
    /// fee's `rate` is not used: WooCommerce spreads its tax over the order's rates.
    pub cents: i64,
}

/// Who buys: the billing name and company as typed at checkout (names are not escaped
/// there, exchange 83), and an organisation number that only the order's meta holds
/// (`_billing_org_number`, as Swedish checkout plugins keep it).
#[derive(Debug, Clone)]
pub struct BuyerSpec {
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub org_number: Option<String>,
}

impl Default for BuyerSpec {
    fn default() -> Self {
        BuyerSpec { first_name: "Anna".into(), last_name: "Andersson".into(), company: String::new(), org_number: None }
    }
}

#[derive(Debug, Clone)]
pub struct OrderSpec {
    pub id: u64,
    pub status: String,
    pub currency: String,
    /// The store's number of decimals (0 or 2).
    pub decimals: u32,
    pub prices_include_tax: bool,
    pub lines: Vec<LineSpec>,
    pub coupon_percent: u32,
    pub shipping: Option<ExtraSpec>,
    pub fees: Vec<ExtraSpec>,
    pub email: String,
    pub buyer: BuyerSpec,
    pub customer_id: u64,
    /// `date_modified_gmt`, e.g. "2026-11-26T17:56:26".
    pub modified_gmt: String,
}

pub(crate) fn round(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

pub(crate) fn text(d: Decimal, dp: u32) -> String {
    format!("{:.*}", dp as usize, round(d, dp))
}

/// The store's rates have ids 1..=4; any other rate (a foreign one) gets 100 + its percent.
pub fn rate_id(rate: u32) -> u64 {
    RATES.iter().position(|r| *r == rate).map_or(100 + rate as u64, |i| i as u64 + 1)
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

/// A negative (discount) fee as WooCommerce taxes it (recorded exchanges 78 and 80): its
/// net stays as given; its tax is spread over the rates of the order's positive items in
/// proportion to their nets, one entry per rate (0 % ones as 0.00), each share rounded,
/// and the fee's `total_tax` is the sum of the rounded shares. Answers (fee, net, tax).
pub(crate) fn discount_fee(
    id: u64,
    cents: i64,
    positive_net: &BTreeMap<u32, Decimal>,
    dp: u32,
) -> (Value, Decimal, Decimal) {
    let net = round(Decimal::new(cents, 2), dp);
    let whole: Decimal = positive_net.values().sum();
    let mut entries = Vec::new();
    let mut tax = Decimal::ZERO;
    let charged = RATES.iter().filter(|r| !whole.is_zero() && positive_net.get(r).is_some_and(|n| !n.is_zero()));
    for rate in charged {
        let share = net * positive_net[rate] / whole;
        let share_tax = round(share * Decimal::from(*rate) / Decimal::ONE_HUNDRED, dp);
        tax += share_tax;
        entries.push(json!({ "id": rate_id(*rate), "total": text(share_tax, dp), "subtotal": "" }));
    }
    let fee = json!({ "id": id, "name": "Kampanjrabatt", "tax_class": "", "tax_status": "taxable",
                      "total": text(net, dp), "total_tax": text(tax, dp), "taxes": entries });
    (fee, net, tax)
}

/// The order as `GET /wc/v3/orders/{id}` returns it, and its total.
pub fn build(spec: &OrderSpec) -> (Value, Decimal) {
    let dp = spec.decimals;
    let mut total = Decimal::ZERO;
    // Net amounts of the positive items per rate: what a discount fee's tax spreads over.
    let mut positive_net: BTreeMap<u32, Decimal> = BTreeMap::new();
    let keep = Decimal::ONE - Decimal::from(spec.coupon_percent) / Decimal::ONE_HUNDRED;
    let items: Vec<Value> = spec
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let unit = round(Decimal::new(l.unit_cents, 2), dp);
            let (net, tax) = split(unit * Decimal::from(l.quantity) * keep, l.rate, spec.prices_include_tax, dp);
            total += net + tax;
            *positive_net.entry(l.rate).or_default() += net;
            json!({
                "id": i + 1, "name": crate::woo_text::stored_name(&l.name), "product_id": 100 + i, "variation_id": 0, "quantity": l.quantity,
                "tax_class": crate::woo_taxes::class_of_rate(l.rate), "sku": l.sku, "subtotal": text(net, dp), "subtotal_tax": text(tax, dp),
                "total": text(net, dp), "total_tax": text(tax, dp), "taxes": taxes(l.rate, tax, dp),
                "price": (net / Decimal::from(l.quantity)).to_string().parse::<f64>().unwrap_or(0.0), "meta_data": []
            })
        })
        .collect();
    let mut extra = |e: &ExtraSpec| {
        let (net, tax) = split(Decimal::new(e.cents, 2), e.rate, false, dp);
        total += net + tax;
        if net > Decimal::ZERO {
            *positive_net.entry(e.rate).or_default() += net;
        }
        (net, tax)
    };
    let shipping_lines: Vec<Value> = spec
        .shipping
        .iter()
        .map(|s| {
            let (net, tax) = extra(s);
            json!({ "id": 90, "method_title": "PostNord", "method_id": "flat_rate",
                    "total": text(net, dp), "total_tax": text(tax, dp), "taxes": taxes(s.rate, tax, dp) })
        })
        .collect();
    let mut fee_lines: Vec<Value> = spec
        .fees
        .iter()
        .enumerate()
        .filter(|(_, f)| f.cents >= 0)
        .map(|(i, f)| {
            let (net, tax) = extra(f);
            json!({ "id": 80 + i, "name": format!("Avgift {i}"), "tax_status": "taxable",
                    "total": text(net, dp), "total_tax": text(tax, dp), "taxes": taxes(f.rate, tax, dp) })
        })
        .collect();
    for (i, f) in spec.fees.iter().enumerate().filter(|(_, f)| f.cents < 0) {
        let (fee, net, tax) = discount_fee(80 + i as u64, f.cents, &positive_net, dp);
        total += net + tax;
        fee_lines.push(fee);
    }
    let mut foreign: Vec<u32> = spec.lines.iter().map(|l| l.rate).filter(|r| !RATES.contains(r)).collect();
    foreign.sort_unstable();
    foreign.dedup();
    let rates: Vec<u32> = RATES.iter().copied().chain(foreign).collect();
    let tax_lines: Vec<Value> = rates
        .iter()
        .map(|r| {
            json!({ "id": 200 + rate_id(*r), "rate_id": rate_id(*r), "rate_code": format!("SE-MOMS-{r}"),
                    "label": format!("Moms {r}%"), "rate_percent": r })
        })
        .collect();
    let coupon_lines = if spec.coupon_percent > 0 {
        json!([{ "id": 70, "code": format!("rabatt{}", spec.coupon_percent) }])
    } else {
        json!([])
    };
    let total = round(total, dp);
    let b = &spec.buyer;
    let meta = match &b.org_number {
        Some(org) => json!([{ "id": 300, "key": "_billing_org_number", "value": org }]),
        None => json!([]),
    };
    let order = json!({
        "id": spec.id, "number": spec.id.to_string(), "status": spec.status, "currency": spec.currency,
        "prices_include_tax": spec.prices_include_tax, "date_created": "2026-11-26T18:56:26",
        "date_created_gmt": "2026-11-26T17:56:26", "date_modified_gmt": spec.modified_gmt,
        "total": text(total, dp), "customer_id": spec.customer_id, "customer_note": "",
        "payment_method": "stripe", "payment_method_title": "Kort",
        "date_paid_gmt": if matches!(spec.status.as_str(), "processing" | "completed") { json!("2026-11-26T17:57:00") } else { Value::Null },
        "billing": { "first_name": b.first_name, "last_name": b.last_name, "company": b.company, "country": "SE",
                     "email": spec.email },
        "shipping": { "first_name": b.first_name, "last_name": b.last_name, "company": b.company,
                      "address_1": "Sveavägen 10", "city": "Stockholm", "postcode": "113 50", "country": "SE" },
        "line_items": items, "tax_lines": tax_lines, "shipping_lines": shipping_lines, "fee_lines": fee_lines,
        "coupon_lines": coupon_lines, "meta_data": meta, "refunds": []
    });
    (order, total)
}
