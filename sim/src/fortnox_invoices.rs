//! Fortnox invoices in the stand-in: created directly or from an order, bookkept,
//! cancelled only while unbooked, credited (a full credit invoice, linked both ways),
//! edited only while unbooked, and paid (the balance falls; fully paid sets FinalPayDate).

use crate::fortnox_documents::{Documents, Refusal};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Fields Fortnox keeps for itself on an invoice.
const INVOICE_READ_ONLY: [&str; 7] =
    ["Booked", "Balance", "FinalPayDate", "Credit", "CreditInvoiceReference", "OCR", "VoucherNumber"];

fn refuse(code: u64, message: impl Into<String>) -> Refusal {
    (400, code, message.into())
}

fn not_found(what: &str) -> Refusal {
    (404, 2000433, format!("Kan inte hitta {what}"))
}

fn amount(v: &Value) -> f64 {
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()).unwrap_or(0.0)
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

impl Documents {
    fn store_invoice(&mut self, mut invoice: Map<String, Value>) -> Value {
        self.next_invoice += 1;
        let number = self.next_invoice;
        invoice.insert("DocumentNumber".into(), json!(number.to_string()));
        invoice.entry("InvoiceDate").or_insert(json!(today()));
        invoice.insert("Balance".into(), invoice["Total"].clone());
        // An invoice that comes to less than zero is a credit invoice.
        let credit = amount(&invoice["Total"]) < 0.0;
        for (k, v) in [("Booked", json!(false)), ("Cancelled", json!(false)), ("Credit", json!(credit))] {
            invoice.entry(k).or_insert(v);
        }
        for k in ["CreditInvoiceReference", "InvoiceReference"] {
            invoice.entry(k).or_insert(json!("0"));
        }
        invoice.insert("FinalPayDate".into(), json!(""));
        self.invoices.insert(number, Value::Object(invoice.clone()));
        self.touch_invoice(number, "invoice-created-v1");
        Value::Object(invoice)
    }

    /// Moves every invoice's change stamp `by` into the past, as if made that long ago.
    pub fn backdate_invoices(&mut self, by: chrono::Duration) {
        for stamp in self.invoice_modified.values_mut() {
            if let Ok(t) = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S") {
                *stamp = (t - by).format("%Y-%m-%d %H:%M:%S").to_string();
            }
        }
    }

    /// Stamps an invoice as changed now, and tells the `invoices` topic so.
    pub fn touch_invoice(&mut self, number: u64, event: &'static str) {
        self.stamp_invoice(number);
        self.events.push("invoices", event, number.to_string());
    }

    fn stamp_invoice(&mut self, number: u64) {
        self.invoice_modified.insert(number, chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string());
    }

    pub fn create_invoice(&mut self, body: &Value, articles: &BTreeMap<String, Value>) -> Result<Value, Refusal> {
        let i =
            body.get("Invoice").and_then(Value::as_object).ok_or_else(|| refuse(2001392, "Felaktig request body"))?;
        self.check_writable(i, true)?;
        let customer = i.get("CustomerNumber").and_then(Value::as_str).unwrap_or_default();
        if !customer.parse::<u64>().is_ok_and(|n| self.customers.contains_key(&n)) {
            return Err(refuse(2000433, format!("Kunden {customer:?} hittades inte")));
        }
        let mut invoice = i.clone();
        invoice.extend(self.totals_of(i, "InvoiceRows", "DeliveredQuantity", articles)?);
        Ok(json!({ "Invoice": self.store_invoice(invoice) }))
    }

    /// `PUT /3/orders/{n}/createinvoice`: the delivered quantities become an invoice.
    pub fn order_create_invoice(&mut self, number: u64, articles: &BTreeMap<String, Value>) -> Result<Value, Refusal> {
        let order = self.orders.get(&number).cloned().ok_or_else(|| not_found("ordern"))?;
        if order["Cancelled"] == true || order["InvoiceReference"] != "0" {
            return Err(refuse(2000716, "Ordern är makulerad eller redan fakturerad"));
        }
        let mut invoice = Map::new();
        for key in [
            "CustomerNumber",
            "Currency",
            "CurrencyRate",
            "CurrencyUnit",
            "VATIncluded",
            "YourOrderNumber",
            "ExternalInvoiceReference1",
            "Freight",
            "Remarks",
        ] {
            if let Some(v) = order.get(key) {
                invoice.insert(key.into(), v.clone());
            }
        }
        let rows: Vec<Value> = order["OrderRows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let mut row = r.as_object().cloned().unwrap_or_default();
                row.remove("OrderedQuantity");
                Value::Object(row)
            })
            .collect();
        invoice.insert("InvoiceRows".into(), json!(rows));
        invoice.insert("OrderReference".into(), json!(number.to_string()));
        invoice.extend(self.totals_of(&invoice.clone(), "InvoiceRows", "DeliveredQuantity", articles)?);
        let created = self.store_invoice(invoice);
        self.events.push("orders", "order-updated-v1", number.to_string());
        let order = self.orders.get_mut(&number).expect("read above");
        order["InvoiceReference"] = created["DocumentNumber"].clone();
        Ok(json!({ "Order": order }))
    }

    pub fn order_cancel(&mut self, number: u64) -> Result<Value, Refusal> {
        let order = self.orders.get_mut(&number).ok_or_else(|| not_found("ordern"))?;
        if order["InvoiceReference"] != "0" {
            return Err(refuse(2000716, "Ordern är fakturerad och kan inte makuleras"));
        }
        order["Cancelled"] = json!(true);
        let order = order.clone();
        self.events.push("orders", "order-cancelled-v1", number.to_string());
        Ok(json!({ "Order": order }))
    }

    pub fn invoice_action(&mut self, number: u64, action: &str) -> Result<Value, Refusal> {
        let invoice = self.invoices.get(&number).cloned().ok_or_else(|| not_found("fakturan"))?;
        match action {
            "bookkeep" if invoice["Cancelled"] == true => Err(refuse(2000750, "Fakturan är makulerad")),
            "bookkeep" => self.set(number, "Booked", json!(true)),
            "cancel" if invoice["Booked"] == true => Err(refuse(2000751, "Fakturan är bokförd och kan inte makuleras")),
            "cancel" => self.set(number, "Cancelled", json!(true)),
            "credit" => self.credit(number, invoice),
            _ => Err((404, 2000588, format!("Okänd åtgärd {action}"))),
        }
    }

    fn set(&mut self, number: u64, key: &str, value: Value) -> Result<Value, Refusal> {
        self.touch_invoice(number, "invoice-updated-v1");
        let invoice = self.invoices.get_mut(&number).expect("checked by the caller");
        invoice[key] = value;
        Ok(json!({ "Invoice": invoice }))
    }

    /// A full credit invoice: the rows with negative quantities, linked both ways.
    fn credit(&mut self, number: u64, original: Value) -> Result<Value, Refusal> {
        if original["Booked"] != true || original["Credit"] == true || original["CreditInvoiceReference"] != "0" {
            return Err(refuse(
                2000752,
                "Fakturan kan inte krediteras (obokförd, redan krediterad eller själv en kredit)",
            ));
        }
        let mut credit = original.as_object().cloned().unwrap_or_default();
        let rows: Vec<Value> = credit["InvoiceRows"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let mut row = r.clone();
                if let Some(q) = row.get("DeliveredQuantity").map(amount) {
                    row["DeliveredQuantity"] = json!(-q);
                }
                row
            })
            .collect();
        credit.insert("InvoiceRows".into(), json!(rows));
        for key in ["Net", "TotalVAT", "Total"] {
            credit.insert(key.into(), json!(-amount(&original[key])));
        }
        credit.insert("Credit".into(), json!(true));
        credit.insert("Booked".into(), json!(false));
        // The link back: `InvoiceReference` (C# SDK PR #106) and, as on a posted credit,
        // `CreditInvoiceReference`.
        credit.insert("InvoiceReference".into(), json!(number.to_string()));
        credit.insert("CreditInvoiceReference".into(), json!(number.to_string()));
        let created = self.store_invoice(credit);
        self.set(number, "CreditInvoiceReference", created["DocumentNumber"].clone())
    }

    /// `PUT /3/invoices/{n}`: a partial merge, only while unbooked and not cancelled.
    pub fn update_invoice(
        &mut self,
        number: u64,
        body: &Value,
        articles: &BTreeMap<String, Value>,
    ) -> Result<Value, Refusal> {
        let changes =
            body.get("Invoice").and_then(Value::as_object).ok_or_else(|| refuse(2001392, "Felaktig request body"))?;
        self.check_writable(changes, false)?;
        let invoice = self.invoices.get(&number).cloned().ok_or_else(|| not_found("fakturan"))?;
        if invoice["Booked"] == true || invoice["Cancelled"] == true {
            return Err(refuse(2000753, "Fakturan är bokförd eller makulerad och kan inte ändras"));
        }
        let mut merged = invoice.as_object().cloned().unwrap_or_default();
        for (k, v) in changes {
            merged.insert(k.clone(), v.clone());
        }
        merged.extend(self.totals_of(&merged.clone(), "InvoiceRows", "DeliveredQuantity", articles)?);
        if merged["Credit"] == true && amount(&merged["Total"]) >= 0.0 {
            return Err(refuse(2000752, "En kreditfaktura måste ha ett negativt belopp"));
        }
        merged.insert("Balance".into(), merged["Total"].clone());
        self.invoices.insert(number, Value::Object(merged.clone()));
        self.touch_invoice(number, "invoice-updated-v1");
        Ok(json!({ "Invoice": merged }))
    }

    fn check_writable(&self, fields: &Map<String, Value>, creating: bool) -> Result<(), Refusal> {
        let mut read_only = super::fortnox_documents::ORDER_READ_ONLY.iter().chain(INVOICE_READ_ONLY.iter());
        if let Some(f) = read_only.find(|f| fields.contains_key(**f) && !(creating && **f == "InvoiceReference")) {
            return Err(refuse(2001399, format!("Ogiltigt fältnamn: {f}")));
        }
        let too_long =
            |k: &str, max: usize| fields.get(k).and_then(Value::as_str).is_some_and(|v| v.chars().count() > max);
        if too_long("ExternalInvoiceReference1", 80) || too_long("ExternalInvoiceReference2", 80) {
            return Err(refuse(2000106, "Värdet är för långt"));
        }
        Ok(())
    }

    /// `POST /3/invoicepayments`: the balance falls; at zero the invoice is fully paid.
    pub fn pay(&mut self, body: &Value) -> Result<Value, Refusal> {
        let p = body
            .get("InvoicePayment")
            .and_then(Value::as_object)
            .ok_or_else(|| refuse(2001392, "Felaktig request body"))?;
        let number: u64 = p.get("InvoiceNumber").map(amount).unwrap_or(0.0) as u64;
        let invoice = self.invoices.get_mut(&number).ok_or_else(|| not_found("fakturan"))?;
        // The balance is in the invoice's currency, as is AmountCurrency; Amount is in SEK.
        let paid = p.get("AmountCurrency").or(p.get("Amount")).map(amount).unwrap_or(0.0);
        let date = p.get("PaymentDate").and_then(Value::as_str).unwrap_or_default().to_owned();
        if date.as_str() < invoice["InvoiceDate"].as_str().unwrap_or_default() {
            return Err(refuse(2001089, "Betaldatum kan inte vara före fakturadatum"));
        }
        let balance = amount(&invoice["Balance"]);
        if paid.abs() > balance.abs() + 0.005 {
            return Err(refuse(20007013, "Beloppet är större än fakturans saldo"));
        }
        let left = ((balance - paid) * 100.0).round() / 100.0;
        invoice["Balance"] = json!(left);
        if left == 0.0 {
            invoice["FinalPayDate"] = json!(date);
        }
        self.stamp_invoice(number);
        let mut payment = p.clone();
        let payment_number = self.payments.len() + 1;
        payment.insert("Number".into(), json!(payment_number));
        self.payments.push(Value::Object(payment.clone()));
        // A payment is told as the payment, not as its invoice (ASSUMPTIONS.md).
        self.events.push("invoices", "invoicepayment-bookkeep-v1", payment_number.to_string());
        Ok(json!({ "InvoicePayment": payment }))
    }
}
