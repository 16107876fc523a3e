//! Builds the guest crate for wasm32-wasip2 so `cargo build`, `cargo run` and
//! `cargo test` on a fresh clone need no extra step. The nested build has its own
//! target directory, so it never waits on the outer build's lock. It also builds the
//! misbehaving test plugin, whose path only the host's tests use; the binary embeds the
//! guest alone.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace").to_path_buf();
    for watched in ["guest/src", "guest/Cargo.toml", "tests/plugins/misbehaving", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    ensure_wasm_target();
    let target_root = env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace.join("target"));
    // The mapper component and the test plugin, then the connector component: the same
    // crate with another feature, so it gets a target directory of its own.
    let mapper_dir = target_root.join("guest-build");
    build(&workspace, &mapper_dir, &["--package", "woonox-guest", "--package", "woonox-misbehaving-plugin"]);
    let connector_dir = target_root.join("guest-build-connector");
    build(&workspace, &connector_dir, &["--package", "woonox-guest", "--features", "woonox-guest/connector"]);
    for (var, dir, file) in [
        ("WOONOX_GUEST_WASM", &mapper_dir, "woonox_guest"),
        ("WOONOX_TEST_PLUGIN_WASM", &mapper_dir, "woonox_misbehaving_plugin"),
        ("WOONOX_CONNECTOR_WASM", &connector_dir, "woonox_guest"),
    ] {
        let wasm = dir.join(format!("wasm32-wasip2/guest/{file}.wasm"));
        assert!(wasm.exists(), "the guest build did not produce {}", wasm.display());
        println!("cargo:rustc-env={var}={}", wasm.display());
    }
}

/// rustup adds `rust-toolchain.toml`'s targets only when it installs the toolchain, never
/// to one already there, so a fresh clone on a machine with Rust 1.95 would fail minutes
/// later with "can't find crate for `core`". Add the target now, or stop at once saying how.
fn ensure_wasm_target() {
    const TARGET: &str = "wasm32-wasip2";
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc).args(["--print", "sysroot"]).output().ok().filter(|o| o.status.success());
    let Some(sysroot) = sysroot.map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())) else { return };
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Some(toolchain) = env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    println!("cargo:warning=adding the {TARGET} target to this toolchain (rustup target add {TARGET})");
    let added = rustup.status().map(|s| s.success()).unwrap_or(false);
    assert!(added, "the {TARGET} target is missing and rustup could not add it; run: rustup target add {TARGET}");
}

fn build(workspace: &Path, target_dir: &Path, packages: &[&str]) {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace)
        .arg("build")
        .args(packages)
        .args(["--target", "wasm32-wasip2", "--profile", "guest"])
        .arg("--target-dir")
        .arg(target_dir)
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
}
