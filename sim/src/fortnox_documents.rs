//! Fortnox customers and orders in the stand-in: numbering Fortnox's way (customer numbers
//! are never reused), substring search, required and read-only fields refused as Fortnox
//! refuses them, VAT only at the company's rates, and totals computed by Fortnox itself.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Fields Fortnox computes on a document; sending one is an error.
pub(crate) const ORDER_READ_ONLY: [&str; 12] = [
    "Total",
    "TotalVAT",
    "TotalToPay",
    "Net",
    "Gross",
    "RoundOff",
    "FreightVAT",
    "InvoiceReference",
    "Cancelled",
    "Sent",
    "OrderType",
    "@url",
];
const CUSTOMER_READ_ONLY: [&str; 2] = ["Country", "@url"];
const VAT_RATES: [u64; 4] = [25, 12, 6, 0];

/// An error answer: (HTTP status, Fortnox code, Swedish message as Fortnox sends it).
pub type Refusal = (u16, u64, String);

fn refuse(code: u64, message: impl Into<String>) -> Refusal {
    (400, code, message.into())
}

#[derive(Default)]
pub struct Documents {
    pub customers: BTreeMap<u64, Value>,
    pub orders: BTreeMap<u64, Value>,
    pub invoices: BTreeMap<u64, Value>,
    /// When each invoice last changed, "YYYY-MM-DD HH:MM:SS" (Fortnox's `lastmodified`; a
    /// payment counts, unverified: see ASSUMPTIONS.md).
    pub invoice_modified: BTreeMap<u64, String>,
    pub payments: Vec<Value>,
    /// Every change, as the WebSocket topics tell it (see fortnox_events).
    pub events: crate::fortnox_events::Log,
    next_customer: u64,
    next_order: u64,
    pub(crate) next_invoice: u64,
}

fn text_len(object: &Map<String, Value>, key: &str) -> usize {
    object.get(key).and_then(Value::as_str).map(|s| s.chars().count()).unwrap_or(0)
}

fn number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn customer_fields(body: &Value) -> Result<&Map<String, Value>, Refusal> {
    body.get("Customer").and_then(Value::as_object).ok_or_else(|| refuse(2001392, "Felaktig request body"))
}

/// What Fortnox checks on a customer, new or changed.
fn check_customer(c: &Map<String, Value>) -> Result<(), Refusal> {
    if let Some(f) = CUSTOMER_READ_ONLY.iter().find(|f| c.contains_key(**f)) {
        return Err(refuse(2001399, format!("Ogiltigt fältnamn: {f}")));
    }
    if !(1..=1024).contains(&text_len(c, "Name")) {
        return Err(refuse(2000024, "Namn måste anges"));
    }
    let exact = |key: &str, len: usize| c.get(key).and_then(Value::as_str).is_some_and(|v| v.chars().count() != len);
    if text_len(c, "ZipCode") > 10
        || text_len(c, "DeliveryZipCode") > 10
        || exact("CountryCode", 2)
        || exact("Currency", 3)
    {
        return Err(refuse(2000106, "Värdet har fel längd"));
    }
    let allowed = |key: &str, values: &[&str]| c.get(key).and_then(Value::as_str).is_none_or(|v| values.contains(&v));
    if !allowed("Type", &["PRIVATE", "COMPANY"])
        || !allowed("VATType", &["SEVAT", "SEREVERSEDVAT", "EUREVERSEDVAT", "EUVAT", "EXPORT"])
    {
        return Err(refuse(2000588, "Ogiltigt värde"));
    }
    Ok(())
}

impl Documents {
    pub fn create_customer(&mut self, body: &Value) -> Result<Value, Refusal> {
        let c = customer_fields(body)?;
        check_customer(c)?;
        self.next_customer += 1;
        let number = self.next_customer;
        let mut customer = c.clone();
        customer.insert("CustomerNumber".into(), json!(number.to_string()));
        self.customers.insert(number, Value::Object(customer.clone()));
        self.events.push("customers", "customer-created-v1", number.to_string());
        Ok(json!({ "Customer": customer }))
    }

    /// `PUT /3/customers/{n}`: the fields sent replace the customer's, the others stay;
    /// the result is checked as a new customer would be.
    pub fn update_customer(&mut self, number: u64, body: &Value) -> Result<Value, Refusal> {
        let fields = customer_fields(body)?;
        let customer = self.customers.get(&number).ok_or_else(|| (404, 2000433, "Kan inte hitta kunden".to_owned()))?;
        let mut merged = customer.as_object().cloned().unwrap_or_default();
        for (k, v) in fields {
            // The number is the customer's identity: it can be sent, but not changed.
            if k == "CustomerNumber" && v.as_str() != Some(number.to_string().as_str()) {
                return Err(refuse(2000588, "Ogiltigt värde: CustomerNumber"));
            }
            merged.insert(k.clone(), v.clone());
        }
        check_customer(&merged)?;
        self.customers.insert(number, Value::Object(merged.clone()));
        self.events.push("customers", "customer-updated-v2", number.to_string());
        Ok(json!({ "Customer": merged }))
    }

    pub fn create_order(&mut self, body: &Value, articles: &BTreeMap<String, Value>) -> Result<Value, Refusal> {
        let o = body.get("Order").and_then(Value::as_object).ok_or_else(|| refuse(2001392, "Felaktig request body"))?;
        if let Some(f) = ORDER_READ_ONLY.iter().find(|f| o.contains_key(**f)) {
            return Err(refuse(2001399, format!("Ogiltigt fältnamn: {f}")));
        }
        let customer = o.get("CustomerNumber").and_then(Value::as_str).unwrap_or_default();
        if !customer.parse::<u64>().is_ok_and(|n| self.customers.contains_key(&n)) {
            return Err(refuse(2000433, format!("Kunden {customer:?} hittades inte")));
        }
        if text_len(o, "YourOrderNumber") > 75
            || text_len(o, "ExternalInvoiceReference1") > 80
            || text_len(o, "Remarks") > 1024
        {
            return Err(refuse(2000106, "Värdet är för långt"));
        }
        let totals = totals(o, "OrderRows", "OrderedQuantity", articles)?;
        self.next_order += 1;
        let number = self.next_order;
        let mut order = o.clone();
        order.extend(totals);
        order.insert("DocumentNumber".into(), json!(number.to_string()));
        order.insert("Cancelled".into(), json!(false));
        order.insert("InvoiceReference".into(), json!("0"));
        self.orders.insert(number, Value::Object(order.clone()));
        self.events.push("orders", "order-created-v1", number.to_string());
        Ok(json!({ "Order": order }))
    }
}

/// `Net`, `TotalVAT` and `Total` as Fortnox computes them from the rows: each row's amount
/// to the öre, VAT per rate on the rows' sum, `Freight` taxed at 25 %.
impl Documents {
    pub(crate) fn totals_of(
        &self,
        doc: &Map<String, Value>,
        rows_key: &str,
        quantity_key: &str,
        articles: &BTreeMap<String, Value>,
    ) -> Result<Map<String, Value>, Refusal> {
        totals(doc, rows_key, quantity_key, articles)
    }
}

fn totals(
    doc: &Map<String, Value>,
    rows_key: &str,
    quantity_key: &str,
    articles: &BTreeMap<String, Value>,
) -> Result<Map<String, Value>, Refusal> {
    let rows = doc.get(rows_key).and_then(Value::as_array).cloned().unwrap_or_default();
    let included = doc.get("VATIncluded").and_then(Value::as_bool).unwrap_or(false);
    let mut per_rate: BTreeMap<u64, f64> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        if let Some((rate, amount)) = check_row(i + 1, row, quantity_key, articles)? {
            *per_rate.entry(rate).or_default() += amount;
        }
    }
    let freight = doc.get("Freight").and_then(number).unwrap_or(0.0);
    let rows_sum: f64 = per_rate.values().sum();
    let rows_vat: f64 = per_rate
        .iter()
        .map(
            |(r, s)| if included { round2(s * *r as f64 / (100.0 + *r as f64)) } else { round2(s * *r as f64 / 100.0) },
        )
        .sum();
    let freight_vat = round2(freight * 0.25);
    let (net, vat) = if included {
        (rows_sum - rows_vat + freight, rows_vat + freight_vat)
    } else {
        (rows_sum + freight, rows_vat + freight_vat)
    };
    let mut out = Map::new();
    out.insert("Net".into(), json!(round2(net)));
    out.insert("TotalVAT".into(), json!(round2(vat)));
    out.insert("Total".into(), json!(round2(net + vat)));
    Ok(out)
}

/// A row's VAT rate and amount (quantity × price to the öre), or `None` for a text row.
fn check_row(
    n: usize,
    row: &Value,
    quantity_key: &str,
    articles: &BTreeMap<String, Value>,
) -> Result<Option<(u64, f64)>, Refusal> {
    let row = row.as_object().ok_or_else(|| refuse(2001392, format!("Rad {n} är felaktig")))?;
    if let Some(article) = row.get("ArticleNumber").and_then(Value::as_str)
        && !articles.contains_key(article)
    {
        return Err(refuse(2001302, format!("Rad {n}: artikeln {article:?} hittades inte")));
    }
    if text_len(row, "Description") > 255 {
        return Err(refuse(2000106, format!("Rad {n}: benämningen är för lång")));
    }
    // Fortnox's documentation makes OrderedQuantity required on every order row, text rows
    // included (issue 11); invoice rows have no such rule documented.
    if quantity_key == "OrderedQuantity" && !row.contains_key(quantity_key) {
        return Err(refuse(2000108, format!("Rad {n}: OrderedQuantity måste anges")));
    }
    let priced = row.contains_key("Price") || row.contains_key("ArticleNumber");
    if !priced {
        return if text_len(row, "Description") > 0 {
            Ok(None)
        } else {
            Err(refuse(2003977, format!("Rad {n} saknar artikelnummer och benämning")))
        };
    }
    let quantity =
        row.get(quantity_key).and_then(number).ok_or_else(|| refuse(2000108, format!("Rad {n}: antal saknas")))?;
    let vat = row.get("VAT").and_then(Value::as_u64).unwrap_or(25);
    if !VAT_RATES.contains(&vat) {
        return Err(refuse(2000760, format!("Rad {n}: kunde inte hitta momssatsen {vat}")));
    }
    let price = row.get("Price").and_then(number).unwrap_or(0.0);
    Ok(Some((vat, round2(quantity * price))))
}

/// Substring, case-insensitive, as Fortnox searches.
pub fn matches(doc: &Value, field: &str, needle: Option<&String>) -> bool {
    needle.is_none_or(|n| doc[field].as_str().unwrap_or_default().to_lowercase().contains(&n.to_lowercase()))
}
