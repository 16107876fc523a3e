//! Files that hold secrets: owner-only (0600) from the moment they exist, replaced
//! atomically so a crash leaves either the old or the new content, never half of one.

use anyhow::{Context, Result};
use serde::{Serialize, de::DeserializeOwned};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

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
