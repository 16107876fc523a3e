//! How the flows run: which orders they pick up, what the products flow writes, where
//! stock comes from, and the optional bookkeeping steps. Every field has a default.

use serde::{Deserialize, Serialize};

/// The fields the products flow can write.
pub const PRODUCT_FIELDS: [&str; 9] =
    ["name", "description", "price", "stock", "status", "ean", "tax_class", "weight", "dimensions"];

/// Written by default: what Fortnox's article list carries. The others need one more
/// Fortnox call per changed article.
pub const DEFAULT_PRODUCT_FIELDS: [&str; 6] = ["name", "price", "stock", "status", "ean", "tax_class"];

/// Fields only the full article has (not its list item).
pub const FULL_ARTICLE_FIELDS: [&str; 3] = ["description", "weight", "dimensions"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct PaymentMode {
    pub method: String,
    pub mode: String,
    pub account: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StockSource {
    Disposable,
    Warehouse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub struct FlowSettings {
    /// WooCommerce statuses at which an order goes to Fortnox. Default processing, completed.
    pub order_statuses: Vec<String>,
    /// How far the polls look back past their cursor, in minutes. Default 10.
    pub overlap_minutes: u32,
    /// WooCommerce status at which a Fortnox order becomes an invoice. Default none.
    pub invoice_at_status: Option<String>,
    /// Bookkeep the invoices woonox creates. Default false.
    pub bookkeep: bool,
    /// Register the payment in Fortnox for these payment methods. Default none.
    pub payment_modes: Vec<PaymentMode>,
    /// WooCommerce status once the Fortnox invoice is fully paid. Default none: left alone.
    pub paid_status: Option<String>,
    /// Only Fortnox webshop articles. Default true.
    pub webshop_only: bool,
    /// Only active Fortnox articles. Default true.
    pub active_only: bool,
    /// What the products flow writes. Default [`DEFAULT_PRODUCT_FIELDS`].
    pub product_fields: Vec<String>,
    /// `disposable` (default) or `warehouse`.
    pub stock_source: StockSource,
    /// Stock points summed for `warehouse`. Default empty: all of them.
    pub stock_points: Vec<String>,
    /// Credit an amount-only refund split over the order's VAT rates by their gross
    /// amounts. Default true; false refuses it when the order has several rates.
    pub split_amount_refunds: bool,
    /// A refund made from a Fortnox credit restocks the credited items in WooCommerce.
    /// Default false: Fortnox owns stock, and the stock flow brings the level.
    pub restock_credited_items: bool,
    /// WordPress roles the customers flow reads. Default empty: the API's default role,
    /// `customer` (so the administrator and other staff are left out).
    pub customer_roles: Vec<String>,
}

impl Default for FlowSettings {
    fn default() -> Self {
        FlowSettings {
            order_statuses: vec!["processing".into(), "completed".into()],
            overlap_minutes: 10,
            invoice_at_status: None,
            bookkeep: false,
            payment_modes: Vec::new(),
            paid_status: None,
            webshop_only: true,
            active_only: true,
            product_fields: DEFAULT_PRODUCT_FIELDS.iter().map(|f| f.to_string()).collect(),
            stock_source: StockSource::Disposable,
            stock_points: Vec::new(),
            split_amount_refunds: true,
            restock_credited_items: false,
            customer_roles: Vec::new(),
        }
    }
}

impl FlowSettings {
    pub fn writes(&self, field: &str) -> bool {
        self.product_fields.iter().any(|f| f == field)
    }

    pub fn payment_mode(&self, method: &str) -> Option<&PaymentMode> {
        self.payment_modes.iter().find(|m| m.method == method)
    }

    /// What is wrong, naming the setting, if anything.
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.order_statuses.is_empty() {
            return Some(("flows.order-statuses", "name at least one WooCommerce status".into()));
        }
        if let Some(f) = self.product_fields.iter().find(|f| !PRODUCT_FIELDS.contains(&f.as_str())) {
            return Some(("flows.product-fields", format!("{f:?} is not one of {}", PRODUCT_FIELDS.join(", "))));
        }
        if self.payment_modes.iter().any(|m| !(1000..=9999).contains(&m.account) || m.mode.trim().is_empty()) {
            return Some(("flows.payment-modes", "each needs a mode code and a four-digit account".into()));
        }
        if let Some(r) = self.customer_roles.iter().find(|r| !is_role_name(r)) {
            return Some((
                "flows.customer-roles",
                format!("{r:?} is not a WordPress role name (e.g. \"customer\", or \"all\")"),
            ));
        }
        if self.overlap_minutes > 24 * 60 {
            return Some(("flows.overlap-minutes", "must be at most 1440 (a day)".into()));
        }
        None
    }
}

/// A role slug as WordPress writes them (`customer`, `shop_manager`, `all`): it goes into a
/// query string, so nothing else is let through.
fn is_role_name(role: &str) -> bool {
    !role.is_empty() && role.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}
