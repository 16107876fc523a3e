//! WooCommerce REST API v3 shapes (orders, customers, products, variations).

use crate::lenient;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::text")]
    pub number: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub currency: String,
    #[serde(default, deserialize_with = "lenient::flag")]
    pub prices_include_tax: bool,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub date_created_gmt: Option<String>,
    #[serde(deserialize_with = "lenient::decimal")]
    pub total: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::id")]
    pub customer_id: u64,
    #[serde(default)]
    pub customer_note: Option<String>,
    #[serde(default)]
    pub billing: Address,
    #[serde(default)]
    pub shipping: Address,
    #[serde(default)]
    pub payment_method: String,
    #[serde(default)]
    pub line_items: Vec<LineItem>,
    #[serde(default)]
    pub tax_lines: Vec<TaxLine>,
    #[serde(default)]
    pub shipping_lines: Vec<ShippingLine>,
    #[serde(default)]
    pub fee_lines: Vec<FeeLine>,
    #[serde(default)]
    pub coupon_lines: Vec<CouponLine>,
    #[serde(default)]
    pub meta_data: Vec<Meta>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Address {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub company: Option<String>,
    pub address_1: Option<String>,
    pub address_2: Option<String>,
    pub city: Option<String>,
    pub postcode: Option<String>,
    pub country: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LineItem {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default, deserialize_with = "lenient::id")]
    pub product_id: u64,
    #[serde(default, deserialize_with = "lenient::id")]
    pub variation_id: u64,
    #[serde(deserialize_with = "lenient::decimal")]
    pub quantity: Option<Decimal>,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(deserialize_with = "lenient::decimal")]
    pub total: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total_tax: Option<Decimal>,
    #[serde(default)]
    pub taxes: Vec<TaxEntry>,
}

/// One tax rate's share of a line: `id` is the tax rate id, `total` an unrounded string.
#[derive(Debug, Clone, Deserialize)]
pub struct TaxEntry {
    #[serde(default, deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TaxLine {
    #[serde(default, deserialize_with = "lenient::id")]
    pub rate_id: u64,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub rate_percent: Option<Decimal>,
    #[serde(default)]
    pub label: String,
    /// A compound rate is charged on top of the others, on the same net.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub compound: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ShippingLine {
    #[serde(default)]
    pub method_title: String,
    #[serde(default)]
    pub method_id: String,
    #[serde(deserialize_with = "lenient::decimal")]
    pub total: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total_tax: Option<Decimal>,
    #[serde(default)]
    pub taxes: Vec<TaxEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FeeLine {
    #[serde(default)]
    pub name: String,
    #[serde(deserialize_with = "lenient::decimal")]
    pub total: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub total_tax: Option<Decimal>,
    #[serde(default)]
    pub taxes: Vec<TaxEntry>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CouponLine {
    #[serde(default)]
    pub code: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Meta {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

/// The text of the first meta entry named `key`, if it is a non-empty string or number.
pub fn meta_text(meta: &[Meta], key: &str) -> Option<String> {
    let value = &meta.iter().find(|m| m.key == key)?.value;
    let text = match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub billing: Address,
    #[serde(default)]
    pub shipping: Address,
    #[serde(default)]
    pub meta_data: Vec<Meta>,
}

/// `manage_stock` on a variation may be the string `"parent"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManageStock {
    Yes,
    No,
    Parent,
}

impl<'de> Deserialize<'de> for ManageStock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        match &v {
            serde_json::Value::String(s) if s == "parent" => Ok(ManageStock::Parent),
            serde_json::Value::Null => Ok(ManageStock::No),
            _ => match lenient::boolean(v).map_err(serde::de::Error::custom)? {
                Some(true) => Ok(ManageStock::Yes),
                _ => Ok(ManageStock::No),
            },
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    #[serde(deserialize_with = "lenient::id")]
    pub id: u64,
    #[serde(default, deserialize_with = "lenient::id")]
    pub parent_id: u64,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default = "manage_stock_no")]
    pub manage_stock: ManageStock,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub stock_quantity: Option<Decimal>,
}

fn manage_stock_no() -> ManageStock {
    ManageStock::No
}
