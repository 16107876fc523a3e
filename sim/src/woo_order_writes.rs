//! Writes on WooCommerce orders in the stand-in, as the real 10.0.2 store answers them:
//! status and meta updates, internal notes, and refunds (which default to a real gateway
//! refund, leave the order total alone, and answer 500 with a bare number when too large).

use serde_json::{Value, json};

/// An error answer: (HTTP status, WooCommerce code, message, `data`).
pub type WooRefusal = (u16, &'static str, String, Value);

fn invalid_order(status: u16) -> WooRefusal {
    (status, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.".into(), json!({ "status": status }))
}

pub fn now_gmt() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn money(v: &Value) -> f64 {
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()).unwrap_or(0.0)
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

    /// `PUT /orders/{id}`: status, transaction id and meta (upserted by key).
    pub fn update(&mut self, orders: &mut [Value], id: u64, body: &Value) -> Result<Value, WooRefusal> {
        let order = orders.iter_mut().find(|o| o["id"] == id).ok_or_else(|| invalid_order(400))?;
        for key in ["status", "transaction_id"] {
            if let Some(v) = body.get(key) {
                order[key] = v.clone();
            }
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
        let note = json!({ "id": self.next(), "author": "system", "date_created_gmt": now_gmt(), "note": text,
                           "customer_note": body.get("customer_note").and_then(Value::as_bool).unwrap_or(false) });
        self.notes.entry(id).or_default().push(note.clone());
        Ok(note)
    }

    /// `POST /orders/{id}/refunds`. `api_refund` defaults to true: the money goes back
    /// through the payment gateway unless the client says otherwise.
    pub fn refund(&mut self, orders: &mut [Value], id: u64, body: &Value) -> Result<Value, WooRefusal> {
        let order = orders.iter_mut().find(|o| o["id"] == id).ok_or_else(|| invalid_order(404))?;
        let lines: Vec<Value> = body.get("line_items").and_then(Value::as_array).cloned().unwrap_or_default();
        let from_lines: f64 = lines
            .iter()
            .map(|l| {
                money(&l["refund_total"])
                    + l["refund_tax"].as_array().into_iter().flatten().map(|t| money(&t["refund_total"])).sum::<f64>()
            })
            .sum();
        let amount = body.get("amount").map(money).unwrap_or(from_lines);
        let refunded: f64 = self.refunds.get(&id).into_iter().flatten().map(|r| money(&r["amount"])).sum();
        if amount <= 0.0 || amount > money(&order["total"]) - refunded + 1e-9 {
            return Err((
                500,
                "woocommerce_rest_cannot_create_order_refund",
                "Invalid refund amount.".into(),
                json!(500),
            ));
        }
        let refund_lines: Vec<Value> = lines.iter().filter_map(|l| refund_line(order, l)).collect();
        let refund = json!({
            "id": self.next(), "date_created_gmt": now_gmt(), "amount": format!("{amount:.2}"),
            "reason": body.get("reason").cloned().unwrap_or(json!("")), "refunded_by": 1,
            "refunded_payment": body.get("api_refund").and_then(Value::as_bool).unwrap_or(true),
            "meta_data": [], "line_items": refund_lines, "shipping_lines": [], "fee_lines": [],
        });
        order["refunds"].as_array_mut().expect("orders carry refunds").push(json!({
            "id": refund["id"], "reason": refund["reason"], "total": format!("-{amount:.2}") }));
        order["date_modified_gmt"] = json!(now_gmt());
        self.refunds.entry(id).or_default().push(refund.clone());
        Ok(refund)
    }
}

/// The refund's copy of an order line: negative amounts, linked by `_refunded_item_id`.
fn refund_line(order: &Value, request: &Value) -> Option<Value> {
    let line = order["line_items"].as_array()?.iter().find(|l| l["id"] == request["id"])?;
    let total = money(&request["refund_total"]);
    let tax: f64 = request["refund_tax"].as_array().into_iter().flatten().map(|t| money(&t["refund_total"])).sum();
    let quantity = request["quantity"].as_i64().unwrap_or(0);
    Some(json!({
        "id": line["id"].as_u64().unwrap_or(0) + 10_000, "name": line["name"], "product_id": line["product_id"],
        "quantity": -quantity, "sku": line["sku"], "total": format!("{:.2}", -total), "total_tax": format!("{:.2}", -tax),
        "subtotal": format!("{:.2}", -total), "subtotal_tax": format!("{:.2}", -tax),
        "meta_data": [{ "key": "_refunded_item_id", "value": line["id"].to_string() }],
    }))
}
