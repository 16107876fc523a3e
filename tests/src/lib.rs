//! Generators of realistic WooCommerce and Fortnox data for property tests, and the
//! fixtures' location.

pub mod gen_order;
pub mod gen_stock;

use std::path::PathBuf;

/// A file under `tests/fixtures/`.
pub fn fixture(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
