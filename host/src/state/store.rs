//! woonox's state, on either backend: the embedded SQLite file (the default) or a shared
//! PostgreSQL database (`[state] url`, `--state`, `WOONOX_STATE`). Every part of the state
//! (the component's namespaces here, the queue, runs, activity) is written once in the SQL
//! both accept. The component reaches it only through the host's key-value import.

use super::leases::Fence;
use super::postgres::Postgres;
use super::sql::Tx;
use super::sqlite::Sqlite;
use crate::connections::config::Config;
use crate::connections::connection::Paths;
use crate::vals;
use anyhow::Result;
use std::path::Path;

pub struct Store {
    backend: Backend,
}

enum Backend {
    Sqlite(Sqlite),
    Postgres(Box<Postgres>),
}

impl Store {
    /// The embedded state file.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(Sqlite::open(path)?) })
    }

    /// A shared PostgreSQL database, `postgres://user:password@host/database`.
    pub fn connect(url: &str) -> Result<Store> {
        Ok(Store { backend: Backend::Postgres(Box::new(Postgres::connect(url)?)) })
    }

    /// The state this invocation uses: `--state` or `WOONOX_STATE`, else the connections
    /// file's `[state] url`, else `state.sqlite` in the data directory.
    pub fn for_paths(paths: &Paths) -> Result<Store> {
        let chosen = match &paths.state {
            Some(flag) => Some(flag.clone()),
            None => Config::load(&paths.config_file())?.state.url,
        };
        match chosen {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Store::connect(&url),
            Some(file) => Store::open(Path::new(&file)),
            None => Store::open(&paths.state_file()),
        }
    }

    pub fn in_memory() -> Result<Store> {
        Ok(Store { backend: Backend::Sqlite(Sqlite::in_memory()?) })
    }

    /// Runs `f` in one transaction: all of it commits, or none of it.
    pub fn transaction<R: Send>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R> + Send) -> Result<R> {
        match &self.backend {
            Backend::Sqlite(db) => db.transaction(f),
            Backend::Postgres(db) => db.transaction(f),
        }
    }

    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The shared database's address, for a connection of its own.
    pub fn shared_url(&self) -> Option<&str> {
        match &self.backend {
            Backend::Postgres(db) => Some(db.url()),
            Backend::Sqlite(_) => None,
        }
    }

    /// The embedded state's file; `None` for a shared or in-memory state.
    pub fn embedded_file(&self) -> Option<std::path::PathBuf> {
        match &self.backend {
            Backend::Sqlite(db) => db.file(),
            Backend::Postgres(_) => None,
        }
    }

    pub fn namespace(&self, name: &str) -> Namespace<'_> {
        Namespace { store: self, name: name.to_owned(), fence: None }
    }

    /// A namespace whose writes are refused once `fence`'s lease is another's.
    pub fn namespace_fenced(&self, name: &str, fence: Option<Fence>) -> Namespace<'_> {
        Namespace { store: self, name: name.to_owned(), fence }
    }

    pub fn schema_version(&self) -> Result<usize> {
        match &self.backend {
            Backend::Sqlite(db) => db.schema_version(),
            Backend::Postgres(db) => db.schema_version(),
        }
    }
}

/// Sets `namespace`'s `key` within a transaction already open (a write that must commit
/// with others, as an event's offset with its job).
pub fn set_in(tx: &mut dyn Tx, namespace: &str, key: &str, value: &[u8]) -> Result<u64> {
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    tx.execute(
        "INSERT INTO kv (namespace, key, value, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        vals![namespace, key, value, now.as_str()],
    )
}

/// One connection's keys; no call can reach another namespace's.
pub struct Namespace<'a> {
    store: &'a Store,
    name: String,
    fence: Option<Fence>,
}

impl Namespace<'_> {
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.store.transaction(|tx| {
            let row = tx.query_one("SELECT value FROM kv WHERE namespace = ?1 AND key = ?2", vals![&self.name, key])?;
            row.map(|r| r.bytes(0)).transpose()
        })
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.store.fenced(self.fence.as_ref(), |tx| set_in(tx, &self.name, key, value))?;
        Ok(())
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        self.store.fenced(self.fence.as_ref(), |tx| {
            tx.execute("DELETE FROM kv WHERE namespace = ?1 AND key = ?2", vals![&self.name, key])
        })?;
        Ok(())
    }

    /// Keys in order, optionally only those starting with `prefix`.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        self.store.transaction(|tx| {
            let rows = tx.query(
                "SELECT key FROM kv WHERE namespace = ?1
                 AND substr(key, 1, length(CAST(?2 AS TEXT))) = CAST(?2 AS TEXT) ORDER BY key",
                vals![&self.name, prefix],
            )?;
            rows.iter().map(|r| r.text(0)).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::state::testing::each_backend;

    #[test]
    fn values_round_trip_and_namespaces_do_not_meet() {
        each_backend(|store| {
            let (a, b) = (store.namespace("shop-a"), store.namespace("shop-b"));
            a.set("cursor/orders", b"2026-11-26T17:56:26").unwrap();
            assert_eq!(a.get("cursor/orders").unwrap().as_deref(), Some(&b"2026-11-26T17:56:26"[..]));
            assert_eq!(b.get("cursor/orders").unwrap(), None);
            a.set("cursor/orders", b"later").unwrap();
            assert_eq!(a.get("cursor/orders").unwrap().as_deref(), Some(&b"later"[..]));
            a.set("link/order/1", b"5001").unwrap();
            a.set("link_order", b"not under link/").unwrap();
            assert_eq!(a.keys("link/").unwrap(), ["link/order/1"]);
            assert_eq!(a.keys("").unwrap(), ["cursor/orders", "link/order/1", "link_order"]);
            a.delete("link/order/1").unwrap();
            assert!(a.keys("link/").unwrap().is_empty());
        });
    }
}
