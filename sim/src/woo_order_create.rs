//! `POST /orders` as the real 10.0.2 store prices an order (exchanges 48 to 50, 67, 78 to
//! 83): lines priced from the catalogue (prices entered with VAT are split into an ex-VAT
//! total plus tax; with the setting off, tax goes on top), an explicit line `total` taken
//! ex VAT (the difference shows as discount), percent coupons taken off the price as
//! entered, shipping and fees ex VAT with tax on top, shipping in the items' class, a
//! negative fee's tax spread over the order's rates (`woo_orders::discount_fee`), tax
//! lines per rate in order of first use. `processing` marks it paid and takes the stock.

use crate::woo::State;
use crate::woo_orders::{discount_fee, round, text};
use crate::woo_taxes::{CLASSES, rate_of_class};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const DP: u32 = 2;

fn dec(v: &Value) -> Decimal {
    let s = v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
    s.trim().parse().unwrap_or(Decimal::ZERO)
}

fn rate_id(rate: u32) -> u64 {
    CLASSES.iter().find(|c| c.1 == rate).map_or(1, |c| c.0)
}

fn pct(rate: u32) -> Decimal {
    Decimal::from(rate) / Decimal::ONE_HUNDRED
}

/// Tax entries of a line: `subtotal` as given (lines), "" for shipping and fees.
fn taxes(rate: u32, total: Decimal, subtotal: Option<Decimal>) -> Value {
    let sub = subtotal.map_or(json!(""), |s| json!(text(s, DP)));
    json!([{ "id": rate_id(rate), "total": text(total, DP), "subtotal": sub }])
}

/// What a line comes to: before coupons/explicit totals (`sub_*`) and after, with the
/// unrounded taxes the order's `discount_tax` is made of.
struct Priced {
    rate: u32,
    sub_net: Decimal,
    sub_tax: Decimal,
    net: Decimal,
    tax: Decimal,
    raw_sub_tax: Decimal,
    raw_tax: Decimal,
    price: Decimal,
    /// The coupon's part of this line: (amount as entered, its tax unrounded).
    coupon: (Decimal, Decimal),
}

fn price_line(unit: Decimal, qty: Decimal, rate: u32, incl: bool, explicit: Option<Decimal>, off: Decimal) -> Priced {
    let r = pct(rate);
    let entered = round(unit * qty, DP);
    let (sub_net, raw_sub_tax) = if incl {
        let raw = entered * r / (Decimal::ONE + r);
        (entered - round(raw, DP), raw)
    } else {
        (entered, entered * r)
    };
    let sub_tax = round(raw_sub_tax, DP);
    let mut coupon = (Decimal::ZERO, Decimal::ZERO);
    let (net, raw_tax, raw_net) = match explicit {
        Some(total) => (round(total, DP), round(total, DP) * r, round(total, DP)),
        None => {
            let discount = round(entered * off, DP);
            let after = entered - discount;
            if incl {
                let raw = after * r / (Decimal::ONE + r);
                coupon = (discount, discount * r / (Decimal::ONE + r));
                (after - round(raw, DP), raw, after - raw)
            } else {
                coupon = (discount, discount * r);
                (after, after * r, after)
            }
        }
    };
    let price = if qty.is_zero() { Decimal::ZERO } else { (raw_net / qty).round_dp(6).normalize() };
    Priced { rate, sub_net, sub_tax, net, tax: round(raw_tax, DP), raw_sub_tax, raw_tax, price, coupon }
}

/// The tax class shipping takes ("inherit"): standard when any item is, else the one
/// class of the items, else the first of the store's classes among them (exchanges 81, 83).
fn shipping_rate(line_rates: &[u32]) -> u32 {
    if line_rates.is_empty() || line_rates.contains(&25) {
        return 25;
    }
    CLASSES.iter().map(|c| c.1).find(|r| line_rates.contains(r)).unwrap_or(25)
}

fn address(given: &Value, email: bool) -> Value {
    let mut keys =
        vec!["first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country"];
    if email {
        keys.push("email");
    }
    keys.push("phone");
    keys.into_iter().map(|k| (k.to_owned(), given.get(k).cloned().unwrap_or(json!("")))).collect()
}

fn status_label(status: &str) -> &'static str {
    match status {
        "processing" => "Processing",
        "completed" => "Completed",
        "on-hold" => "On hold",
        "cancelled" => "Cancelled",
        "failed" => "Failed",
        _ => "Pending payment",
    }
}

/// A line's take from stock: (its index among the lines, the product, the quantity).
type StockTake = (usize, Value, Decimal);

/// What the order adds up as its lines are priced.
#[derive(Default)]
struct Sums {
    /// Rates in order of first use: the order of `tax_lines`.
    first_use: Vec<u32>,
    /// Net of the positive items per rate: what a negative fee's tax spreads over.
    positive_net: BTreeMap<u32, Decimal>,
    discount_total: Decimal,
    raw_discount_tax: Decimal,
    coupon_amount: Decimal,
    coupon_raw_tax: Decimal,
}

impl Sums {
    fn add_line(&mut self, p: &Priced) {
        self.discount_total += p.sub_net - p.net;
        self.raw_discount_tax += p.raw_sub_tax - p.raw_tax;
        self.coupon_amount += p.coupon.0;
        self.coupon_raw_tax += p.coupon.1;
        if !self.first_use.contains(&p.rate) {
            self.first_use.push(p.rate);
        }
        *self.positive_net.entry(p.rate).or_default() += p.net;
    }
}

impl State {
    fn next_item(&mut self) -> u64 {
        self.next_item += 1;
        self.next_item
    }

    /// The catalogue entry a line names: its variation, product or SKU.
    fn line_product(&self, line: &Value) -> Option<Value> {
        let by_id = |id: u64| self.products.iter().find(|p| p["id"] == id).cloned();
        match (line["variation_id"].as_u64().filter(|v| *v != 0), line["product_id"].as_u64().filter(|v| *v != 0)) {
            (Some(v), _) => by_id(v),
            (None, Some(p)) => by_id(p),
            _ => line["sku"].as_str().and_then(|sku| self.products.iter().find(|p| p["sku"] == sku).cloned()),
        }
    }

    fn class_of(&self, product: &Value) -> String {
        let own = product["tax_class"].as_str().unwrap_or("");
        if own == "parent" {
            let parent = self.products.iter().find(|p| p["id"] == product["parent_id"]);
            return parent.and_then(|p| p["tax_class"].as_str()).unwrap_or("").to_owned();
        }
        own.to_owned()
    }

    /// The percent taken off by the order's coupons, and their coupon lines' skeletons.
    fn coupons_of(&self, body: &Value) -> (Decimal, Vec<Value>) {
        let mut off = Decimal::ZERO;
        let mut lines = Vec::new();
        for c in body["coupon_lines"].as_array().into_iter().flatten() {
            let code = c["code"].as_str().unwrap_or("").to_lowercase();
            if let Some(coupon) = self.coupons.iter().find(|k| k["code"] == code.as_str()) {
                let amount = dec(&coupon["amount"]);
                off += amount / Decimal::ONE_HUNDRED;
                let info = format!("[{},\"{code}\",\"percent\",{}]", coupon["id"], amount.normalize());
                lines.push(json!({ "code": code, "discount_type": "percent", "nominal_amount": amount.normalize().to_string().parse::<f64>().unwrap_or(0.0),
                                   "free_shipping": false, "meta_data": [{ "key": "coupon_info", "value": info }] }));
            }
        }
        (off, lines)
    }

    /// Builds, stores and answers a new order.
    pub fn create_order(&mut self, body: &Value) -> Value {
        let incl = self.settings.prices_include_tax();
        let (off, coupon_lines) = self.coupons_of(body);
        let mut sums = Sums::default();
        let (lines, stock_takes) = self.priced_lines(body, incl, off, &mut sums);
        let ship_rate = shipping_rate(&sums.first_use);
        let shipping_lines = self.shipping_lines(body, ship_rate, &mut sums);
        let fee_lines = self.fee_lines(body, &mut sums.positive_net, &mut sums.first_use);
        if !shipping_lines.is_empty() && !sums.first_use.contains(&ship_rate) {
            sums.first_use.push(ship_rate);
        }
        let mut order = self.assemble(body, incl, lines, shipping_lines, fee_lines, &sums.first_use);
        order["discount_total"] = json!(text(sums.discount_total, DP));
        order["discount_tax"] = json!(text(round(sums.raw_discount_tax, DP), DP));
        order["coupon_lines"] = self.finish_coupons(coupon_lines, &sums);
        self.take_stock(&mut order, stock_takes);
        self.orders.push(order.clone());
        for line in order["line_items"].as_array_mut().into_iter().flatten() {
            line.as_object_mut().map(|l| l.remove("_raw_taxes"));
        }
        order
    }

    /// The product lines, priced from the catalogue, and what each takes from stock.
    fn priced_lines(
        &mut self,
        body: &Value,
        incl: bool,
        off: Decimal,
        sums: &mut Sums,
    ) -> (Vec<Value>, Vec<StockTake>) {
        let (mut lines, mut takes) = (Vec::new(), Vec::new());
        for line in body["line_items"].as_array().into_iter().flatten() {
            let product = self.line_product(line);
            let qty = Decimal::from(line["quantity"].as_i64().unwrap_or(1));
            let class = product.as_ref().map(|p| self.class_of(p)).unwrap_or_default();
            let rate = rate_of_class(&class).unwrap_or(25);
            let unit = product.as_ref().map_or(Decimal::ZERO, |p| {
                let sale = p["sale_price"].as_str().filter(|s| !s.is_empty());
                dec(&sale.map_or_else(|| p["regular_price"].clone(), |s| json!(s)))
            });
            let p = price_line(unit, qty, rate, incl, line.get("total").map(dec), off);
            sums.add_line(&p);
            let id = self.next_item();
            let mut item = self.order_line(id, product.as_ref(), &class, qty, &p);
            for m in item["meta_data"].as_array_mut().into_iter().flatten() {
                m["id"] = json!(self.next_item());
            }
            // The store keeps a line's taxes unrounded; reads format them again (see
            // woo_order_view::order).
            item["_raw_taxes"] = json!([p.raw_sub_tax.to_string(), p.raw_tax.to_string()]);
            lines.push(item);
            if let Some(product) = product {
                takes.push((lines.len() - 1, product, qty));
            }
        }
        (lines, takes)
    }

    /// Shipping lines: their totals ex VAT, taxed in the class the items give.
    fn shipping_lines(&mut self, body: &Value, rate: u32, sums: &mut Sums) -> Vec<Value> {
        let mut out = Vec::new();
        for s in body["shipping_lines"].as_array().into_iter().flatten() {
            let net = round(dec(&s["total"]), DP);
            let tax = round(net * pct(rate), DP);
            *sums.positive_net.entry(rate).or_default() += net;
            let id = self.next_item();
            out.push(json!({ "id": id, "method_title": s["method_title"], "method_id": s["method_id"],
                "instance_id": s.get("instance_id").cloned().unwrap_or(json!("")), "total": text(net, DP),
                "total_tax": text(tax, DP), "taxes": taxes(rate, tax, None), "tax_status": "taxable", "meta_data": [] }));
        }
        out
    }

    /// Coupon lines with their ids and what they took off: `discount` ex VAT and its tax.
    fn finish_coupons(&mut self, mut coupons: Vec<Value>, sums: &Sums) -> Value {
        let tax = round(sums.coupon_raw_tax, DP);
        for c in coupons.iter_mut() {
            c["id"] = json!(self.next_item());
            c["meta_data"][0]["id"] = json!(self.next_item());
            c["discount"] = json!(text(sums.coupon_amount - tax, DP));
            c["discount_tax"] = json!(text(tax, DP));
        }
        Value::Array(coupons)
    }

    fn order_line(&self, id: u64, product: Option<&Value>, class: &str, qty: Decimal, p: &Priced) -> Value {
        let Some(product) = product else {
            // A product that does not exist: an empty line, as the store makes it (exchange 50).
            return json!({ "id": id, "name": "", "product_id": 0, "variation_id": 0, "quantity": qty.to_string().parse::<i64>().unwrap_or(1),
                "tax_class": "", "subtotal": "0.00", "subtotal_tax": "0.00", "total": "0.00", "total_tax": "0.00",
                "taxes": taxes(25, Decimal::ZERO, Some(Decimal::ZERO)), "meta_data": [], "sku": null, "price": 0 });
        };
        let variation = product["type"] == "variation";
        let parent = variation.then(|| self.products.iter().find(|x| x["id"] == product["parent_id"])).flatten();
        let (product_id, variation_id) = if variation {
            (product["parent_id"].clone(), product["id"].clone())
        } else {
            (product["id"].clone(), json!(0))
        };
        let options: Vec<&str> =
            product["attributes"].as_array().into_iter().flatten().filter_map(|a| a["option"].as_str()).collect();
        let name = match parent {
            Some(parent) => format!("{} - {}", parent["name"].as_str().unwrap_or(""), options.join(", ")),
            None => product["name"].as_str().unwrap_or("").to_owned(),
        };
        let meta: Vec<Value> = product["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let label = a["name"].as_str().unwrap_or("");
                json!({ "key": crate::woo_product_view::slug(label), "value": a["option"], "display_key": label, "display_value": a["option"] })
            })
            .collect();
        json!({ "id": id, "name": name, "product_id": product_id, "variation_id": variation_id,
                "quantity": qty.to_string().parse::<i64>().unwrap_or(1), "tax_class": class,
                "subtotal": text(p.sub_net, DP), "subtotal_tax": text(p.sub_tax, DP), "total": text(p.net, DP),
                "total_tax": text(p.tax, DP), "taxes": taxes(p.rate, p.tax, Some(p.sub_tax)), "meta_data": meta,
                "sku": product["sku"], "price": p.price.to_string().parse::<f64>().unwrap_or(0.0) })
    }

    /// Fees, ex VAT: untaxed (`tax_status: none`), taxed in their class, or negative with
    /// the tax spread over the rates of the order's positive items.
    fn fee_lines(
        &mut self,
        body: &Value,
        positive_net: &mut BTreeMap<u32, Decimal>,
        first_use: &mut Vec<u32>,
    ) -> Vec<Value> {
        let fees: Vec<Value> = body["fee_lines"].as_array().cloned().unwrap_or_default();
        let mut out: Vec<(usize, Value)> = Vec::new();
        let mut negative = Vec::new();
        for (i, f) in fees.iter().enumerate() {
            let net = round(dec(&f["total"]), DP);
            let class = f["tax_class"].as_str().unwrap_or("").to_owned();
            let taxable = f["tax_status"].as_str().unwrap_or("taxable") == "taxable";
            if taxable && net < Decimal::ZERO {
                negative.push((i, f.clone()));
                continue;
            }
            let rate = rate_of_class(&class).unwrap_or(25);
            let (tax, entries) = if taxable {
                let tax = round(net * pct(rate), DP);
                *positive_net.entry(rate).or_default() += net;
                if !first_use.contains(&rate) {
                    first_use.push(rate);
                }
                (tax, taxes(rate, tax, None))
            } else {
                (Decimal::ZERO, json!([]))
            };
            out.push((
                i,
                json!({ "name": f["name"], "tax_class": class, "tax_status": if taxable { "taxable" } else { "none" },
                "amount": "", "total": text(net, DP), "total_tax": text(tax, DP), "taxes": entries, "meta_data": [] }),
            ));
        }
        for (i, f) in negative {
            let cents = (dec(&f["total"]) * Decimal::ONE_HUNDRED).round().to_string().parse().unwrap_or(0);
            let (mut fee, _, _) = discount_fee(0, cents, positive_net, DP);
            fee["name"] = f["name"].clone();
            fee["tax_class"] = json!(f["tax_class"].as_str().unwrap_or(""));
            fee["amount"] = json!("");
            fee["meta_data"] = json!([]);
            out.push((i, fee));
        }
        out.sort_by_key(|(i, _)| *i);
        out.into_iter()
            .map(|(_, mut fee)| {
                fee["id"] = json!(self.next_item());
                fee
            })
            .collect()
    }

    /// The order around its lines: totals, tax lines, addresses, status and dates.
    fn assemble(
        &mut self,
        body: &Value,
        incl: bool,
        lines: Vec<Value>,
        shipping: Vec<Value>,
        fees: Vec<Value>,
        rates: &[u32],
    ) -> Value {
        let sum = |list: &[Value], k: &str| list.iter().map(|l| dec(&l[k])).sum::<Decimal>();
        let per_rate = |list: &[Value], rate: u32| {
            list.iter()
                .flat_map(|l| l["taxes"].as_array().cloned().unwrap_or_default())
                .filter(|t| t["id"] == rate_id(rate))
                .map(|t| dec(&t["total"]))
                .sum::<Decimal>()
        };
        let cart_tax = sum(&lines, "total_tax") + sum(&fees, "total_tax");
        let shipping_tax = sum(&shipping, "total_tax");
        let net = sum(&lines, "total") + sum(&shipping, "total") + sum(&fees, "total");
        let tax_lines: Vec<Value> = rates
            .iter()
            .map(|r| {
                let items = per_rate(&lines, *r) + per_rate(&fees, *r);
                crate::woo_taxes::tax_line(0, rate_id(*r), &text(items, DP), &text(per_rate(&shipping, *r), DP))
            })
            .collect();
        let tax_lines: Vec<Value> = tax_lines
            .into_iter()
            .map(|mut t| {
                t["id"] = json!(self.next_item());
                t
            })
            .collect();
        let now = crate::woo_order_writes::now_gmt();
        let mut status = body["status"].as_str().unwrap_or("pending").to_owned();
        if body["set_paid"] == true && status == "pending" {
            status = "processing".into();
        }
        let paid = matches!(status.as_str(), "processing" | "completed") || body["set_paid"] == true;
        let meta: Vec<Value> = body["meta_data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| json!({ "id": self.next_item(), "key": m["key"], "value": m["value"] }))
            .collect();
        let id = self.fresh_id();
        json!({
            "id": id, "status": status, "currency": body.get("currency").cloned().unwrap_or(json!("SEK")),
            "prices_include_tax": incl, "shipping_total": text(sum(&shipping, "total"), DP),
            "shipping_tax": text(shipping_tax, DP), "cart_tax": text(cart_tax, DP),
            "total": text(net + cart_tax + shipping_tax, DP), "total_tax": text(cart_tax + shipping_tax, DP),
            "customer_id": body.get("customer_id").cloned().unwrap_or(json!(0)),
            "billing": address(&body["billing"], true), "shipping": address(&body["shipping"], false),
            "payment_method": body.get("payment_method").cloned().unwrap_or(json!("")),
            "payment_method_title": body.get("payment_method_title").cloned().unwrap_or(json!("")),
            "customer_note": body.get("customer_note").cloned().unwrap_or(json!("")),
            "meta_data": meta, "line_items": lines, "tax_lines": tax_lines, "shipping_lines": shipping,
            "fee_lines": fees, "refunds": [], "date_created_gmt": now, "date_modified_gmt": now,
            "date_paid_gmt": if paid { json!(now) } else { Value::Null },
            "date_completed_gmt": if status == "completed" { json!(now) } else { Value::Null },
        })
    }

    /// A paid or held order takes its items from stock: managed stock goes down, each such
    /// line gets `_reduced_stock`, products count the sale, and the order gets the store's
    /// notes (stock, then the status change from pending).
    fn take_stock(&mut self, order: &mut Value, takes: Vec<StockTake>) {
        let status = order["status"].as_str().unwrap_or("pending").to_owned();
        if !matches!(status.as_str(), "processing" | "completed" | "on-hold") {
            return;
        }
        let id = order["id"].as_u64().unwrap_or(0);
        let mut reduced = Vec::new();
        for (index, product, qty) in takes {
            let qty = qty.to_string().parse::<i64>().unwrap_or(0);
            let counted =
                if product["type"] == "variation" { product["parent_id"].clone() } else { product["id"].clone() };
            if let Some(p) = self.products.iter_mut().find(|p| p["id"] == counted) {
                p["total_sales"] = json!(p["total_sales"].as_i64().unwrap_or(0) + qty);
            }
            let Some(p) = self.products.iter_mut().find(|p| p["id"] == product["id"]) else { continue };
            if p["manage_stock"] != true {
                continue;
            }
            let before = p["stock_quantity"].as_i64().unwrap_or(0);
            p["stock_quantity"] = json!(before - qty);
            let name = order["line_items"][index]["name"].as_str().unwrap_or("").to_owned();
            let sku = p["sku"].as_str().unwrap_or("").to_owned();
            reduced.push(format!("{name} ({sku}) {before}&rarr;{}", before - qty));
            let item_meta = self.next_item();
            if let Some(meta) = order["line_items"][index]["meta_data"].as_array_mut() {
                meta.push(json!({ "id": item_meta, "key": "_reduced_stock", "value": qty.to_string() }));
            }
        }
        if !reduced.is_empty() {
            self.writes.system_note(id, &format!("Stock levels reduced: {}", reduced.join(", ")));
        }
        let text = format!("Order status changed from Pending payment to {}.", status_label(&status));
        self.writes.system_note(id, &text);
    }
}
