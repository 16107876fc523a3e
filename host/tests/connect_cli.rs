//! A new user's first steps with the real binary against the stand-ins: connect the
//! store (a wrong secret is refused and nothing stored), connect Fortnox through the
//! consent redirect, then `check` reads both sides.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

fn woonox(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_woonox")).arg("--data-dir").arg(data).args(args).output().unwrap()
}

fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("woonox-connect-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn connect_both_services_then_check() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 120, ..SimConfig::default() })).unwrap();
    let data = data_dir();

    let out = woonox(&data, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("woonox connect woocommerce"));

    let woo = |secret: &str| {
        woonox(
            &data,
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
    };
    let out = woo("cs_wrong");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Check the consumer key and secret"));
    assert!(!data.join("secrets/default/woocommerce.json").exists(), "refused keys were stored");
    assert_eq!(woo(WOO_CONSUMER_SECRET).status.code(), Some(0));

    let mut connect = Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(&data)
        .args(["connect", "fortnox", "--client-id", FORTNOX_CLIENT_ID, "--redirect-port", "0"])
        .args(["--fortnox-api", &sim.fortnox_url, "--fortnox-auth", &sim.fortnox_url])
        .env("WOONOX_FORTNOX_CLIENT_SECRET", FORTNOX_CLIENT_SECRET)
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let consent_url = BufReader::new(connect.stderr.take().unwrap())
        .lines()
        .map(Result::unwrap)
        .find_map(|l| l.trim().starts_with("http").then(|| l.trim().to_owned()))
        .unwrap();
    assert!(consent_url.contains("access_type=offline") && consent_url.contains("state="), "{consent_url}");
    // The "browser": the stand-in approves and redirects back to woonox's loopback listener.
    let page = ureq::get(&consent_url).call().unwrap().body_mut().read_to_string().unwrap();
    assert!(page.contains("connected to Fortnox"), "{page}");
    assert!(connect.wait().unwrap().success());

    let out = woonox(&data, &["check", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["fortnox_articles"], 120);
    assert_eq!(report["woocommerce_products"], 60);
    // Secrets are owner-only; the connections file holds none.
    use std::os::unix::fs::PermissionsExt;
    for file in ["woocommerce.json", "fortnox-app.json", "fortnox-tokens.json"] {
        let mode = std::fs::metadata(data.join("secrets/default").join(file)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(!config.contains(WOO_CONSUMER_SECRET) && !config.contains(FORTNOX_CLIENT_SECRET));
}
