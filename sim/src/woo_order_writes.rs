//! Writes on WooCommerce orders in the stand-in, as the real 10.0.2 store answers them:
//! status and meta updates, internal notes, and refunds (which default to a real gateway
//! refund, leave the order total alone, and answer 500 with a bare number when too large).

use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// An error answer: (HTTP status, WooCommerce code, message, `data`).
pub type WooRefusal = (u16, &'static str, String, Value);

fn invalid_order(status: u16) -> WooRefusal {
    (status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.".into(), json!({ "status": status }))
}

pub fn now_gmt() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

#[derive(Default)]
pub struct OrderWrites {
    next_id: u64,
    /// Notes per order id, oldest first.
    pub notes: std::collections::BTreeMap<u64, Vec<Value>>,
    /// Refunds per order id, oldest first.
    pub refunds: std::collections::BTreeMap<u64, Vec<Value>>,
}

impl OrderWrites {
    fn next(&mut self) -> u64 {
        self.next_id += 1;
        5000 + self.next_id
    }

    /// A fresh id for a note, refund or their parts.
    pub fn next_id(&mut self) -> u64 {
        self.next()
    }

    /// `PUT /orders/{id}`: status, transaction id and meta (upserted by key).
    pub fn update(&mut self, orders: &mut [Value], id: u64, body: &Value) -> Result<Value, WooRefusal> {
        let order = orders.iter_mut().find(|o| o["id"] == id).ok_or_else(|| invalid_order(400))?;
        for key in ["status", "transaction_id"] {
            if let Some(v) = body.get(key) {
                order[key] = v.clone();
            }
        }
        // Completing an order stamps it (exchange 61).
        if body["status"] == "completed" && order["date_completed_gmt"].is_null() {
            order["date_completed_gmt"] = json!(now_gmt());
        }
        for entry in body.get("meta_data").and_then(Value::as_array).into_iter().flatten() {
            let meta = order["meta_data"].as_array_mut().expect("orders carry meta_data");
            match meta.iter_mut().find(|m| m["key"] == entry["key"]) {
                Some(existing) => existing["value"] = entry["value"].clone(),
                None => meta.push(json!({ "id": meta.len() + 1, "key": entry["key"], "value": entry["value"] })),
            }
        }
        order["date_modified_gmt"] = json!(now_gmt());
        Ok(order.clone())
    }

    pub fn add_note(&mut self, orders: &[Value], id: u64, body: &Value) -> Result<Value, WooRefusal> {
        if !orders.iter().any(|o| o["id"] == id) {
            return Err(invalid_order(404));
        }
        let Some(text) = body.get("note").and_then(Value::as_str).filter(|n| !n.is_empty()) else {
            return Err((
                400,
                "rest_missing_callback_param",
                "Missing parameter(s): note".into(),
                json!({ "status": 400 }),
            ));
        };
        let note = json!({ "id": self.next(), "author": "WooCommerce", "date_created_gmt": now_gmt(), "note": text,
                           "customer_note": body.get("customer_note").and_then(Value::as_bool).unwrap_or(false) });
        self.notes.entry(id).or_default().push(note.clone());
        Ok(note)
    }

    /// A note the store itself adds (stock changes, status changes).
    pub fn system_note(&mut self, order: u64, text: &str) {
        let note = json!({ "id": self.next(), "date_created_gmt": now_gmt(), "note": text, "customer_note": false });
        self.notes.entry(order).or_default().push(note);
    }

    /// `POST /orders/{id}/refunds` (exchanges 54, 55, 89, 91, 92). `api_refund` defaults to
    /// true: the money goes back through the payment gateway unless the client says
    /// otherwise. `line_items` may name product lines, the shipping line and fee lines; each
    /// comes back negative under its own list with `_refunded_item_id`, and `tax_lines`
    /// sums their taxes per rate. An amount alone has no lines and no tax lines. More than
    /// what remains (total less earlier refunds) answers 500 with a bare-number `data`.
    pub fn refund(&mut self, orders: &mut [Value], id: u64, body: &Value) -> Result<Value, WooRefusal> {
        let order = orders.iter_mut().find(|o| o["id"] == id).ok_or_else(|| invalid_order(404))?;
        let lines: Vec<Value> = body.get("line_items").and_then(Value::as_array).cloned().unwrap_or_default();
        let from_lines: Decimal =
            lines.iter().map(|l| dec(&l["refund_total"]) + refund_tax(l).values().sum::<Decimal>()).sum();
        let amount = body.get("amount").map(dec).unwrap_or(from_lines);
        let refunded: Decimal = self.refunds.get(&id).into_iter().flatten().map(|r| dec(&r["amount"])).sum();
        if amount <= Decimal::ZERO || amount > dec(&order["total"]) - refunded {
            return Err((
                500,
                "woocommerce_rest_cannot_create_order_refund",
                "Invalid refund amount.".into(),
                json!(500),
            ));
        }
        let mut refund = json!({
            "id": self.next(), "date_created_gmt": now_gmt(), "amount": money_text(amount),
            "reason": body.get("reason").cloned().unwrap_or(json!("")), "refunded_by": 1,
            "refunded_payment": body.get("api_refund").and_then(Value::as_bool).unwrap_or(true),
            "meta_data": [], "line_items": [], "shipping_lines": [], "tax_lines": [], "fee_lines": [],
        });
        let mut rates: Vec<(u64, Decimal, Decimal)> = Vec::new();
        for request in &lines {
            let Some((list, copy)) = refund_line(order, request) else { continue };
            let shipping = list == "shipping_lines";
            for (rate, tax) in refund_tax(request) {
                match rates.iter_mut().find(|r| r.0 == rate) {
                    Some(r) if shipping => r.2 += tax,
                    Some(r) => r.1 += tax,
                    None if shipping => rates.push((rate, Decimal::ZERO, tax)),
                    None => rates.push((rate, tax, Decimal::ZERO)),
                }
            }
            let mut copy = copy;
            copy["id"] = json!(self.next());
            copy["meta_data"][0]["id"] = json!(self.next());
            refund[list].as_array_mut().expect("refund lists").push(copy);
        }
        for (rate, items, shipping) in rates {
            let line = crate::woo_taxes::tax_line(self.next(), rate, &money_text(-items), &money_text(-shipping));
            refund["tax_lines"].as_array_mut().expect("tax lines").push(line);
        }
        order["refunds"].as_array_mut().expect("orders carry refunds").push(json!({
            "id": refund["id"], "reason": refund["reason"], "total": money_text(-amount) }));
        order["date_modified_gmt"] = json!(now_gmt());
        self.refunds.entry(id).or_default().push(refund.clone());
        Ok(refund)
    }
}

fn dec(v: &Value) -> Decimal {
    let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    s.trim().parse().unwrap_or(Decimal::ZERO)
}

/// Money as the store writes it: two decimals, no "-0.00".
fn money_text(d: Decimal) -> String {
    let d = d.round_dp(2);
    if d.is_zero() { "0.00".into() } else { format!("{d:.2}") }
}

/// A refund line's tax per rate id.
fn refund_tax(request: &Value) -> BTreeMap<u64, Decimal> {
    let mut out = BTreeMap::new();
    for t in request["refund_tax"].as_array().into_iter().flatten() {
        *out.entry(t["id"].as_u64().unwrap_or(0)).or_default() += dec(&t["refund_total"]);
    }
    out
}

/// The refund's copy of the order item `request` names (a product line, the shipping line
/// or a fee): negative amounts, linked by `_refunded_item_id`. Answers its list's name.
fn refund_line(order: &Value, request: &Value) -> Option<(&'static str, Value)> {
    let find = |list: &str| order[list].as_array()?.iter().find(|l| l["id"] == request["id"]).cloned();
    let total = dec(&request["refund_total"]);
    let taxes = refund_tax(request);
    let tax: Decimal = taxes.values().sum();
    let meta = json!([{ "key": "_refunded_item_id", "value": request["id"].to_string() }]);
    let entries = |with_subtotal: bool| -> Value {
        taxes
            .iter()
            .map(|(rate, t)| {
                let sub = if with_subtotal { json!(money_text(-*t)) } else { json!("") };
                json!({ "id": rate, "total": money_text(-*t), "subtotal": sub })
            })
            .collect()
    };
    if let Some(line) = find("line_items") {
        let quantity = request["quantity"].as_i64().unwrap_or(0);
        let price = if quantity == 0 { total } else { total / Decimal::from(quantity) };
        return Some((
            "line_items",
            json!({
            "name": line["name"], "product_id": line["product_id"], "variation_id": line.get("variation_id").cloned().unwrap_or(json!(0)),
            "quantity": -quantity, "tax_class": line.get("tax_class").cloned().unwrap_or(json!("")),
            "subtotal": money_text(-total), "subtotal_tax": money_text(-tax), "total": money_text(-total),
            "total_tax": money_text(-tax), "taxes": entries(true), "meta_data": meta, "sku": line["sku"],
            "price": price.normalize().to_string().parse::<f64>().unwrap_or(0.0) }),
        ));
    }
    if let Some(line) = find("shipping_lines") {
        return Some((
            "shipping_lines",
            json!({
            "method_title": line["method_title"], "method_id": line["method_id"],
            "instance_id": line.get("instance_id").cloned().unwrap_or(json!("")), "total": money_text(-total),
            "total_tax": money_text(-tax), "taxes": entries(false), "tax_status": "taxable", "meta_data": meta }),
        ));
    }
    let fee = find("fee_lines")?;
    Some((
        "fee_lines",
        json!({
        "name": fee["name"], "tax_class": fee.get("tax_class").cloned().unwrap_or(json!("")),
        "tax_status": fee.get("tax_status").cloned().unwrap_or(json!("taxable")), "amount": "",
        "total": money_text(-total), "total_tax": money_text(-tax), "taxes": entries(false), "meta_data": meta }),
    ))
}

impl crate::woo::State {
    /// A refund with `api_restock` (true unless the client says false) puts its product
    /// lines' quantities back into managed stock, with the store's note and the order
    /// line's `_restock_refunded_items` (exchanges 54, 58, 63; 89 leaves stock alone).
    pub fn restock(&mut self, order_id: u64, refund: &Value, body: &Value) {
        if body.get("api_restock").and_then(Value::as_bool) == Some(false) {
            return;
        }
        for line in refund["line_items"].as_array().into_iter().flatten() {
            let quantity = -line["quantity"].as_i64().unwrap_or(0);
            let variation = line["variation_id"].as_u64().filter(|v| *v != 0);
            let product_id = variation.or(line["product_id"].as_u64()).unwrap_or(0);
            let Some(product) = self.products.iter_mut().find(|p| p["id"] == product_id) else { continue };
            if quantity <= 0 || product["manage_stock"] != true {
                continue;
            }
            let before = product["stock_quantity"].as_i64().unwrap_or(0);
            product["stock_quantity"] = json!(before + quantity);
            let text = format!("Item #{product_id} stock increased from {before} to {}.", before + quantity);
            self.writes.system_note(order_id, &text);
            let original: u64 = line["meta_data"][0]["value"].as_str().and_then(|v| v.parse().ok()).unwrap_or(0);
            let meta_id = self.writes.next_id();
            let order = self.orders.iter_mut().find(|o| o["id"] == order_id);
            let item = order.and_then(|o| o["line_items"].as_array_mut()?.iter_mut().find(|l| l["id"] == original));
            if let Some(meta) = item.and_then(|l| l["meta_data"].as_array_mut()) {
                meta.push(json!({ "id": meta_id, "key": "_restock_refunded_items", "value": quantity.to_string() }));
            }
        }
    }
}
