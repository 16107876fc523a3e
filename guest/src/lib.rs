//! The woonox sync core. Everything here is plain Rust that compiles natively (for tests,
//! proptest and fuzzing) and, unchanged, to the wasm32-wasip2 component; only
//! `component` is WebAssembly-specific glue.

pub mod error;
pub mod flow_settings;
pub mod fortnox_error;
pub mod lenient;
pub mod map;
pub mod model;
pub mod settings;
pub mod stock;
pub mod sync;

#[cfg(target_arch = "wasm32")]
mod component;

pub use error::{MapError, Mapped};
pub use map::customer::map_customer;
pub use map::order::map_order;
pub use map::product::map_product;
pub use settings::Settings;

/// The mappings the contract names but this build does not do yet.
pub fn not_yet_supported(mapping: &str) -> MapError {
    MapError::NotYetSupported(format!("{mapping} (it arrives with the invoice and refund flows)"))
}
