//! The shared backend: PostgreSQL, for several `woonox serve` processes on several machines.
//! Its schema is schema.rs's in PostgreSQL's types, with the secrets table besides;
//! concurrent start-ups migrate one at a time under an advisory lock.

use super::schema::migrations;
use super::sql::{Dialect, Row, Tx, Val, numbered_for_postgres};
use anyhow::{Context, Result, bail};
use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Any number that no other program's advisory lock is likely to use.
const MIGRATION_LOCK: i64 = 0x776f_6f6e_6f78;

/// Connections a process may keep open. Each connection's worker runs on a thread of its
/// own, and with one client every worker's state calls would queue behind the others'. A
/// slot is opened only when every opened one is busy.
const POOL: usize = 8;

pub struct Postgres {
    url: String,
    /// Hand-written rather than r2d2's: a client must be opened, checked and dropped off
    /// tokio's runtime (see `off_runtime`), which r2d2's checkout test and drops are not.
    /// `None` until first needed, and while being replaced or dropped.
    clients: Vec<Mutex<Option<postgres::Client>>>,
    next: AtomicUsize,
}

impl Postgres {
    pub fn connect(url: &str) -> Result<Postgres> {
        let mut client = connect(url)?;
        off_runtime(|| migrate(&mut client))?;
        let mut clients: Vec<_> = (0..POOL).map(|_| Mutex::new(None)).collect();
        clients[0] = Mutex::new(Some(client));
        Ok(Postgres { url: url.to_owned(), clients, next: AtomicUsize::new(0) })
    }

    /// The first free slot, else (every one busy) a turn at one of them.
    fn slot(&self) -> MutexGuard<'_, Option<postgres::Client>> {
        for slot in &self.clients {
            match slot.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.clients.len();
        self.clients[turn].lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` in one transaction. A connection the server closed (a restart, a failover)
    /// is opened again first, so one lost connection is not every later call's error.
    pub fn transaction<R: Send>(&self, f: impl FnOnce(&mut dyn Tx) -> Result<R> + Send) -> Result<R> {
        let mut guard = self.slot();
        if guard.as_ref().is_none_or(|c| c.is_closed()) {
            let old = guard.take();
            off_runtime(move || drop(old));
            *guard = Some(connect(&self.url)?);
        }
        let client = guard.as_mut().context("no connection to the state database")?;
        off_runtime(move || {
            let mut tx = client.transaction()?;
            let out = f(&mut PgTx(&mut tx))?;
            tx.commit()?;
            Ok(out)
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn schema_version(&self) -> Result<usize> {
        self.transaction(|tx| {
            Ok(tx.query_one("SELECT max(version) FROM woonox_schema", &[])?.map_or(Ok(0), |r| r.int(0))? as usize)
        })
    }
}

/// The client's drop talks to the server through its own runtime, so it too must happen
/// off tokio's.
impl Drop for Postgres {
    fn drop(&mut self) {
        let clients: Vec<_> = self
            .clients
            .iter_mut()
            .map(|c| c.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).take())
            .collect();
        off_runtime(move || drop(clients));
    }
}

/// A process that stalls inside a transaction (SIGSTOP, a pause) would keep its row locks,
/// the lease row's among them, and hold up the process taking its lease over. Every
/// transaction on these connections is a few statements with no wait in between, so the
/// server ends one left idle this long, and its locks with it.
const IDLE_IN_TRANSACTION: &str = "SET idle_in_transaction_session_timeout = '2s'";

fn connect(url: &str) -> Result<postgres::Client> {
    let config = postgres::Config::from(parse(url)?);
    let mut client = off_runtime(|| config.connect(tls()))
        .with_context(|| format!("cannot reach the state database {}", shown(url)))?;
    off_runtime(|| client.batch_execute(IDLE_IN_TRANSACTION))?;
    Ok(client)
}

/// A connection of its own, for a transaction that waits on the network (a Fortnox
/// refresh) and must not hold up the process's other state calls meanwhile.
pub async fn dedicated(url: &str) -> Result<tokio_postgres::Client> {
    let (client, connection) =
        parse(url)?.connect(tls()).await.with_context(|| format!("cannot reach the state database {}", shown(url)))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!("the state database connection ended: {e}");
        }
    });
    Ok(client)
}

/// Each connection names its process (`woonox:<pid>` in `pg_stat_activity`), unless the URL
/// names one, so an operator can tell which process holds a lock.
fn parse(url: &str) -> Result<tokio_postgres::Config> {
    let mut config: tokio_postgres::Config =
        url.parse().context("the state URL is not a PostgreSQL URL (postgres://user@host/database)")?;
    if config.get_application_name().is_none() {
        config.application_name(format!("woonox:{}", std::process::id()));
    }
    Ok(config)
}

fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    tokio_postgres_rustls::MakeRustlsConnect::new((*crate::wire::tls::platform()).clone())
}

/// The database's address without its password, for messages.
fn shown(url: &str) -> String {
    let Ok(config) = parse(url) else { return "(an address it cannot read)".into() };
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!("{}@{}:{}/{}", config.get_user().unwrap_or("?"), hosts.join(","), port, config.get_dbname().unwrap_or("?"))
}

fn migrate(client: &mut postgres::Client) -> Result<()> {
    let mut tx = client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS woonox_schema (version BIGINT NOT NULL)")?;
    let current: Option<i64> = tx.query_one("SELECT max(version) FROM woonox_schema", &[])?.get(0);
    let current = current.unwrap_or(0) as usize;
    let migrations = migrations(Dialect::Postgres);
    super::refuse_newer(current, migrations.len())?;
    for (i, sql) in migrations.iter().enumerate().skip(current) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO woonox_schema (version) VALUES ($1)", &[&((i + 1) as i64)])?;
    }
    tx.commit()?;
    Ok(())
}

/// The synchronous client runs its own small runtime, which cannot start inside tokio's; a
/// call made from async code therefore runs on a scoped thread of its own.
fn off_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|s| s.spawn(f).join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

impl ToSql for Val {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(IsNull::Yes),
            Val::Int(v) => match *ty {
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::BOOL => (*v != 0).to_sql(ty, out),
                Type::FLOAT8 => (*v as f64).to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Val::Real(v) => v.to_sql(ty, out),
            Val::Text(v) => v.as_str().to_sql(ty, out),
            Val::Bytes(v) => v.as_slice().to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

fn column(row: &postgres::Row, i: usize) -> Result<Val> {
    let ty = row.columns()[i].type_().clone();
    let val = match ty {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map(Val::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map(|v| Val::Int(v as i64)),
        Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map(|v| Val::Int(v as i64)),
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map(|v| Val::Int(v as i64)),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map(Val::Real),
        Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i)?.map(Val::Bytes),
        Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR => row.try_get::<_, Option<String>>(i)?.map(Val::Text),
        other => bail!("the state's answer has a column of type {other}, which woonox does not read (cast it)"),
    };
    Ok(val.unwrap_or(Val::Null))
}

impl Tx for PgTx<'_, '_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        Ok(self.0.execute(numbered_for_postgres(sql).as_str(), &params)?)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let rows = self.0.query(numbered_for_postgres(sql).as_str(), &params)?;
        rows.iter().map(|r| (0..r.len()).map(|i| column(r, i)).collect::<Result<Vec<_>>>().map(Row)).collect()
    }
}
