//! What a mapping answers when it cannot produce a body: which field, and why.

use rust_decimal::Decimal;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    /// The input is not JSON, or not the shape the source API returns.
    InvalidInput(String),
    /// A field holds a value the target system cannot take.
    InvalidField {
        field: String,
        reason: String,
    },
    /// The Fortnox document would not come to the WooCommerce total.
    TotalsMismatch {
        woo_total: Decimal,
        fortnox_total: Decimal,
        tolerance: Decimal,
    },
    NotYetSupported(String),
}

impl MapError {
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        MapError::InvalidField { field: field.into(), reason: reason.into() }
    }

    /// A decoding error from serde, told as "what the API sent is not what it should be".
    pub fn from_json(what: &str, e: serde_json::Error) -> Self {
        MapError::InvalidInput(format!("{what}: {e}"))
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::InvalidInput(msg) => write!(f, "{msg}"),
            MapError::InvalidField { field, reason } => write!(f, "{field}: {reason}"),
            MapError::TotalsMismatch { woo_total, fortnox_total, tolerance } => write!(
                f,
                "the Fortnox document would total {fortnox_total} but the WooCommerce order totals {woo_total}; \
                 the difference {} is more than the rounding tolerance {tolerance} (setting order.rounding-tolerance)",
                (*woo_total - *fortnox_total).abs()
            ),
            MapError::NotYetSupported(what) => write!(f, "{what} is not supported by this build yet"),
        }
    }
}

impl std::error::Error for MapError {}

/// A mapping's result: a JSON body plus warnings for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub body: serde_json::Value,
    pub warnings: Vec<String>,
}
