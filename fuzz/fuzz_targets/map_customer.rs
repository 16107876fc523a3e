#![no_main]
//! Any bytes as a WooCommerce customer or order: an answer or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = woonox_guest::map_customer(text, &woonox_guest::Settings::default());
    }
});
