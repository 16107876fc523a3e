//! Single requests to either API. A refusal of one item (a 4xx about its content) is that
//! item's failure, explained; anything that makes the outcome unclear or concerns the
//! whole connection stops the flow.

use super::error::{SyncError, WooError};
use super::transport::{Request, Transport};
use crate::fortnox_error::FortnoxError;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Fortnox,
    Woo,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Fortnox => "Fortnox",
            Service::Woo => "WooCommerce",
        }
    }

    /// A refusal that stops a flow, explained.
    pub fn stop(self, status: u16, body: &str) -> SyncError {
        match self {
            Service::Fortnox => SyncError::fortnox(status, body),
            Service::Woo => SyncError::woo(status, body),
        }
    }

    /// Why the service refused one item, in plain words.
    fn refusal(self, status: u16, body: &str) -> String {
        match self {
            Service::Fortnox => match FortnoxError::parse(body) {
                Some(e) => format!("Fortnox refused it: {}", e.explain()),
                None => format!("Fortnox refused it (HTTP {status})"),
            },
            Service::Woo => {
                let e = WooError::parse(status, body);
                format!("WooCommerce refused it: {} ({})", e.message.trim_end_matches('.'), e.code)
            }
        }
    }
}

/// The answer to an item-level request: the body, or why the item was refused.
pub type ItemResult = Result<Value, String>;

/// GET `url`; 404 gives `Ok(None)`.
pub fn get(net: &dyn Transport, service: Service, url: &str) -> Result<Option<Value>, SyncError> {
    let response = net.send(&Request::get(url)).map_err(|e| SyncError::from_transport(service.name(), e))?;
    match response.status {
        200 => serde_json::from_slice(&response.body)
            .map(Some)
            .map_err(|e| SyncError::Interrupted(format!("{} sent something that is not JSON: {e}", service.name()))),
        404 if names_a_missing_item(service, &response.text()) => Ok(None),
        status => Err(service.stop(status, &response.text())),
    }
}

/// Whether a 404's body says the item is missing (any Fortnox 404; WooCommerce's
/// `*_invalid_id`), as opposed to a store that does not answer on `/wp-json/` at all.
pub fn names_a_missing_item(service: Service, body: &str) -> bool {
    service == Service::Fortnox || WooError::parse(404, body).code.ends_with("invalid_id")
}

/// A write (POST or PUT) of `body`, not retried: a lost answer stops the flow, and the
/// caller's pending marker makes the next run look before writing again.
pub fn write(
    net: &dyn Transport,
    service: Service,
    method: &'static str,
    url: &str,
    body: Option<&Value>,
) -> Result<ItemResult, SyncError> {
    let mut headers = vec![("accept".to_owned(), "application/json".to_owned())];
    if body.is_some() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    let request = Request { method, url: url.to_owned(), headers, body: body.map(|b| b.to_string().into_bytes()) };
    let response = net.send(&request).map_err(|e| SyncError::from_transport(service.name(), e))?;
    match response.status {
        200..=299 => Ok(Ok(serde_json::from_slice(&response.body).unwrap_or(Value::Null))),
        400 | 404 | 409 | 422 => Ok(Err(service.refusal(response.status, &response.text()))),
        // WooCommerce answers a refused refund with 500 and a WooCommerce error body.
        500 if service == Service::Woo && !WooError::parse(500, &response.text()).code.is_empty() => {
            Ok(Err(service.refusal(500, &response.text())))
        }
        status => Err(service.stop(status, &response.text())),
    }
}

/// Percent-encodes a query or path value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    const RESERVED: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');
    percent_encoding::utf8_percent_encode(value, RESERVED).to_string()
}

pub fn fortnox_url(base: &str, path: &str) -> String {
    format!("{}/3/{path}", base.trim_end_matches('/'))
}

pub fn woo_url(home: &str, route: &str) -> String {
    format!("{}/wp-json/wc/v3/{route}", home.trim_end_matches('/'))
}
