//! A Fortnox credit invoice → the lines of the WooCommerce refund that records it. Each
//! credited row goes back to the order line it came from: article rows by SKU, shipping
//! rows by the shipping article or their description, fee rows by description, `Freight`
//! to the shipping line. The VAT goes to the order's tax rate of the row's percentage, so
//! the refund's lines add up to the money the credit returned.

use super::rows::round2;
use super::text::clean;
use super::woo_money;
use crate::lenient::decimal_of;
use crate::settings::Settings;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The most the rows may differ from the credit's total and still be the refund's lines:
/// a rounding row or Fortnox's öre rounding. The difference goes to the largest line.
const ROUNDING: Decimal = Decimal::ONE;

/// The refund's `line_items`, or, when the credit's rows cannot all be placed on the
/// order, none, and why.
pub fn refund_lines(credit: &Value, order: &Value, settings: &Settings, amount: Decimal) -> Result<Vec<Value>, String> {
    let mut lines: BTreeMap<u64, Line> = BTreeMap::new();
    let mut unmatched = Vec::new();
    let rounding = clean(&settings.order.rounding_description, settings.order.row_description_max as usize);
    for row in credited_rows(credit, settings).into_iter().filter(|r| r.description != rounding) {
        let placed = target(&row, order, settings).zip(tax_rate_of(&row, order));
        match placed {
            Some(((id, item), rate)) => lines.entry(id).or_insert_with(|| Line::new(item)).add(&row, rate),
            None => unmatched.push(row.label),
        }
    }
    if !unmatched.is_empty() {
        return Err(format!("rows not on the WooCommerce order: {}", unmatched.join(", ")));
    }
    let sum: Decimal = lines.values().map(Line::gross).sum();
    let difference = amount - sum;
    if difference.abs() > ROUNDING {
        return Err(format!("the rows add up to {sum}, the credit to {amount}"));
    }
    if let Some(largest) = lines.values_mut().max_by_key(|l| l.gross().abs()) {
        largest.net += difference;
    }
    Ok(lines.iter().map(|(id, l)| l.to_json(*id)).collect())
}

/// One credited row, amounts made positive for what the credit gives back.
struct Credited {
    article: Option<String>,
    description: String,
    label: String,
    freight: bool,
    quantity: Decimal,
    net: Decimal,
    tax: Decimal,
    vat: Decimal,
}

/// The rows that move money (text rows carry none), plus `Freight` as a shipping row.
fn credited_rows(credit: &Value, settings: &Settings) -> Vec<Credited> {
    let included = credit["VATIncluded"] == true;
    // A credit's rows are negative; what it gives back is their opposite.
    let sign =
        if decimal_of(&credit["Total"]).unwrap_or_default() < Decimal::ZERO { -Decimal::ONE } else { Decimal::ONE };
    let mut rows: Vec<Credited> = credit["InvoiceRows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| {
            let quantity = decimal_of(&row["DeliveredQuantity"])?;
            let amount = round2(quantity * decimal_of(&row["Price"])?) * sign;
            let vat = decimal_of(&row["VAT"]).unwrap_or_default();
            let (net, tax) = split_vat(amount, vat, included);
            let description = row["Description"].as_str().unwrap_or_default().to_owned();
            let article = row["ArticleNumber"].as_str().filter(|a| !a.is_empty()).map(str::to_owned);
            let label = article.clone().unwrap_or_else(|| format!("{description:?}"));
            let quantity = quantity.abs();
            (!amount.is_zero()).then_some(Credited {
                article,
                description,
                label,
                freight: false,
                quantity,
                net,
                tax,
                vat,
            })
        })
        .collect();
    let freight = decimal_of(&credit["Freight"]).unwrap_or_default().abs();
    if !freight.is_zero() {
        let vat = Decimal::from(settings.order.freight_vat_rate);
        let (net, tax) = split_vat(freight, vat, false);
        rows.push(Credited {
            article: settings.order.shipping_article.clone(),
            description: String::new(),
            label: "Freight".into(),
            freight: true,
            quantity: Decimal::ONE,
            net,
            tax,
            vat,
        });
    }
    rows
}

fn split_vat(amount: Decimal, vat: Decimal, included: bool) -> (Decimal, Decimal) {
    let rate = vat / Decimal::ONE_HUNDRED;
    if included {
        let net = round2(amount / (Decimal::ONE + rate));
        (net, amount - net)
    } else {
        (amount, round2(amount * rate))
    }
}

/// The order line a credited row came from: its id, and whether it is an item.
fn target(row: &Credited, order: &Value, settings: &Settings) -> Option<(u64, bool)> {
    let lines = |key: &str| order[key].as_array().cloned().unwrap_or_default();
    let max = settings.order.row_description_max as usize;
    let described = |line: &Value, key: &str, fallback: &str| {
        let text = line[key].as_str().filter(|t| !t.trim().is_empty()).unwrap_or(fallback);
        !row.description.is_empty() && clean(text, max) == row.description
    };
    let item =
        lines("line_items").into_iter().find(|l| row.article.is_some() && l["sku"].as_str() == row.article.as_deref());
    let shipping_article = settings.order.shipping_article.is_some() && row.article == settings.order.shipping_article;
    let shipping = lines("shipping_lines")
        .into_iter()
        .find(|l| shipping_article || row.freight || described(l, "method_title", "Frakt"));
    let fee = lines("fee_lines").into_iter().find(|l| row.article.is_none() && described(l, "name", "Avgift"));
    let id = |line: Value| line["id"].as_u64();
    item.and_then(id).map(|i| (i, true)).or_else(|| shipping.or(fee).and_then(id).map(|i| (i, false)))
}

/// The rate a row's VAT goes to: `Some(None)` when it carries none, `None` when the order
/// has no rate of its percentage for WooCommerce to record it under.
fn tax_rate_of(row: &Credited, order: &Value) -> Option<Option<u64>> {
    if row.tax.is_zero() {
        return Some(None);
    }
    order["tax_lines"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| decimal_of(&t["rate_percent"]).is_some_and(|p| p == row.vat))
        .and_then(|t| t["rate_id"].as_u64())
        .map(Some)
}

/// What a refund gives back on one order line.
struct Line {
    /// An item line; shipping and fee lines have no quantity to refund.
    item: bool,
    quantity: Decimal,
    net: Decimal,
    /// Tax per WooCommerce rate id.
    taxes: BTreeMap<u64, Decimal>,
}

impl Line {
    fn new(item: bool) -> Line {
        Line { item, quantity: Decimal::ZERO, net: Decimal::ZERO, taxes: BTreeMap::new() }
    }

    fn add(&mut self, row: &Credited, rate: Option<u64>) {
        self.quantity += row.quantity;
        self.net += row.net;
        if let Some(rate) = rate {
            *self.taxes.entry(rate).or_default() += row.tax;
        }
    }

    fn gross(&self) -> Decimal {
        self.net + self.taxes.values().sum::<Decimal>()
    }

    fn to_json(&self, id: u64) -> Value {
        let taxes: Vec<Value> =
            self.taxes.iter().map(|(id, tax)| json!({ "id": id, "refund_total": woo_money(*tax) })).collect();
        let mut line = json!({ "id": id, "refund_total": woo_money(self.net), "refund_tax": taxes });
        if self.item {
            line["quantity"] = json!(i64::try_from(self.quantity.trunc()).unwrap_or(0));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An order as WooCommerce keeps it: a 25 % line, a 12 % line, shipping at 25 %.
    fn order() -> Value {
        json!({
            "line_items": [
                { "id": 11, "sku": "KVARN", "quantity": 2, "total": "319.84", "total_tax": "79.96" },
                { "id": 12, "sku": "BOK", "quantity": 1, "total": "222.32", "total_tax": "26.68" }
            ],
            "shipping_lines": [{ "id": 14, "method_title": "PostNord", "total": "39.20", "total_tax": "9.80" }],
            "fee_lines": [{ "id": 15, "name": "Presentinslagning", "total": "23.20", "total_tax": "5.80" }],
            "tax_lines": [{ "rate_id": 1, "rate_percent": 25 }, { "rate_id": 2, "rate_percent": 12 }]
        })
    }

    fn row(article: &str, description: &str, quantity: i64, price: &str, vat: u32) -> Value {
        json!({ "ArticleNumber": article, "Description": description, "DeliveredQuantity": quantity,
                "Price": price, "VAT": vat })
    }

    fn credit(rows: Vec<Value>, total: &str) -> Value {
        json!({ "VATIncluded": true, "Total": total, "InvoiceRows": rows })
    }

    fn sum(lines: &[Value]) -> Decimal {
        let d = |v: &Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
        lines
            .iter()
            .map(|l| {
                d(&l["refund_total"])
                    + l["refund_tax"].as_array().unwrap().iter().map(|t| d(&t["refund_total"])).sum::<Decimal>()
            })
            .sum()
    }

    #[test]
    fn shipping_and_fees_come_back_as_lines_that_add_up_to_the_amount() {
        let rows = vec![
            row("KVARN", "Kvarn", -1, "199.90", 25),
            row("", "PostNord", -1, "49.00", 25),
            row("", "Presentinslagning", -1, "29.00", 25),
            row("", "Kupong: SOMMAR", 0, "0", 0),
        ];
        let lines =
            refund_lines(&credit(rows, "-277.90"), &order(), &Settings::default(), Decimal::new(27790, 2)).unwrap();
        let ids: Vec<u64> = lines.iter().map(|l| l["id"].as_u64().unwrap()).collect();
        assert_eq!(ids, [11, 14, 15]);
        assert_eq!(sum(&lines), Decimal::new(27790, 2));
        assert_eq!(lines[0]["quantity"], 1);
        assert!(lines[1].get("quantity").is_none(), "shipping has no quantity: {}", lines[1]);
        assert_eq!(lines[1]["refund_total"], "39.20");
        assert_eq!(lines[1]["refund_tax"], json!([{ "id": 1, "refund_total": "9.80" }]));
    }

    #[test]
    fn a_rounding_row_is_absorbed_and_a_foreign_row_drops_the_lines() {
        let rows = vec![row("BOK", "Bok", -1, "249.00", 12), row("", "Öresavrundning", -1, "0.40", 0)];
        let lines =
            refund_lines(&credit(rows, "-249.40"), &order(), &Settings::default(), Decimal::new(24940, 2)).unwrap();
        assert_eq!(sum(&lines), Decimal::new(24940, 2), "{lines:?}");
        let foreign = vec![row("BOK", "Bok", -1, "249.00", 12), row("OTHER", "Annat", -1, "100.00", 25)];
        let why = refund_lines(&credit(foreign, "-349.00"), &order(), &Settings::default(), Decimal::new(34900, 2));
        assert!(why.unwrap_err().contains("OTHER"));
    }

    #[test]
    fn freight_goes_to_the_shipping_line() {
        let mut c = credit(vec![row("KVARN", "Kvarn", -1, "159.92", 25)], "-248.90");
        c["VATIncluded"] = json!(false);
        c["Freight"] = json!(-39.2);
        let lines = refund_lines(&c, &order(), &Settings::default(), Decimal::new(24890, 2)).unwrap();
        assert_eq!(lines[1]["id"], 14);
        assert_eq!(sum(&lines), Decimal::new(24890, 2));
    }
}
