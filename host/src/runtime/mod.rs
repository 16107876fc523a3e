//! The runtime: loading and caching the component, instances and their limits, the WIT glue,
//! and what the component may import (key-value, logging, its settings).

pub mod bindings;
pub mod component_cache;
pub mod connector_bindings;
pub mod guest_kv;
pub mod guest_log;
pub mod instances;
pub mod memory_peak;
pub mod plugin;
pub mod wit_settings;

pub use instances::*;
