//! Shared by the binary's end-to-end tests: run `woonox`, and connect it to the stand-ins
//! the way a user does.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

pub mod serve;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, WOO_CONSUMER_KEY};

pub fn woonox(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_woonox")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

pub fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("woonox-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

pub fn connect_woocommerce(data: &Path, sim: &Sim, secret: &str) -> Output {
    connect_woocommerce_with(data, sim, secret, &[])
}

/// `connect woocommerce` with more arguments, e.g. `--webhook-url`.
pub fn connect_woocommerce_with(data: &Path, sim: &Sim, secret: &str, more: &[&str]) -> Output {
    let mut args = vec![
        "connect",
        "woocommerce",
        "--url",
        &sim.woo_url,
        "--consumer-key",
        WOO_CONSUMER_KEY,
        "--consumer-secret",
        secret,
    ];
    args.extend_from_slice(more);
    woonox(data, &args)
}

/// `woonox connect fortnox`, with the stand-in's consent page standing in for the browser.
/// Answers the consent address woonox printed.
pub fn connect_fortnox(data: &Path, sim: &Sim) -> String {
    connect_fortnox_as(data, sim, "default")
}

/// `connect_fortnox` for the connection `name`.
pub fn connect_fortnox_as(data: &Path, sim: &Sim, name: &str) -> String {
    let mut connect = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(data)
        .args(["connect", "fortnox", "--connection", name, "--client-id", FORTNOX_CLIENT_ID, "--redirect-port", "0"])
        .args(["--fortnox-api", &sim.fortnox_url, "--fortnox-auth", &sim.fortnox_url])
        .env("WOONOX_FORTNOX_CLIENT_SECRET", FORTNOX_CLIENT_SECRET)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep reading woonox's standard error to the end: closing the pipe early would make
    // its next message fail.
    let stderr = connect.stderr.take().unwrap();
    let (found, url) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.trim().starts_with("http") {
                let _ = found.send(line.trim().to_owned());
            }
        }
    });
    let consent_url = url.recv().unwrap();
    let page = ureq::get(&consent_url)
        .call()
        .unwrap_or_else(|e| panic!("{consent_url}: {e}"))
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(page.contains("connected to Fortnox"), "{page}");
    assert!(connect.wait().unwrap().success());
    consent_url
}

/// A stand-in pair with `articles` seeded articles (and orders over them), on its own runtime.
pub fn started(articles: usize) -> (tokio::runtime::Runtime, Sim) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(woonox_sim::SimConfig { articles, ..Default::default() })).unwrap();
    (rt, sim)
}

/// A data directory connected to both stand-ins.
pub fn connected(name: &str, sim: &Sim) -> PathBuf {
    let data = data_dir(name);
    assert_eq!(connect_woocommerce(&data, sim, woonox_sim::WOO_CONSUMER_SECRET).status.code(), Some(0));
    connect_fortnox(&data, sim);
    data
}

/// Runs a `--json` sync that must succeed; answers its report (the last flow's line).
pub fn sync_json(data: &Path, args: &[&str]) -> serde_json::Value {
    let out = woonox(data, args);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap()
}

/// A `sync … --json` that may fail items: (exit code, the last report).
pub fn sync_report(data: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let out = woonox(data, args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report = serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or(serde_json::Value::Null);
    (out.status.code(), report)
}

/// Write calls (anything but GET) the stand-ins served since the log was cleared.
pub fn writes(sim: &Sim) -> usize {
    sim.log.entries().iter().filter(|e| e.is_write()).count()
}

/// A Fortnox or WooCommerce amount, sent as a number or a string.
pub fn money(v: &serde_json::Value) -> f64 {
    v.as_f64().or_else(|| v.as_str()?.parse().ok()).unwrap()
}
