#![no_main]
//! The API answer decoders: Fortnox and WooCommerce error bodies, Fortnox documents.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(e) = woonox_guest::fortnox_error::FortnoxError::parse(text) {
            let _ = e.explain();
        }
        let _ = woonox_guest::sync::error::WooError::parse(400, text);
        let _ = woonox_guest::sync::error::SyncError::woo(404, text).to_string();
        let _ = woonox_guest::sync::error::SyncError::fortnox(400, text).to_string();
        let _ = serde_json::from_str::<woonox_guest::model::fortnox::Document>(text);
    }
});
