#![no_main]
//! Any bytes as a WooCommerce order: an answer or an error, never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = woonox_guest::map_order(text, Some("1"), &woonox_guest::Settings::default());
    }
});
