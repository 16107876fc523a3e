//! A WooCommerce refund → a Fortnox credit invoice: the refunded lines, with the order's
//! VAT and currency, as negative quantities. The refund is read as an order of its own
//! (amounts made positive) so that every rule of `map_order` applies unchanged — exact
//! rows, VAT from the tax actually refunded, the totals check — and the rows are then
//! turned negative, which negates the total exactly.

use crate::error::{MapError, Mapped};
use crate::lenient::decimal_of;
use crate::map::rows::round2;
use crate::map::{fortnox_number, woo_money};
use crate::map_order;
use crate::settings::{DocumentKind, Settings};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

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
        as_order["line_items"] = Value::Array(amount_only_lines(&order, amount, settings)?);
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

/// A refund with an amount and no lines carries no VAT split (WooCommerce records none).
/// It is credited split over the order's VAT rates in proportion to their gross amounts
/// (one line per rate, the last taking the rest so the lines add up to the amount), or
/// refused when the merchant set `flows.split-amount-refunds = false`.
fn amount_only_lines(order: &Value, amount: Decimal, settings: &Settings) -> Result<Vec<Value>, MapError> {
    let weights = gross_per_rate(order, settings)?;
    if weights.len() > 1 && !settings.flows.split_amount_refunds {
        return Err(MapError::field(
            "refund",
            "it has an amount but no lines, and the order has several VAT rates: refund the lines in WooCommerce so \
             the VAT can be credited correctly (or set flows.split-amount-refunds = true)",
        ));
    }
    let whole: Decimal = weights.iter().map(|(_, w)| *w).sum();
    let mut left = amount;
    let mut lines = Vec::new();
    for (i, (rate, weight)) in weights.iter().enumerate() {
        let share = if i + 1 == weights.len() { left } else { round2(amount * weight / whole) };
        left -= share;
        lines.push(amount_line(order, *rate, share, weights.len() > 1));
    }
    Ok(lines)
}

/// The order's gross amount per Fortnox VAT rate, highest rate first, as woonox maps the
/// order (so shipping and fees spread over rates count where they belong). The rounding
/// row is left out; an order with nothing positive counts as one 0 % rate.
fn gross_per_rate(order: &Value, settings: &Settings) -> Result<Vec<(u8, Decimal)>, MapError> {
    let mut settings = settings.clone();
    settings.order.document = DocumentKind::Invoice;
    let mapped = map_order(&order.to_string(), None, &settings)?;
    let invoice = &mapped.body["Invoice"];
    let included = invoice["VATIncluded"] == true;
    let mut per_rate: BTreeMap<u8, Decimal> = BTreeMap::new();
    for row in invoice["InvoiceRows"].as_array().into_iter().flatten() {
        let rounding = row["AccountNumber"] == settings.order.rounding_account
            && row["Description"] == settings.order.rounding_description.as_str();
        let (Some(price), Some(quantity)) = (decimal_of(&row["Price"]), decimal_of(&row["DeliveredQuantity"])) else {
            continue;
        };
        let rate = row["VAT"].as_u64().unwrap_or(0) as u8;
        let amount = round2(price * quantity);
        let gross = if included { amount } else { amount * Decimal::from(100 + rate as u32) / Decimal::ONE_HUNDRED };
        if !rounding {
            *per_rate.entry(rate).or_default() += gross;
        }
    }
    let mut weights: Vec<(u8, Decimal)> = per_rate.into_iter().rev().filter(|(_, w)| *w > Decimal::ZERO).collect();
    if weights.is_empty() {
        weights.push((0, Decimal::ONE));
    }
    Ok(weights)
}

/// A refund line of `gross` at `rate`, with the tax entry of the order's rate id so the
/// rate is declared rather than guessed from small amounts.
fn amount_line(order: &Value, rate: u8, gross: Decimal, name_rate: bool) -> Value {
    let net = round2(gross * Decimal::ONE_HUNDRED / Decimal::from(100 + rate as u32));
    let tax = gross - net;
    let rate_id = order["tax_lines"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| decimal_of(&t["rate_percent"]) == Some(Decimal::from(rate)))
        .map(|t| t["rate_id"].clone());
    let taxes: Vec<Value> = rate_id.map(|id| json!({ "id": id, "total": woo_money(tax) })).into_iter().collect();
    let name = if name_rate { format!("Återbetalning {rate} % moms") } else { "Återbetalning".to_owned() };
    json!({ "name": name, "quantity": 1, "total": woo_money(net), "total_tax": woo_money(tax), "taxes": taxes })
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
    fn an_amount_without_lines_on_one_rate_is_one_row() {
        let refund = json!({ "id": 91, "amount": "50.00", "line_items": [] });
        let mut single = order();
        single["line_items"].as_array_mut().unwrap().truncate(1);
        single["total"] = json!("250.00");
        let mapped = map_refund(&refund.to_string(), &single.to_string(), None, &Settings::default()).unwrap();
        let rows = &mapped.body["Invoice"]["InvoiceRows"];
        assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
        assert_eq!((rows[0]["DeliveredQuantity"].as_f64(), rows[0]["VAT"].as_u64()), (Some(-1.0), Some(25)));
        assert_eq!(rows[0]["Price"].as_f64(), Some(50.0));
    }

    /// Recorded exchange 91: an amount refunded without lines on an order with two rates is
    /// split by the rates' gross amounts (250.00 at 25 %, 200.00 at 12 %), to the öre.
    #[test]
    fn an_amount_without_lines_is_split_over_the_rates_by_gross_amount() {
        let refund = json!({ "id": 91, "amount": "50.00", "line_items": [] });
        let mapped = map_refund(&refund.to_string(), &order().to_string(), None, &Settings::default()).unwrap();
        let rows: Vec<(Option<u64>, Option<f64>)> = mapped.body["Invoice"]["InvoiceRows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["VAT"].as_u64(), r["Price"].as_f64()))
            .collect();
        assert_eq!(rows, vec![(Some(25), Some(27.78)), (Some(12), Some(22.22))]);
        let mut refuse = Settings::default();
        refuse.flows.split_amount_refunds = false;
        let err = map_refund(&refund.to_string(), &order().to_string(), None, &refuse).unwrap_err();
        assert!(err.to_string().contains("several VAT rates"), "{err}");
    }
}
