//! `wasi:keyvalue/store` for the component, backed by the connection's namespace of the
//! SQLite state. The component can reach no other connection's keys.

use crate::runtime::HostState;
use crate::runtime::connector_bindings::wasi::keyvalue::store::{Error, Host, HostBucket, KeyResponse};
use wasmtime::component::Resource;

/// An open bucket: the connection's namespace (the component's identifier is ignored).
pub struct Bucket;

fn failed(e: anyhow::Error) -> Error {
    Error::Other(format!("{e:#}"))
}

impl Host for HostState {
    fn open(&mut self, _identifier: String) -> Result<Resource<Bucket>, Error> {
        if self.connection.store.is_none() {
            return Err(Error::AccessDenied);
        }
        self.table.push(Bucket).map_err(|e| Error::Other(e.to_string()))
    }
}

impl HostBucket for HostState {
    fn get(&mut self, _: Resource<Bucket>, key: String) -> Result<Option<Vec<u8>>, Error> {
        self.namespace(|ns| ns.get(&key)).map_err(failed)
    }

    fn set(&mut self, _: Resource<Bucket>, key: String, value: Vec<u8>) -> Result<(), Error> {
        self.namespace(|ns| ns.set(&key, &value)).map_err(failed)
    }

    fn delete(&mut self, _: Resource<Bucket>, key: String) -> Result<(), Error> {
        self.namespace(|ns| ns.delete(&key)).map_err(failed)
    }

    fn exists(&mut self, _: Resource<Bucket>, key: String) -> Result<bool, Error> {
        self.namespace(|ns| Ok(ns.get(&key)?.is_some())).map_err(failed)
    }

    fn list_keys(&mut self, _: Resource<Bucket>, cursor: Option<u64>) -> Result<KeyResponse, Error> {
        const PAGE: usize = 1000;
        let keys = self.namespace(|ns| ns.keys("")).map_err(failed)?;
        let start = cursor.unwrap_or(0) as usize;
        let page: Vec<String> = keys.iter().skip(start).take(PAGE).cloned().collect();
        let next = (start + page.len() < keys.len()).then_some((start + page.len()) as u64);
        Ok(KeyResponse { keys: page, cursor: next })
    }

    fn drop(&mut self, bucket: Resource<Bucket>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}
