//! A WooCommerce refund → a Fortnox credit invoice: the refunded lines, with the order's
//! VAT and currency, as negative quantities. The refund is read as an order of its own
//! (amounts made positive) so that every rule of `map_order` applies unchanged — exact
//! rows, VAT from the tax actually refunded, the totals check — and the rows are then
//! turned negative, which negates the total exactly.

use crate::error::{MapError, Mapped};
use crate::lenient::decimal_of;
use crate::map::{fortnox_number, woo_money};
use crate::map_order;
use crate::settings::{DocumentKind, Settings};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// Text that marks a WooCommerce refund woonox made from a Fortnox credit invoice; the
/// refunds flow never sends such a refund back.
pub const FROM_FORTNOX: &str = "Fortnox credit invoice";

pub fn map_refund(
    refund_json: &str,
    order_json: &str,
    customer_number: Option<&str>,
    settings: &Settings,
) -> Result<Mapped, MapError> {
    let refund: Value =
        serde_json::from_str(refund_json).map_err(|e| MapError::InvalidInput(format!("the refund: {e}")))?;
    let order: Value =
        serde_json::from_str(order_json).map_err(|e| MapError::InvalidInput(format!("the order: {e}")))?;
    let amount = decimal_of(&refund["amount"]).filter(|a| *a > Decimal::ZERO);
    let amount = amount.ok_or_else(|| MapError::field("refund amount", "missing or not above zero"))?;
    let mut as_order = order.clone();
    let lines = |key: &str| refund[key].as_array().cloned().unwrap_or_default();
    let (items, shipping, fees) = (lines("line_items"), lines("shipping_lines"), lines("fee_lines"));
    if items.is_empty() && shipping.is_empty() && fees.is_empty() {
        as_order["fee_lines"] = json!([]);
        as_order["line_items"] = json!([amount_only_line(&order, amount)?]);
    } else {
        as_order["fee_lines"] = Value::Array(fees.iter().map(positive).collect());
        as_order["line_items"] = Value::Array(items.iter().map(positive).collect());
    }
    as_order["shipping_lines"] = Value::Array(shipping.iter().map(positive).collect());
    as_order["coupon_lines"] = json!([]);
    as_order["total"] = woo_money(amount);
    if let Some(date) = refund["date_created"].as_str().or(refund["date_created_gmt"].as_str()) {
        as_order["date_created"] = json!(date);
    }
    let mut settings = settings.clone();
    settings.order.document = DocumentKind::Invoice;
    settings.order.coupon_row = false;
    let mapped = map_order_allowing_no_items(&as_order, customer_number, &settings)?;
    Ok(Mapped { body: negated(mapped.body), warnings: mapped.warnings })
}

/// `map_order` insists on line items; a refund of shipping or fees alone has none, so
/// its first fee stands in as the line.
fn map_order_allowing_no_items(
    order: &Value,
    customer_number: Option<&str>,
    settings: &Settings,
) -> Result<Mapped, MapError> {
    let mut order = order.clone();
    if order["line_items"].as_array().is_none_or(Vec::is_empty) {
        let fee = order["fee_lines"].as_array().and_then(|f| f.first().cloned());
        let shipping = order["shipping_lines"].as_array().and_then(|s| s.first().cloned());
        let first = fee.or(shipping).ok_or_else(|| MapError::field("refund", "refunds nothing"))?;
        order["line_items"] = json!([{ "name": first["name"].as_str().or(first["method_title"].as_str()).unwrap_or("Återbetalning"),
            "quantity": 1, "total": first["total"], "total_tax": first["total_tax"], "taxes": first["taxes"] }]);
        if order["fee_lines"].as_array().is_some_and(|f| !f.is_empty()) {
            order["fee_lines"].as_array_mut().expect("checked").remove(0);
        } else {
            order["shipping_lines"].as_array_mut().expect("checked").remove(0);
        }
    }
    map_order(&order.to_string(), customer_number, settings)
}

/// A refund with an amount and no lines: one row at the order's VAT rate, which must be
/// a single rate (with several, only the merchant knows how the amount splits).
fn amount_only_line(order: &Value, amount: Decimal) -> Result<Value, MapError> {
    let rates: Vec<Decimal> =
        order["tax_lines"].as_array().into_iter().flatten().filter_map(|t| decimal_of(&t["rate_percent"])).collect();
    let rate = match rates.as_slice() {
        [] => Decimal::ZERO,
        [rate] => *rate,
        _ => {
            return Err(MapError::field(
                "refund",
                "it has an amount but no lines, and the order has several VAT rates: refund the lines in WooCommerce \
                 so the VAT can be credited correctly",
            ));
        }
    };
    let net = (amount * Decimal::ONE_HUNDRED / (Decimal::ONE_HUNDRED + rate)).round_dp(2);
    Ok(
        json!({ "name": "Återbetalning", "quantity": 1, "total": woo_money(net), "total_tax": woo_money(amount - net), "taxes": [] }),
    )
}

/// A refund line with its amounts made positive (WooCommerce stores them negative).
fn positive(line: &Value) -> Value {
    let mut line = line.clone();
    for key in ["quantity", "total", "total_tax", "subtotal", "subtotal_tax"] {
        if let Some(d) = decimal_of(&line[key]) {
            line[key] = if key == "quantity" { fortnox_number(d.abs()) } else { woo_money(d.abs()) };
        }
    }
    let taxes = line.get_mut("taxes").and_then(Value::as_array_mut);
    for tax in taxes.into_iter().flatten() {
        for key in ["total", "subtotal"] {
            if let Some(d) = decimal_of(&tax[key]) {
                tax[key] = json!(d.abs().to_string());
            }
        }
    }
    line
}

/// The invoice body with every row's quantity negated: a credit invoice.
fn negated(mut body: Value) -> Value {
    for row in body["Invoice"]["InvoiceRows"].as_array_mut().into_iter().flatten() {
        if let Some(q) = decimal_of(&row["DeliveredQuantity"]) {
            row["DeliveredQuantity"] = fortnox_number(-q);
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> Value {
        json!({ "id": 7, "currency": "SEK", "prices_include_tax": true, "date_created": "2026-11-20T10:00:00",
            "total": "450.00", "billing": { "email": "a@example.se", "country": "SE" },
            "tax_lines": [{ "rate_id": 1, "rate_percent": 25 }, { "rate_id": 2, "rate_percent": 12 }],
            "line_items": [
                { "id": 11, "name": "Mugg", "sku": "M-1", "quantity": 2, "total": "200.00", "total_tax": "50.00", "taxes": [{ "id": 1, "total": "50" }] },
                { "id": 12, "name": "Bok", "sku": "B-1", "quantity": 1, "total": "178.57", "total_tax": "21.43", "taxes": [{ "id": 2, "total": "21.43" }] } ] })
    }

    fn rows(body: &Value) -> Vec<(Value, f64, f64)> {
        body["Invoice"]["InvoiceRows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ArticleNumber"].clone(),
                    r["DeliveredQuantity"].as_f64().unwrap_or(0.0),
                    r["Price"].as_f64().unwrap_or(0.0),
                )
            })
            .collect()
    }

    #[test]
    fn a_partial_refund_credits_only_its_lines_with_negative_quantities() {
        let refund = json!({ "id": 90, "amount": "125.00", "date_created": "2026-11-22T09:00:00", "line_items": [
            { "id": 10011, "sku": "M-1", "quantity": -1, "total": "-100.00", "total_tax": "-25.00", "taxes": [{ "id": 1, "total": "-25" }] } ] });
        let mapped = map_refund(&refund.to_string(), &order().to_string(), Some("5"), &Settings::default()).unwrap();
        assert_eq!(rows(&mapped.body), vec![(json!("M-1"), -1.0, 125.0)]);
        assert_eq!(mapped.body["Invoice"]["InvoiceDate"], "2026-11-22");
        assert_eq!(mapped.body["Invoice"]["CustomerNumber"], "5");
    }

    /// WooCommerce leaves `taxes` out of some refund lines; the VAT then comes from the
    /// refunded tax itself.
    #[test]
    fn a_refund_line_without_taxes_is_read_by_its_tax_amount() {
        let refund = json!({ "id": 92, "amount": "200.00", "line_items": [
            { "id": 10012, "sku": "B-1", "quantity": -1, "total": "-178.57", "total_tax": "-21.43" } ] });
        let mapped = map_refund(&refund.to_string(), &order().to_string(), None, &Settings::default()).unwrap();
        let row = &mapped.body["Invoice"]["InvoiceRows"][0];
        assert_eq!((row["VAT"].as_u64(), row["DeliveredQuantity"].as_f64()), (Some(12), Some(-1.0)));
    }

    #[test]
    fn an_amount_without_lines_needs_a_single_vat_rate() {
        let refund = json!({ "id": 91, "amount": "50.00", "line_items": [] });
        let err = map_refund(&refund.to_string(), &order().to_string(), None, &Settings::default()).unwrap_err();
        assert!(err.to_string().contains("several VAT rates"), "{err}");
        let mut single = order();
        single["tax_lines"] = json!([{ "rate_id": 1, "rate_percent": 25 }]);
        let mapped = map_refund(&refund.to_string(), &single.to_string(), None, &Settings::default()).unwrap();
        let row = &mapped.body["Invoice"]["InvoiceRows"][0];
        assert_eq!((row["DeliveredQuantity"].as_f64(), row["VAT"].as_u64()), (Some(-1.0), Some(25)));
        assert_eq!(row["Price"].as_f64(), Some(50.0));
    }
}
