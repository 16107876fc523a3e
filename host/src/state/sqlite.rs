//! The embedded backend: one SQLite file in WAL mode, the default for a merchant with one
//! store. Its schema is versioned by `user_version`.

use super::schema::migrations;
use super::sql::{Dialect, Row, Tx, Val};
use anyhow::{Context, Result};
use rusqlite::Connection;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

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

    /// The file, or `None` in memory.
    pub fn file(&self) -> Option<std::path::PathBuf> {
        self.conn().path().filter(|p| !p.is_empty()).map(std::path::PathBuf::from)
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
    let migrations = migrations(Dialect::Sqlite);
    super::refuse_newer(current as usize, migrations.len())?;
    for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
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
        assert_eq!(db.schema_version().unwrap(), migrations(Dialect::Sqlite).len());
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
