#![no_main]
//! Any bytes as Fortnox stock and WooCommerce products (split at the first NUL): never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (fortnox, woo) = text.split_once('\0').unwrap_or((text, "[]"));
        if let (Ok(f), Ok(w)) = (woonox_guest::stock::fortnox_levels(fortnox), woonox_guest::stock::woo_levels(woo)) {
            let _ = woonox_guest::stock::reconcile(&f, &w);
        }
    }
});
