//! Reading WooCommerce lists: pages of 100 in id order, until `X-WP-TotalPages`. Each page
//! is a fresh request (the host signs every one), never the `Link` header verbatim.

use super::error::SyncError;
use super::transport::{Request, Transport};
use serde_json::Value;

pub const PAGE_SIZE: u32 = 100;

/// `route` may carry its own query (e.g. `orders?status=processing`).
pub fn for_each(
    transport: &dyn Transport,
    home: &str,
    route: &str,
    mut each: impl FnMut(Value),
) -> Result<(), SyncError> {
    let mut page = 1;
    loop {
        let separator = if route.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}/wp-json/wc/v3/{route}{separator}per_page={PAGE_SIZE}&page={page}&orderby=id&order=asc",
            home.trim_end_matches('/')
        );
        let response = transport.send(&Request::get(url)).map_err(|e| SyncError::from_transport("WooCommerce", e))?;
        if response.status != 200 {
            return Err(SyncError::woo(response.status, &response.text()));
        }
        let items: Vec<Value> = serde_json::from_slice(&response.body).map_err(|e| {
            SyncError::Interrupted(format!(
                "WooCommerce sent a page of {} that is not a JSON list: {e}",
                route.split('?').next().unwrap_or(route)
            ))
        })?;
        items.into_iter().for_each(&mut each);
        let total_pages: u32 = response.header("x-wp-totalpages").and_then(|v| v.trim().parse().ok()).unwrap_or(1);
        if page >= total_pages {
            return Ok(());
        }
        page += 1;
    }
}
