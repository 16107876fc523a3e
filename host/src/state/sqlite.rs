//! The embedded backend: one SQLite file in WAL mode, the default for a merchant with one
//! store. Its schema is versioned by `user_version`.

use super::sql::{Dialect, Row, Tx, Val};
use anyhow::{Context, Result};
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

/// Each entry upgrades the schema by one version; never edit one that has shipped. The
/// PostgreSQL list in postgres.rs has the same tables, and secrets besides.
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
    ) WITHOUT ROWID;", // Leases and live processes of `woonox serve` (leases.rs).
    "CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        epoch BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
    );
    CREATE TABLE processes (
        id TEXT PRIMARY KEY,
        seen_at BIGINT NOT NULL,
        started_at BIGINT NOT NULL
    );",
];

pub struct Sqlite {
    conn: Mutex<Connection>,
}

impl Sqlite {
    pub fn open(path: &Path) -> Result<Sqlite> {
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
        Ok(Sqlite { conn: Mutex::new(conn) })
    }

    pub fn in_memory() -> Result<Sqlite> {
        let conn = Connection::open_in_memory()?;
        migrate(&conn)?;
        Ok(Sqlite { conn: Mutex::new(conn) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn transaction<R>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R>) -> Result<R> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut wrapped = SqliteTx(&tx);
        let out = f(&mut wrapped)?;
        tx.commit()?;
        Ok(out)
    }

    pub fn schema_version(&self) -> Result<usize> {
        Ok(self.conn().pragma_query_value(None, "user_version", |r| r.get::<_, i64>(0))? as usize)
    }

    pub fn journal_mode(&self) -> Result<String> {
        Ok(self.conn().pragma_query_value(None, "journal_mode", |r| r.get(0))?)
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    super::refuse_newer(current as usize, MIGRATIONS.len())?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Null => ToSqlOutput::Owned(Value::Null),
            Val::Int(v) => ToSqlOutput::Owned(Value::Integer(*v)),
            Val::Real(v) => ToSqlOutput::Owned(Value::Real(*v)),
            Val::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Val::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

fn val(v: ValueRef<'_>) -> Val {
    match v {
        ValueRef::Null => Val::Null,
        ValueRef::Integer(i) => Val::Int(i),
        ValueRef::Real(r) => Val::Real(r),
        ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Val::Bytes(b.to_vec()),
    }
}

impl Tx for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        Ok(self.0.execute(sql, rusqlite::params_from_iter(params))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let width = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            (0..width).map(|i| r.get_ref(i).map(val)).collect::<rusqlite::Result<Vec<_>>>().map(Row)
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
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
    fn the_file_is_private_in_wal_mode_and_survives_a_reopen() {
        let path = temp_path();
        {
            let db = Sqlite::open(&path).unwrap();
            db.transaction(|tx| tx.execute("INSERT INTO kv (namespace, key, value) VALUES ('s', 'k', 'v')", &[]))
                .unwrap();
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let db = Sqlite::open(&path).unwrap();
        let back = db.transaction(|tx| tx.query("SELECT value FROM kv", &[])).unwrap();
        assert_eq!(back[0].text(0).unwrap(), "v");
        assert_eq!(db.schema_version().unwrap(), MIGRATIONS.len());
        assert_eq!(db.journal_mode().unwrap(), "wal");
    }

    #[test]
    fn a_newer_schema_is_refused_rather_than_misread() {
        let path = temp_path();
        drop(Sqlite::open(&path).unwrap());
        Connection::open(&path).unwrap().pragma_update(None, "user_version", 99).unwrap();
        let err = Sqlite::open(&path).err().unwrap().to_string();
        assert!(err.contains("newer woonox"), "{err}");
    }
}
