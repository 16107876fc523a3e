//! Fortnox document rows, and how a WooCommerce amount becomes rows that add up to it
//! exactly.

use super::fortnox_number;
use crate::settings::DocumentKind;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};

/// A row with a quantity and a price, or a text row (a description and quantity 0).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub article_number: Option<String>,
    pub description: String,
    /// `None` for a text row.
    pub priced: Option<Priced>,
    pub vat: u8,
    pub account: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Priced {
    pub quantity: Decimal,
    /// Unit price with two decimals; with or without VAT as the document says.
    pub price: Decimal,
}

impl Row {
    pub fn text(description: String) -> Row {
        Row { article_number: None, description, priced: None, vat: 0, account: None }
    }

    /// What Fortnox makes of this row: quantity × price, rounded to the öre.
    pub fn amount(&self) -> Decimal {
        self.priced.map(|p| round2(p.quantity * p.price)).unwrap_or_default()
    }

    pub fn to_json(&self, kind: DocumentKind) -> Value {
        let mut row = Map::new();
        if let Some(article) = &self.article_number {
            row.insert("ArticleNumber".into(), Value::from(article.as_str()));
        }
        if !self.description.is_empty() {
            row.insert("Description".into(), Value::from(self.description.as_str()));
        }
        // Fortnox requires a quantity on every order row; a text row has 0.
        let quantity = self.priced.map(|p| p.quantity).unwrap_or_default();
        if kind == DocumentKind::Order {
            row.insert("OrderedQuantity".into(), fortnox_number(quantity));
        }
        row.insert("DeliveredQuantity".into(), fortnox_number(quantity));
        if let Some(p) = self.priced {
            row.insert("Price".into(), fortnox_number(p.price));
            row.insert("VAT".into(), Value::from(self.vat));
            if let Some(account) = self.account {
                row.insert("AccountNumber".into(), Value::from(account));
            }
        }
        Value::Object(row)
    }
}

pub fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Splits `total` over `quantity` units into at most two priced parts whose amounts add up
/// to `total` exactly: 3 units for 100.00 become 2 × 33.33 and 1 × 33.34. A single part
/// when the unit price is a whole number of öre.
pub fn split(total: Decimal, quantity: Decimal) -> Vec<Priced> {
    let total = round2(total);
    let unit = round2(total / quantity);
    let whole_units = quantity.fract().is_zero() && quantity > Decimal::ONE;
    if round2(unit * quantity) == total || !whole_units {
        return vec![Priced { quantity, price: unit }];
    }
    let price = (total / quantity).round_dp_with_strategy(2, RoundingStrategy::ToZero);
    let rest = quantity - Decimal::ONE;
    vec![Priced { quantity: rest, price }, Priced { quantity: Decimal::ONE, price: total - price * rest }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn amounts(parts: &[Priced]) -> Decimal {
        parts.iter().map(|p| round2(p.quantity * p.price)).sum()
    }

    #[test]
    fn an_even_unit_price_is_one_part() {
        let parts = split(Decimal::new(27216, 2), Decimal::from(2));
        assert_eq!(parts, vec![Priced { quantity: Decimal::from(2), price: Decimal::new(13608, 2) }]);
    }

    #[test]
    fn an_uneven_unit_price_is_split_into_two_parts() {
        let parts = split(Decimal::from(100), Decimal::from(3));
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].price, Decimal::new(3333, 2));
        assert_eq!(parts[1].price, Decimal::new(3334, 2));
        assert_eq!(amounts(&parts), Decimal::from(100));
    }

    proptest! {
        #[test]
        fn parts_always_add_up_to_the_total(cents in -10_000_000i64..10_000_000, qty in 1u32..500) {
            let total = Decimal::new(cents, 2);
            let parts = split(total, Decimal::from(qty));
            prop_assert_eq!(amounts(&parts), total);
            let units: Decimal = parts.iter().map(|p| p.quantity).sum();
            prop_assert_eq!(units, Decimal::from(qty));
        }
    }
}
