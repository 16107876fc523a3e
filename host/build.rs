//! Builds the guest crate for wasm32-wasip2 so `cargo build`, `cargo run` and
//! `cargo test` on a fresh clone need no extra step. The nested build has its own
//! target directory, so it never waits on the outer build's lock. It also builds the
//! misbehaving test plugin, whose path only the host's tests use; the binary embeds the
//! guest alone.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace").to_path_buf();
    for watched in ["guest/src", "guest/Cargo.toml", "tests/plugins/misbehaving", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("guest-build");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&workspace)
        .args(["build", "--package", "woonox-guest", "--package", "woonox-misbehaving-plugin"])
        .args(["--target", "wasm32-wasip2", "--profile", "guest"])
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's flags (coverage, sanitizers, target-cpu) are for the host.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_MAKEFLAGS")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("could not run cargo to build the guest component");
    assert!(
        status.success(),
        "building the guest component failed; is the wasm32-wasip2 target installed? (rustup target add wasm32-wasip2)"
    );
    for (var, file) in [("WOONOX_GUEST_WASM", "woonox_guest"), ("WOONOX_TEST_PLUGIN_WASM", "woonox_misbehaving_plugin")]
    {
        let wasm = target_dir.join(format!("wasm32-wasip2/guest/{file}.wasm"));
        assert!(wasm.exists(), "the guest build did not produce {}", wasm.display());
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
}
