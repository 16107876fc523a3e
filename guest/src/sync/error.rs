//! Why a flow stopped, in words the merchant can act on.

use super::transport::TransportError;
use crate::fortnox_error::FortnoxError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncError {
    /// The connection needs the user: credentials refused, destination not allowed.
    Connection(String),
    /// The flow stopped part-way; what was written is consistent and a rerun continues.
    Interrupted(String),
}

impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncError::Connection(m) | SyncError::Interrupted(m) => f.write_str(m),
        }
    }
}

impl SyncError {
    pub fn from_transport(service: &str, e: TransportError) -> SyncError {
        match e {
            TransportError::Denied(why) => {
                SyncError::Connection(format!("{service}: the host refused the request: {why}"))
            }
            TransportError::OutcomeUnknown(why) | TransportError::Failed(why) => {
                SyncError::Interrupted(format!("{service} did not answer: {why}"))
            }
        }
    }

    /// A Fortnox error answer, explained.
    pub fn fortnox(status: u16, body: &str) -> SyncError {
        let explained = FortnoxError::parse(body).map(|e| e.explain()).unwrap_or_else(|| format!("HTTP {status}"));
        match status {
            401 | 403 => SyncError::Connection(format!("Fortnox: {explained}")),
            _ => SyncError::Interrupted(format!("Fortnox: {explained}")),
        }
    }

    /// A WooCommerce error answer (`{"code", "message", "data": {"status"}}`), explained.
    pub fn woo(status: u16, body: &str) -> SyncError {
        let parsed: Option<(String, String)> = serde_json::from_str::<serde_json::Value>(body).ok().map(|v| {
            (v["code"].as_str().unwrap_or_default().to_owned(), v["message"].as_str().unwrap_or_default().to_owned())
        });
        let (code, message) = parsed.unwrap_or_default();
        let advice = match (status, code.as_str()) {
            (401, "woocommerce_rest_cannot_view") => {
                " WooCommerce treated the request as anonymous: check the consumer key, and if the store sits behind \
                 an HTTPS proxy, tell WordPress it is HTTPS (otherwise it ignores Basic credentials)."
            }
            (401, _) => " Check the consumer key and secret (WooCommerce → Settings → Advanced → REST API).",
            (404, "rest_no_route") | (404, "") => {
                " The store does not answer on /wp-json/: enable pretty permalinks (Settings → Permalinks, anything but \
                 \"Plain\"); WooCommerce does not accept API keys on ?rest_route= URLs."
            }
            _ => "",
        };
        let message = message.trim_end_matches('.');
        let text = format!("WooCommerce answered HTTP {status} {code}: {message}.{advice}");
        match status {
            401 | 403 | 404 => SyncError::Connection(text),
            _ => SyncError::Interrupted(text),
        }
    }
}
