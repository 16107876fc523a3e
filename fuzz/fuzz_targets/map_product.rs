#![no_main]
//! Any bytes as a Fortnox article and price (split at the first NUL): never a panic.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let (article, price) = text.split_once('\0').map_or((text, None), |(a, p)| (a, Some(p)));
        let _ = woonox_guest::map_product(article, price, &woonox_guest::Settings::default());
    }
});
