//! woonox's state: one embedded SQLite file (WAL mode) with a namespace per connection and
//! versioned migrations. The component reaches it only through the host's key-value import.

use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, params};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

/// Each entry upgrades the schema by one version; never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE kv (
        namespace TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        PRIMARY KEY (namespace, key)
    ) WITHOUT ROWID",
    // The job queue of `woonox serve` and the record of flow runs (see queue.rs).
    "CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        connection TEXT NOT NULL,
        flow TEXT,
        topic TEXT,
        body TEXT,
        delivery_id TEXT,
        state TEXT NOT NULL DEFAULT 'queued',
        attempts INTEGER NOT NULL DEFAULT 0,
        run_after INTEGER NOT NULL,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        finished_at INTEGER
    );
    CREATE UNIQUE INDEX jobs_delivery ON jobs (connection, delivery_id) WHERE delivery_id IS NOT NULL;
    CREATE INDEX jobs_due ON jobs (connection, state, run_after);
    CREATE TABLE runs (
        connection TEXT NOT NULL,
        flow TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        seconds REAL NOT NULL,
        ok INTEGER NOT NULL,
        summary TEXT NOT NULL,
        PRIMARY KEY (connection, flow)
    ) WITHOUT ROWID;",
    // What each connection wrote or refused, item by item, and hourly tallies (activity.rs).
    "CREATE TABLE activity (
        id INTEGER PRIMARY KEY,
        connection TEXT NOT NULL,
        at INTEGER NOT NULL,
        flow TEXT NOT NULL,
        item TEXT NOT NULL,
        outcome TEXT NOT NULL,
        target TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX activity_recent ON activity (connection, id);
    CREATE INDEX activity_item ON activity (connection, item, id);
    CREATE TABLE tallies (
        connection TEXT NOT NULL,
        hour INTEGER NOT NULL,
        written INTEGER NOT NULL,
        refused INTEGER NOT NULL,
        rate_limited INTEGER NOT NULL,
        PRIMARY KEY (connection, hour)
    ) WITHOUT ROWID;",
];

pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            crate::state::permissions::create_dir(dir)?;
        }
        // Created owner-only before SQLite opens it: the state names customers and orders.
        std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
        let conn = Connection::open(path).with_context(|| format!("cannot open the state file {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&conn)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    pub fn in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        migrate(&conn)?;
        Ok(Store { conn: Mutex::new(conn) })
    }

    pub fn namespace(&self, name: &str) -> Namespace<'_> {
        Namespace { store: self, name: name.to_owned() }
    }

    pub(crate) fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn schema_version(&self) -> Result<usize> {
        Ok(self.conn().pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize)
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current as usize > MIGRATIONS.len() {
        anyhow::bail!(
            "the state file was written by a newer woonox (schema {current}, this build knows {})",
            MIGRATIONS.len()
        );
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// One connection's keys; no call can reach another namespace's.
pub struct Namespace<'a> {
    store: &'a Store,
    name: String,
}

impl Namespace<'_> {
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self
            .store
            .conn()
            .query_row("SELECT value FROM kv WHERE namespace = ?1 AND key = ?2", params![self.name, key], |r| r.get(0))
            .optional()?)
    }

    pub fn set(&self, key: &str, value: &[u8]) -> Result<()> {
        self.store.conn().execute(
            "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value,
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            params![self.name, key, value],
        )?;
        Ok(())
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        self.store.conn().execute("DELETE FROM kv WHERE namespace = ?1 AND key = ?2", params![self.name, key])?;
        Ok(())
    }

    /// Keys in order, optionally only those starting with `prefix`.
    pub fn keys(&self, prefix: &str) -> Result<Vec<String>> {
        let conn = self.store.conn();
        let mut stmt =
            conn.prepare("SELECT key FROM kv WHERE namespace = ?1 AND substr(key, 1, length(?2)) = ?2 ORDER BY key")?;
        let keys = stmt.query_map(params![self.name, prefix], |r| r.get(0))?.collect::<Result<_, _>>()?;
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp_path() -> std::path::PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        std::env::temp_dir()
            .join(format!("woonox-store-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed)))
            .join("state.sqlite")
    }

    #[test]
    fn values_round_trip_and_namespaces_do_not_meet() {
        let store = Store::in_memory().unwrap();
        let (a, b) = (store.namespace("shop-a"), store.namespace("shop-b"));
        a.set("cursor/orders", b"2026-11-26T17:56:26").unwrap();
        assert_eq!(a.get("cursor/orders").unwrap().as_deref(), Some(&b"2026-11-26T17:56:26"[..]));
        assert_eq!(b.get("cursor/orders").unwrap(), None);
        a.set("cursor/orders", b"later").unwrap();
        assert_eq!(a.get("cursor/orders").unwrap().as_deref(), Some(&b"later"[..]));
        a.set("link/order/1", b"5001").unwrap();
        assert_eq!(a.keys("link/").unwrap(), ["link/order/1"]);
        assert_eq!(a.keys("").unwrap(), ["cursor/orders", "link/order/1"]);
        a.delete("link/order/1").unwrap();
        assert!(a.keys("link/").unwrap().is_empty());
    }

    #[test]
    fn the_file_is_private_in_wal_mode_and_survives_a_reopen() {
        let path = temp_path();
        {
            let store = Store::open(&path).unwrap();
            store.namespace("shop").set("k", b"v").unwrap();
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.namespace("shop").get("k").unwrap().as_deref(), Some(&b"v"[..]));
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len());
        let mode: String = store.conn().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn a_newer_schema_is_refused_rather_than_misread() {
        let path = temp_path();
        drop(Store::open(&path).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Store::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer woonox"), "{err}");
    }
}
