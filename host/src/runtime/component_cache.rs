//! Compiling the component takes seconds; the compiled form is kept on disk, keyed by the
//! component's bytes and the engine's compatibility hash, so later runs load it at once.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::Component;

pub fn load(engine: &Engine, bytes: &[u8], dir: &Path) -> Result<Component> {
    let path = dir.join(format!("{}.cwasm", key(engine, bytes)));
    if path.exists() {
        // SAFETY: the file is one this function wrote into woonox's own data directory,
        // under a name that commits to the exact component bytes and engine settings.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(_) => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let component = Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .context("the plugin is not a valid WebAssembly component")?;
    if let Err(e) = store(&component, dir, &path) {
        tracing::warn!("could not cache the compiled component in {}: {e:#}", dir.display());
    }
    Ok(component)
}

fn key(engine: &Engine, bytes: &[u8]) -> String {
    let mut engine_hash = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut engine_hash);
    let digest = Sha256::new().chain_update(bytes).chain_update(engine_hash.finish().to_le_bytes()).finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Writes to a temporary name first so a concurrent reader never sees half a file.
fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    // The data directory will also hold secrets: only its owner may enter it.
    crate::state::permissions::create_dir(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, component.serialize()?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
