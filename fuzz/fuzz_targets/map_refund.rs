#![no_main]
//! Any bytes as a WooCommerce refund and its order (split at the first NUL): never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (refund, order) = text.split_once('\0').unwrap_or((text, "{}"));
        let _ = woonox_guest::map::refund::map_refund(refund, order, Some("1"), &woonox_guest::Settings::default());
    }
});
