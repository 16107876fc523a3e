//! The total Fortnox will compute for a document built by woonox.
//!
//! The model: each row's amount is quantity × price rounded to the öre; VAT is computed
//! per VAT rate on the sum of that rate's rows and rounded to the öre; `Freight` is
//! ex-VAT and taxed at the company's freight rate. With `VATIncluded` the row amounts
//! already hold their VAT. Fortnox's optional whole-krona rounding (`RoundOff`) is a
//! company setting applied on top and is not part of the document total here.

use super::rows::{Row, round2};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub net: Decimal,
    pub vat: Decimal,
    pub total: Decimal,
}

pub fn compute(rows: &[Row], vat_included: bool, freight: Decimal, freight_vat_rate: u8) -> Totals {
    let mut per_rate: BTreeMap<u8, Decimal> = BTreeMap::new();
    for row in rows {
        *per_rate.entry(row.vat).or_default() += row.amount();
    }
    let rate = |r: u8| Decimal::from(r);
    let rows_vat: Decimal = per_rate
        .iter()
        .map(|(&r, &sum)| {
            if vat_included {
                round2(sum * rate(r) / (Decimal::ONE_HUNDRED + rate(r)))
            } else {
                round2(sum * rate(r) / Decimal::ONE_HUNDRED)
            }
        })
        .sum();
    let rows_sum: Decimal = per_rate.values().sum();
    let freight_vat = round2(freight * rate(freight_vat_rate) / Decimal::ONE_HUNDRED);
    let (net, vat) = if vat_included {
        (rows_sum - rows_vat + freight, rows_vat + freight_vat)
    } else {
        (rows_sum + freight, rows_vat + freight_vat)
    };
    Totals { net, vat, total: net + vat }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::map::rows::Priced;

    fn row(qty: i64, price_cents: i64, vat: u8) -> Row {
        Row {
            article_number: None,
            description: String::new(),
            priced: Some(Priced { quantity: Decimal::from(qty), price: Decimal::new(price_cents, 2) }),
            vat,
            account: None,
        }
    }

    #[test]
    fn vat_is_added_per_rate_when_prices_exclude_it() {
        // 2 × 136.08 at 25 % and 296.32 at 6 %, plus 49.00 freight at 25 %.
        let rows = [row(2, 13608, 25), row(1, 29632, 6)];
        let t = compute(&rows, false, Decimal::from(49), 25);
        assert_eq!(t.net, Decimal::new(61748, 2));
        assert_eq!(t.vat, Decimal::new(6804 + 1778 + 1225, 2));
        assert_eq!(t.total, Decimal::new(61748 + 6804 + 1778 + 1225, 2));
    }

    #[test]
    fn with_vat_included_the_rows_are_the_total() {
        let rows = [row(2, 17010, 25), row(1, 31410, 6), row(1, 4900, 25)];
        let t = compute(&rows, true, Decimal::ZERO, 25);
        assert_eq!(t.total, Decimal::new(2 * 17010 + 31410 + 4900, 2));
        assert_eq!(t.vat, Decimal::new(7784 + 1778, 2));
    }

    #[test]
    fn text_rows_add_nothing() {
        let t = compute(&[Row::text("Rabattkod: X".into())], false, Decimal::ZERO, 25);
        assert_eq!(t.total, Decimal::ZERO);
    }
}
