//! The pure mappings: source-system JSON plus settings in, target-system JSON out.

pub mod credit_refund;
pub mod customer;
pub mod document_total;
pub mod order;
pub mod product;
pub mod refund;
pub mod rows;
pub mod tax_split;
pub mod text;
pub mod vat;

use rust_decimal::Decimal;
use serde_json::Value;

/// A Fortnox amount as a JSON number. Fortnox reads JSON numbers as doubles; an amount
/// with two decimals survives that exactly in its printed form.
pub fn fortnox_number(d: Decimal) -> Value {
    let d = d.normalize();
    match i64::try_from(d) {
        Ok(i) if d.fract().is_zero() => Value::from(i),
        _ => Value::from(f64::try_from(d).unwrap_or(0.0)),
    }
}

/// A WooCommerce money string with exactly two decimals ("149.00").
pub fn woo_money(d: Decimal) -> Value {
    Value::String(format!("{:.2}", d.round_dp(2)))
}
