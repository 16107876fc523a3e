//! The merchant's settings, with a documented default for every field so that every
//! command works with no settings file at all. Field names match the WIT `settings`
//! record (kebab-case), which is also how they are written in the TOML file.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// Identifies the store in external references (`woonox:<store-id>:<order id>`).
    /// Keep it stable once documents exist. Default `"woo"`.
    pub store_id: String,
    pub order: OrderSettings,
    pub customer: CustomerSettings,
    pub product: ProductSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store_id: "woo".into(),
            order: OrderSettings::default(),
            customer: CustomerSettings::default(),
            product: ProductSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    Order,
    Invoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VatMode {
    Auto,
    Excluded,
    Included,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShippingMode {
    Row,
    Freight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingSku {
    TextRow,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum VatType {
    Sevat,
    Euvat,
    Eureversedvat,
    Export,
}

impl VatType {
    /// The name Fortnox uses in `Customer.VATType`.
    pub fn as_fortnox(self) -> &'static str {
        match self {
            VatType::Sevat => "SEVAT",
            VatType::Euvat => "EUVAT",
            VatType::Eureversedvat => "EUREVERSEDVAT",
            VatType::Export => "EXPORT",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SalesAccount {
    pub vat_type: VatType,
    pub vat_rate: u8,
    pub account: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CurrencyRate {
    pub currency: String,
    pub rate: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct OrderSettings {
    /// `order` (default) or `invoice`.
    pub document: DocumentKind,
    /// Row prices with VAT (`included`), without (`excluded`), or as the order says (`auto`, default).
    pub prices: VatMode,
    /// `row` (default): a row per shipping line and VAT rate; `freight`: the `Freight` field.
    pub shipping: ShippingMode,
    /// Article number for shipping rows. Default none: a text row with a price.
    pub shipping_article: Option<String>,
    /// Account for shipping rows. Default none: Fortnox's own choice.
    pub shipping_account: Option<u32>,
    /// VAT rate Fortnox puts on `Freight` (a Fortnox company setting). Default 25.
    pub freight_vat_rate: u8,
    /// Account for fee rows. Default none.
    pub fee_account: Option<u32>,
    /// A line without SKU becomes a `text-row` (default: a row with price but no article) or an `error`.
    pub missing_sku: MissingSku,
    /// Add a text row naming the coupon codes. Default true.
    pub coupon_row: bool,
    /// Default `"Rabattkod"`.
    pub coupon_row_prefix: String,
    /// Largest total difference a rounding row may absorb. Default 0.50.
    pub rounding_tolerance: Decimal,
    /// Account of the rounding row. Default 3740 (BAS: öres- och kronutjämning).
    pub rounding_account: u32,
    /// Default `"Öresavrundning"`.
    pub rounding_description: String,
    /// Longest row description sent. Default 50.
    pub row_description_max: u32,
    /// Fixed SEK exchange rates per currency. Default none: Fortnox's rate of the day.
    pub currency_rates: Vec<CurrencyRate>,
    /// Sales account per customer VAT type and VAT rate. Default none: the article's account.
    pub sales_accounts: Vec<SalesAccount>,
}

impl Default for OrderSettings {
    fn default() -> Self {
        OrderSettings {
            document: DocumentKind::Order,
            prices: VatMode::Auto,
            shipping: ShippingMode::Row,
            shipping_article: None,
            shipping_account: None,
            freight_vat_rate: 25,
            fee_account: None,
            missing_sku: MissingSku::TextRow,
            coupon_row: true,
            coupon_row_prefix: "Rabattkod".into(),
            rounding_tolerance: Decimal::new(50, 2),
            rounding_account: 3740,
            rounding_description: "Öresavrundning".into(),
            row_description_max: 50,
            currency_rates: Vec::new(),
            sales_accounts: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct CustomerSettings {
    /// Meta key with the organisation or personal identity number. Default `_billing_org_number`.
    pub org_number_meta_key: String,
    /// Meta key with the EU VAT number. Default `_billing_vat_number`.
    pub vat_number_meta_key: String,
    /// The seller's country; buyers there get SEVAT. Default `SE`.
    pub home_country: String,
    /// Currency when the source names none. Default `SEK`.
    pub default_currency: String,
}

impl Default for CustomerSettings {
    fn default() -> Self {
        CustomerSettings {
            org_number_meta_key: "_billing_org_number".into(),
            vat_number_meta_key: "_billing_vat_number".into(),
            home_country: "SE".into(),
            default_currency: "SEK".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightUnit {
    Kg,
    G,
    Lbs,
    Oz,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DimensionUnit {
    M,
    Cm,
    Mm,
    In,
    Yd,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct ProductSettings {
    /// The store's weight unit. Default `kg`.
    pub weight_unit: WeightUnit,
    /// The store's dimension unit. Default `cm`.
    pub dimension_unit: DimensionUnit,
    /// Write the Fortnox article note as the WooCommerce description. Default true.
    pub note_as_description: bool,
    /// Price list whose price becomes `regular_price`. Default `A`.
    pub price_list: String,
}

impl Default for ProductSettings {
    fn default() -> Self {
        ProductSettings {
            weight_unit: WeightUnit::Kg,
            dimension_unit: DimensionUnit::Cm,
            note_as_description: true,
            price_list: "A".into(),
        }
    }
}

impl OrderSettings {
    /// The fixed SEK rate for `currency`, if the merchant set one.
    pub fn currency_rate(&self, currency: &str) -> Option<Decimal> {
        self.currency_rates.iter().find(|r| r.currency.eq_ignore_ascii_case(currency)).map(|r| r.rate)
    }

    /// The sales account for a row, if the matrix names one.
    pub fn sales_account(&self, vat_type: VatType, vat_rate: u8) -> Option<u32> {
        self.sales_accounts.iter().find(|a| a.vat_type == vat_type && a.vat_rate == vat_rate).map(|a| a.account)
    }
}
