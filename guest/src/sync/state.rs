//! What the flows remember between runs: links between WooCommerce and Fortnox objects,
//! pending-write markers, cursors and content hashes. The component keeps them in
//! `wasi:keyvalue` (the host's SQLite file); tests keep them in memory.

use super::error::SyncError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::BTreeMap;

pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<String>, SyncError>;
    fn set(&self, key: &str, value: &str) -> Result<(), SyncError>;
    fn delete(&self, key: &str) -> Result<(), SyncError>;
}

/// A record stored as JSON; one that no longer decodes counts as absent.
pub fn load<T: DeserializeOwned>(kv: &dyn Kv, key: &str) -> Result<Option<T>, SyncError> {
    Ok(kv.get(key)?.and_then(|v| serde_json::from_str(&v).ok()))
}

pub fn save<T: Serialize>(kv: &dyn Kv, key: &str, value: &T) -> Result<(), SyncError> {
    kv.set(key, &serde_json::to_string(value).unwrap_or_default())
}

/// A write is about to be sent: if its answer is lost, the next run looks before writing.
pub fn mark_pending(kv: &dyn Kv, key: &str) -> Result<(), SyncError> {
    kv.set(&format!("pending:{key}"), "1")
}

pub fn is_pending(kv: &dyn Kv, key: &str) -> Result<bool, SyncError> {
    Ok(kv.get(&format!("pending:{key}"))?.is_some())
}

pub fn clear_pending(kv: &dyn Kv, key: &str) -> Result<(), SyncError> {
    kv.delete(&format!("pending:{key}"))
}

/// In memory, for tests and dry runs of the native build.
#[derive(Default)]
pub struct MemoryKv(pub RefCell<BTreeMap<String, String>>);

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<String>, SyncError> {
        Ok(self.0.borrow().get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SyncError> {
        self.0.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SyncError> {
        self.0.borrow_mut().remove(key);
        Ok(())
    }
}
