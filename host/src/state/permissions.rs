//! Who may change what woonox trusts. Whoever can write `woonox.toml` decides where tokens
//! are sent, and whoever can write `cache/` can plant compiled code that woonox loads as
//! native code; so woonox refuses to run on a data directory, cache, secrets folder, state
//! file or config file that another user owns or that group or others can write, and says
//! the command that fixes it.

use crate::connections::connection::Paths;
use anyhow::{Result, bail};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The places woonox trusts, checked before a command touches any of them.
pub fn check(paths: &Paths) -> Result<()> {
    let me = effective_uid();
    for path in trusted(paths) {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if let Some(problem) = problem(&path, meta.uid(), meta.mode(), me, meta.is_dir()) {
            bail!("{problem}");
        }
    }
    tighten(&paths.data_dir);
    Ok(())
}

/// What to say about one path, or `None` when it is safe. Root's files are trusted: root
/// can change anything anyway.
fn problem(path: &Path, owner: u32, mode: u32, me: u32, dir: bool) -> Option<String> {
    let shown = path.display();
    if owner != me && owner != 0 {
        return Some(format!(
            "{shown} belongs to another user (uid {owner}; you are {me}), who could then decide where woonox \
             sends your tokens. Fix: `sudo chown -R {me} {shown}`, or give woonox a data directory of your \
             own with --data-dir."
        ));
    }
    if mode & 0o022 != 0 {
        let fix = if dir { format!("chmod 700 {shown}") } else { format!("chmod 600 {shown}") };
        return Some(format!(
            "{shown} can be written by other users (mode {:o}), who could then decide where woonox sends your \
             tokens or plant code it runs. Fix: `{fix}`.",
            mode & 0o7777
        ));
    }
    None
}

/// The data directory and what in it decides where secrets go or what code runs; the
/// config file and its folder when `--config` puts them elsewhere.
fn trusted(paths: &Paths) -> Vec<PathBuf> {
    let data = &paths.data_dir;
    let config = paths.config_file();
    let mut list = vec![data.clone(), paths.cache_dir(), data.join("secrets"), paths.state_file()];
    if let Some(folder) = config.parent().filter(|f| !f.as_os_str().is_empty() && *f != data.as_path()) {
        list.push(folder.to_path_buf());
    }
    list.push(config);
    if let Ok(entries) = std::fs::read_dir(data.join("secrets")) {
        list.extend(entries.flatten().map(|e| e.path()));
    }
    if let Ok(entries) = std::fs::read_dir(paths.cache_dir()) {
        list.extend(entries.flatten().map(|e| e.path()));
    }
    list
}

/// A data directory that others may read (0755, as an older woonox or `mkdir` left it)
/// becomes owner-only: it names customers and orders. Only a folder that is woonox's own,
/// so `--data-dir .` never locks the user out of a folder that holds other things.
fn tighten(data: &Path) {
    let Ok(meta) = std::fs::metadata(data) else { return };
    let ours = ["woonox.toml", "state.sqlite", "secrets", "cache"].iter().any(|f| data.join(f).exists());
    if ours && meta.uid() == effective_uid() && meta.mode() & 0o077 != 0 {
        let _ = std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700));
    }
}

/// Creates a directory of woonox's (and any missing parent) owner-only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::os::unix::fs::DirBuilderExt::mode(std::fs::DirBuilder::new().recursive(true), 0o700).create(dir)
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_owners_and_writable_modes_are_refused_with_the_fix() {
        let p = Path::new("/d");
        assert!(problem(p, 1000, 0o40700, 1000, true).is_none());
        assert!(problem(p, 0, 0o40755, 1000, true).is_none(), "root's folders are trusted");
        assert!(problem(p, 1001, 0o40700, 1000, true).unwrap().contains("chown -R 1000 /d"));
        assert!(problem(p, 1000, 0o40777, 1000, true).unwrap().contains("chmod 700 /d"));
        assert!(problem(p, 1000, 0o100620, 1000, false).unwrap().contains("chmod 600 /d"));
        assert!(problem(p, 1000, 0o100644, 1000, false).is_none(), "readable is not writable");
    }
}
