//! The guest's memory over `wasi:keyvalue` (the host keeps it in the connection's
//! namespace of its SQLite file) and its progress reports over `wasi:logging`.

use super::wasi::keyvalue::store::{self, Bucket};
use super::wasi::logging::logging::{Level, log};
use crate::sync::{Progress, SyncError, state::Kv};

pub struct WasiKv(Bucket);

fn failed(e: store::Error) -> SyncError {
    SyncError::Interrupted(format!("woonox could not use its state file: {e:?}"))
}

impl WasiKv {
    pub fn open() -> Result<WasiKv, SyncError> {
        store::open("woonox").map(WasiKv).map_err(failed)
    }
}

impl Kv for WasiKv {
    fn get(&self, key: &str) -> Result<Option<String>, SyncError> {
        Ok(self.0.get(key).map_err(failed)?.map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SyncError> {
        self.0.set(key, value.as_bytes()).map_err(failed)
    }

    fn delete(&self, key: &str) -> Result<(), SyncError> {
        self.0.delete(key).map_err(failed)
    }
}

/// Progress as `info` messages in the context "progress", e.g. "orders 12/340".
pub struct LogProgress;

impl Progress for LogProgress {
    fn step(&self, flow: &str, done: u64, total: u64) {
        log(Level::Info, "progress", &format!("{flow} {done}/{total}"));
    }
}
