//! Reading Fortnox lists: pages of 500 in a stable order, until `@TotalPages`.

use super::error::SyncError;
use super::transport::{Request, Transport};
use serde_json::Value;

pub const PAGE_LIMIT: u32 = 500;

/// Calls `each` with every item of `resource` (e.g. "articles", key "Articles"), page by
/// page, sorted by `sort_by` so that pages do not shift under the reader.
pub fn for_each(
    transport: &dyn Transport,
    base: &str,
    resource: &str,
    key: &str,
    sort_by: &str,
    mut each: impl FnMut(Value),
) -> Result<Option<String>, SyncError> {
    try_for_each(transport, base, resource, key, sort_by, |item| {
        each(item);
        Ok(())
    })
}

/// [`for_each`] whose `each` may fail, which stops the reading.
pub fn try_for_each(
    transport: &dyn Transport,
    base: &str,
    resource: &str,
    key: &str,
    sort_by: &str,
    mut each: impl FnMut(Value) -> Result<(), SyncError>,
) -> Result<Option<String>, SyncError> {
    let (mut page, mut date) = (1, None);
    loop {
        let separator = if resource.contains('?') { '&' } else { '?' };
        let url = format!(
            "{}/3/{resource}{separator}limit={PAGE_LIMIT}&page={page}&sortby={sort_by}&sortorder=ascending",
            base.trim_end_matches('/')
        );
        let response = transport.send(&Request::get(url)).map_err(|e| SyncError::from_transport("Fortnox", e))?;
        if response.status != 200 {
            return Err(SyncError::fortnox(response.status, &response.text()));
        }
        if page == 1 {
            date = response.header("date").map(str::to_owned);
        }
        let body: Value = serde_json::from_slice(&response.body).map_err(|e| {
            SyncError::Interrupted(format!(
                "Fortnox sent a page of {} that is not JSON: {e}",
                resource.split('?').next().unwrap_or(resource)
            ))
        })?;
        let items = body.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        items.into_iter().try_for_each(&mut each)?;
        let total_pages = body["MetaInformation"]["@TotalPages"].as_u64().unwrap_or(1);
        if page >= total_pages {
            return Ok(date);
        }
        page += 1;
    }
}
