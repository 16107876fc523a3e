//! Shared by the binary's end-to-end tests: run `woonox`, and connect it to the stand-ins
//! the way a user does.

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
    woonox(
        data,
        &[
            "connect",
            "woocommerce",
            "--url",
            &sim.woo_url,
            "--consumer-key",
            WOO_CONSUMER_KEY,
            "--consumer-secret",
            secret,
        ],
    )
}

/// `woonox connect fortnox`, with the stand-in's consent page standing in for the browser.
/// Answers the consent address woonox printed.
pub fn connect_fortnox(data: &Path, sim: &Sim) -> String {
    let mut connect = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(data)
        .args(["connect", "fortnox", "--client-id", FORTNOX_CLIENT_ID, "--redirect-port", "0"])
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
