//! Fortnox API v3 shapes as Fortnox returns them (PascalCase, loose number typing).

use crate::lenient;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Article {
    #[serde(deserialize_with = "lenient::text")]
    pub article_number: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub description: String,
    #[serde(default, rename = "EAN", deserialize_with = "lenient::text")]
    pub ean: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub webshop_article: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub expired: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub stock_goods: bool,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub disposable_quantity: Option<Decimal>,
    /// Percent, e.g. 12.
    #[serde(default, rename = "VAT", deserialize_with = "lenient::decimal")]
    pub vat: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub quantity_in_stock: Option<Decimal>,
    /// Grams.
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub weight: Option<Decimal>,
    /// Millimetres, like `Height` and `Depth`.
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub width: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub height: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub depth: Option<Decimal>,
}

impl Article {
    /// Fortnox's "available to sell": disposable quantity, else quantity in stock.
    pub fn available(&self) -> Decimal {
        self.disposable_quantity.or(self.quantity_in_stock).unwrap_or_default()
    }
}

/// `{"Articles": [...]}` as the list endpoint returns it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArticleList {
    pub articles: Vec<Article>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Price {
    #[serde(default, deserialize_with = "lenient::text")]
    pub article_number: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub price_list: String,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub from_quantity: Option<Decimal>,
    #[serde(deserialize_with = "lenient::decimal")]
    pub price: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Customer {
    #[serde(default, deserialize_with = "lenient::text")]
    pub customer_number: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub email: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub organisation_number: String,
}

/// An Order or an Invoice (credit invoices included): the fields the flows read back.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Document {
    #[serde(deserialize_with = "lenient::text")]
    pub document_number: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub customer_number: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub external_invoice_reference1: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub external_invoice_reference2: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub currency: String,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub balance: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub final_pay_date: String,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub booked: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub cancelled: bool,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub credit: bool,
    #[serde(default, deserialize_with = "lenient::text")]
    pub credit_invoice_reference: String,
    #[serde(default, deserialize_with = "lenient::text")]
    pub invoice_reference: String,
}

/// Fortnox writes "no reference" as `0`, `"0"`, `""` or `null`.
pub fn reference(value: &str) -> Option<&str> {
    match value.trim() {
        "" | "0" => None,
        v => Some(v),
    }
}
