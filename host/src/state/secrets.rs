//! Where a connection's secrets live (the WooCommerce keys, the webhook secret, the Fortnox
//! app and tokens). With the embedded state: files under `secrets/<connection>/`, owner-only
//! (0600) from the moment they exist and replaced atomically, so a crash leaves the old or
//! the new content, never half of one. With a shared PostgreSQL state: rows of the state,
//! sealed (sealed.rs), so every host reads the same tokens.

use crate::connections::config::Config;
use crate::connections::connection::Paths;
use crate::state::sealed::SecretKey;
use crate::state::sql::numbered_for_postgres;
use crate::state::store::Store;
use crate::vals;
use anyhow::{Context, Result};
use serde::{Serialize, de::DeserializeOwned};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const WOO_KEYS: &str = "woocommerce";
/// The secret WooCommerce signs webhook deliveries with.
pub const WEBHOOK: &str = "webhook";
pub const FORTNOX_APP: &str = "fortnox-app";
pub const FORTNOX_TOKENS: &str = "fortnox-tokens";

/// The statements both the plain and the locked paths run (`?N`, as the SQL layer writes).
const SELECT: &str = "SELECT sealed FROM secrets WHERE connection = ?1 AND name = ?2";
const UPSERT: &str = "INSERT INTO secrets (connection, name, sealed) VALUES (?1, ?2, ?3)
     ON CONFLICT (connection, name) DO UPDATE SET sealed = excluded.sealed";

pub enum Secrets {
    Files { dir: PathBuf },
    Shared { store: Arc<Store>, key: SecretKey },
}

impl Secrets {
    /// Files beside an embedded state; sealed rows in a shared one, with the key from
    /// `WOONOX_SECRET_KEY`, `WOONOX_SECRET_KEY_FILE` or `[state] key-file`.
    pub fn new(paths: &Paths, state: &Arc<Store>) -> Result<Secrets> {
        if !state.is_shared() {
            return Ok(Secrets::Files { dir: paths.data_dir.join("secrets") });
        }
        let key_file = match std::env::var_os("WOONOX_SECRET_KEY_FILE") {
            Some(file) => Some(PathBuf::from(file)),
            None => Config::load(&paths.config_file())?.state.key_file,
        };
        Ok(Secrets::Shared { store: state.clone(), key: SecretKey::load(key_file.as_deref())? })
    }

    /// The secrets of this invocation's state (see [`Store::for_paths`]).
    pub fn for_paths(paths: &Paths) -> Result<Secrets> {
        Secrets::new(paths, &Arc::new(Store::for_paths(paths)?))
    }

    /// Where a connection's secrets are, in words for the user.
    pub fn describe(&self, connection: &str) -> String {
        match self {
            Secrets::Files { dir } => format!("{}", dir.join(connection).display()),
            Secrets::Shared { .. } => "the shared state, encrypted with the secret key".to_owned(),
        }
    }

    pub fn read<T: DeserializeOwned>(&self, connection: &str, name: &str) -> Result<Option<T>> {
        match self {
            Secrets::Files { dir } => read_json(&file(dir, connection, name)),
            Secrets::Shared { store, key } => {
                let sealed = store.transaction(|tx| {
                    let row = tx.query_one(SELECT, vals![connection, name])?;
                    row.map(|r| r.bytes(0)).transpose()
                })?;
                sealed.map(|sealed| parse(&key.open(&bound(connection, name), &sealed)?, connection, name)).transpose()
            }
        }
    }

    pub fn write<T: Serialize>(&self, connection: &str, name: &str, value: &T) -> Result<()> {
        match self {
            Secrets::Files { dir } => write_json(&file(dir, connection, name), value),
            Secrets::Shared { store, key } => {
                let sealed = key.seal(&bound(connection, name), &serde_json::to_vec(value)?)?;
                store.transaction(|tx| tx.execute(UPSERT, vals![connection, name, sealed.as_slice()]))?;
                Ok(())
            }
        }
    }

    /// Runs `f` on the secret with every other process and host kept out until what `f`
    /// returns to keep is durable: how a single-use refresh token is spent once.
    pub async fn locked<T: Serialize + DeserializeOwned, R>(
        &self,
        connection: &str,
        name: &str,
        f: impl AsyncFnOnce(Option<T>) -> Result<(Option<T>, R)>,
    ) -> Result<R> {
        match self {
            Secrets::Files { dir } => {
                let path = file(dir, connection, name);
                let _lock = lock_file(&path).await?;
                let (keep, out) = f(read_json(&path)?).await?;
                if let Some(keep) = keep {
                    write_json(&path, &keep)?;
                }
                Ok(out)
            }
            Secrets::Shared { store, key } => {
                let url = store.shared_url().context("a shared state without an address")?;
                let mut client = super::postgres::dedicated(url).await?;
                let tx = client.transaction().await?;
                let bound = bound(connection, name);
                tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&bound]).await?;
                let row = tx.query_opt(&numbered_for_postgres(SELECT), &[&connection, &name]).await?;
                let kept =
                    row.map(|r| parse(&key.open(&bound, &r.get::<_, Vec<u8>>(0))?, connection, name)).transpose()?;
                let (keep, out) = f(kept).await?;
                if let Some(keep) = keep {
                    let sealed = key.seal(&bound, &serde_json::to_vec(&keep)?)?;
                    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&connection, &name, &sealed];
                    tx.execute(&numbered_for_postgres(UPSERT), &params).await?;
                }
                tx.commit().await?;
                Ok(out)
            }
        }
    }
}

fn file(dir: &Path, connection: &str, name: &str) -> PathBuf {
    dir.join(connection).join(format!("{name}.json"))
}

fn bound(connection: &str, name: &str) -> String {
    format!("{connection}/{name}")
}

fn parse<T: DeserializeOwned>(bytes: &[u8], connection: &str, name: &str) -> Result<T> {
    serde_json::from_slice(bytes).with_context(|| format!("the secret {connection}/{name} is damaged"))
}

/// An exclusive advisory lock on `<secret file>.lock`, held until the guard is dropped.
async fn lock_file(secret: &Path) -> Result<std::fs::File> {
    let path = secret.with_extension("lock");
    let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        if let Some(dir) = path.parent() {
            crate::state::permissions::create_dir(dir)?;
        }
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await?;
    file.context("cannot lock the secret's file")
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let dir = path.parent().context("a secrets file needs a directory")?;
    crate::state::permissions::create_dir(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    file.write_all(&serde_json::to_vec_pretty(value)?)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// `None` when the file does not exist yet.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("{} is damaged", path.display()))?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn written_owner_only_and_read_back() {
        let path = std::env::temp_dir().join(format!("woonox-secrets-{}", std::process::id())).join("t.json");
        write_json(&path, &serde_json::json!({"refresh_token": "r1"})).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        let back: serde_json::Value = read_json(&path).unwrap().unwrap();
        assert_eq!(back["refresh_token"], "r1");
        assert!(read_json::<serde_json::Value>(&path.with_file_name("missing.json")).unwrap().is_none());
    }
}
