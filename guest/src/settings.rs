//! The merchant's settings, with a documented default for every field so that every
//! command works with no settings file at all. Field names match the WIT `settings`
//! record (kebab-case), which is also how they are written in the TOML file.

use crate::error::MapError;
pub use crate::flow_settings::{FlowSettings, PaymentMode, StockSource};
use crate::map::vat::FORTNOX_RATES;
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
    pub flows: FlowSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            store_id: "woo".into(),
            order: OrderSettings::default(),
            customer: CustomerSettings::default(),
            product: ProductSettings::default(),
            flows: FlowSettings::default(),
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

impl Settings {
    /// Checks what serde cannot: values Fortnox would refuse, or that would make the
    /// external reference ambiguous. The error names the setting and says what fits.
    pub fn validate(&self) -> Result<(), MapError> {
        let bad = |field: &str, reason: &str| Err(MapError::field(format!("setting {field}"), reason));
        let id_ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if self.store_id.is_empty() || self.store_id.len() > 40 || !self.store_id.chars().all(id_ok) {
            return bad("store-id", "must be 1 to 40 letters, digits, '-', '_' or '.'");
        }
        let o = &self.order;
        if !FORTNOX_RATES.contains(&o.freight_vat_rate) {
            return bad("order.freight-vat-rate", "must be a Fortnox VAT rate: 25, 12, 6 or 0");
        }
        let accounts = [o.shipping_account, o.fee_account, Some(o.rounding_account)];
        let matrix = o.sales_accounts.iter().map(|a| Some(a.account));
        if accounts.into_iter().chain(matrix).flatten().any(|a| !(1000..=9999).contains(&a)) {
            return bad("order accounts", "an account number must have four digits (1000 to 9999)");
        }
        if o.sales_accounts.iter().any(|a| !FORTNOX_RATES.contains(&a.vat_rate)) {
            return bad("order.sales-accounts", "vat-rate must be 25, 12, 6 or 0");
        }
        if o.rounding_tolerance.is_sign_negative() {
            return bad("order.rounding-tolerance", "must not be negative");
        }
        if !(1..=255).contains(&o.row_description_max) {
            return bad("order.row-description-max", "must be between 1 and 255");
        }
        if o.currency_rates.iter().any(|r| r.rate <= Decimal::ZERO || !is_code(&r.currency, 3)) {
            return bad("order.currency-rates", "each needs a three-letter currency and a rate above zero");
        }
        if !is_code(&self.customer.home_country, 2) {
            return bad("customer.home-country", "must be a two-letter country code such as \"SE\"");
        }
        if !is_code(&self.customer.default_currency, 3) {
            return bad("customer.default-currency", "must be a three-letter currency code such as \"SEK\"");
        }
        if self.product.price_list.trim().is_empty() {
            return bad("product.price-list", "must name a Fortnox price list");
        }
        if let Some((field, reason)) = self.flows.problem() {
            return bad(field, &reason);
        }
        Ok(())
    }
}

fn is_code(s: &str, len: usize) -> bool {
    s.len() == len && s.chars().all(|c| c.is_ascii_alphabetic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(Settings::default().validate(), Ok(()));
    }

    #[test]
    fn invalid_values_are_named() {
        let mut s = Settings::default();
        s.order.freight_vat_rate = 8;
        assert!(s.validate().unwrap_err().to_string().starts_with("setting order.freight-vat-rate:"));
        let s = Settings { store_id: "my shop".into(), ..Settings::default() };
        assert!(s.validate().unwrap_err().to_string().contains("store-id"));
        let mut s = Settings::default();
        s.order.sales_accounts.push(SalesAccount { vat_type: VatType::Sevat, vat_rate: 25, account: 30011 });
        assert!(s.validate().unwrap_err().to_string().contains("four digits"));
        let mut s = Settings::default();
        s.customer.home_country = "Sweden".into();
        assert!(s.validate().is_err());
    }
}
