//! The stores' resource limiter: `StoreLimits`'s caps, and the largest linear memory any
//! instance reached in this process, which `WOONOX_PEAK_MEMORY` reports beside the
//! process's own peak (so a memory figure can be split into the component's and the host's).

use std::sync::atomic::{AtomicUsize, Ordering};
use wasmtime::{ResourceLimiter, StoreLimits};

static PEAK: AtomicUsize = AtomicUsize::new(0);

pub struct Limiter(pub StoreLimits);

impl ResourceLimiter for Limiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.0.memory_growing(current, desired, maximum)?;
        if allowed {
            PEAK.fetch_max(desired, Ordering::Relaxed);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.0.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.0.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.0.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.0.instances()
    }

    fn tables(&self) -> usize {
        self.0.tables()
    }

    fn memories(&self) -> usize {
        self.0.memories()
    }
}

/// The largest linear memory an instance of this process grew to, in MB.
pub fn peak_mb() -> f64 {
    PEAK.load(Ordering::Relaxed) as f64 / f64::from(1 << 20)
}
