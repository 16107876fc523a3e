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

/// WooCommerce's error answer. `data` is usually `{"status": N, …}` but a bare number
/// after a failed refund; a store without pretty permalinks answers HTML instead.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WooError {
    pub status: u16,
    pub code: String,
    pub message: String,
}

impl WooError {
    pub fn parse(http_status: u16, body: &str) -> WooError {
        let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        let text = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
        let status = v["data"]["status"].as_u64().or(v["data"].as_u64()).map_or(http_status, |s| s as u16);
        WooError { status, code: text("code"), message: text("message") }
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
        let WooError { code, message, .. } = WooError::parse(status, body);
        let advice = match (status, code.as_str()) {
            (401, "woocommerce_rest_cannot_view") => {
                " WooCommerce treated the request as anonymous: check the consumer key, and if the store sits behind \
                 an HTTPS proxy, tell WordPress it is HTTPS (otherwise it ignores Basic credentials)."
            }
            (401, _) => " Check the consumer key and secret (WooCommerce → Settings → Advanced → REST API).",
            (403, _) => {
                " The API key lacks the permission: give it Read/Write (WooCommerce → Settings → Advanced → REST API)."
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn woo_errors_are_read_whatever_data_holds() {
        let e = WooError::parse(
            500,
            r#"{"code":"woocommerce_rest_cannot_create_order_refund","message":"Invalid refund amount.","data":500}"#,
        );
        assert_eq!((e.status, e.code.as_str()), (500, "woocommerce_rest_cannot_create_order_refund"));
        let e = WooError::parse(
            400,
            r#"{"code":"product_invalid_sku","message":"Invalid or duplicated SKU.","data":{"status":400,"resource_id":13}}"#,
        );
        assert_eq!((e.status, e.message.as_str()), (400, "Invalid or duplicated SKU."));
        assert_eq!(WooError::parse(404, "<html>").code, "");
    }

    /// Behind a TLS-terminating proxy WordPress does not see HTTPS and ignores Basic
    /// credentials: the request arrives anonymous. The message must say so.
    #[test]
    fn an_anonymous_401_points_at_the_https_proxy_case() {
        let body = r#"{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}"#;
        let text = SyncError::woo(401, body).to_string();
        assert!(text.contains("HTTPS proxy") && text.contains("ignores Basic credentials"), "{text}");
        assert!(matches!(SyncError::woo(401, body), SyncError::Connection(_)));
    }
}
