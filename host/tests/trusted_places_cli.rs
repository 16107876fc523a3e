//! What woonox trusts before it sends a secret anywhere (issue 13, points 3 to 5), through
//! the binary: a data directory, cache or config that others can write is refused with the
//! fix; a connection name from a hand-written config cannot leave the data directory; a
//! store at a link-local, metadata or private address gets no request; Fortnox addresses
//! must be HTTPS beyond loopback and are saved only once a call through them worked.

mod common;

use common::{connect_woocommerce, connect_woocommerce_with, data_dir, woonox};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

fn sim(rt: &tokio::runtime::Runtime) -> Sim {
    rt.block_on(Sim::start(SimConfig { articles: 10, ..SimConfig::default() })).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `connect fortnox` with a service account (no browser), at the given addresses.
fn connect_fortnox_at(data: &Path, sim: &Sim, api: &str, auth: &str) -> std::process::Output {
    let tenant = sim.fortnox.lock().unwrap().tenant_id.clone();
    std::process::Command::new(env!("CARGO_BIN_EXE_woonox"))
        .arg("--data-dir")
        .arg(data)
        .args(["connect", "fortnox", "--client-id", FORTNOX_CLIENT_ID, "--service-account", &tenant])
        .args(["--fortnox-api", api, "--fortnox-auth", auth])
        .env("WOONOX_FORTNOX_CLIENT_SECRET", FORTNOX_CLIENT_SECRET)
        .output()
        .unwrap()
}

#[test]
fn places_others_can_write_are_refused_with_the_fix() {
    let rt = runtime();
    let sim = sim(&rt);
    let data = data_dir("trust-perms");
    assert_eq!(connect_woocommerce(&data, &sim, WOO_CONSUMER_SECRET).status.code(), Some(0));
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700, "created owner-only");

    chmod(&data, 0o777);
    let out = woonox(&data, &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("chmod 700 {}", data.display())), "{}", stderr(&out));
    chmod(&data, 0o700);

    let cache = data.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    chmod(&cache, 0o777);
    let out = woonox(&data, &["check"]);
    assert!(stderr(&out).contains(&format!("chmod 700 {}", cache.display())), "{}", stderr(&out));
    chmod(&cache, 0o700);

    let config = data.join("woonox.toml");
    chmod(&config, 0o666);
    let out = woonox(&data, &["check"]);
    assert!(stderr(&out).contains(&format!("chmod 600 {}", config.display())), "{}", stderr(&out));
    chmod(&config, 0o644);

    // A compiled component planted by another user is never loaded.
    let planted = cache.join("0123456789abcdef0123456789abcdef.cwasm");
    std::fs::write(&planted, b"not code").unwrap();
    if std::os::unix::fs::chown(&planted, Some(4242), None).is_ok() {
        let out = woonox(&data, &["check"]);
        assert!(stderr(&out).contains("belongs to another user (uid 4242"), "{}", stderr(&out));
    } else {
        eprintln!("not root: the foreign-owner case is covered by the unit test only");
    }
    std::fs::remove_file(&planted).unwrap();
    let out = woonox(&data, &["check"]);
    assert!(stderr(&out).contains("Fortnox is not connected"), "safe again: {}", stderr(&out));
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn an_existing_data_directory_others_can_read_is_made_owner_only() {
    let data = data_dir("trust-tighten");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("woonox.toml"), "").unwrap();
    chmod(&data, 0o755);
    woonox(&data, &["check"]);
    assert_eq!(std::fs::metadata(&data).unwrap().permissions().mode() & 0o777, 0o700);
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn a_hand_written_connection_name_cannot_leave_the_data_directory() {
    let data = data_dir("trust-names");
    std::fs::create_dir_all(&data).unwrap();
    let name = "../../outside/x";
    std::fs::write(data.join("woonox.toml"), format!("[connections.\"{name}\"]\nstore-url = \"http://127.0.0.1:9\"\n"))
        .unwrap();
    for command in [&["check", "--connection", name][..], &["sync", "stock", "--connection", name]] {
        let out = woonox(&data, command);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("a connection name is 1 to 40 letters"), "{}", stderr(&out));
    }
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn a_store_at_a_metadata_or_private_address_gets_no_request() {
    let data = data_dir("trust-dest");
    for (url, says) in [
        ("http://169.254.169.254", "link-local"),
        ("http://[fd00:ec2::254]", "metadata"),
        ("http://10.0.0.1", "--private-network"),
        ("http://192.168.1.20:8080", "--private-network"),
    ] {
        let out = woonox(
            &data,
            &["connect", "woocommerce", "--url", url, "--consumer-key", WOO_CONSUMER_KEY, "--consumer-secret", "cs_x"],
        );
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{url}: {}", stderr(&out));
        assert!(!data.join("secrets/default/woocommerce.json").exists(), "{url}: keys stored");
    }
    let _ = std::fs::remove_dir_all(data);
}

/// The check is at every call, not only at `connect`: a config edited (or a name pointed)
/// at a metadata address afterwards sends nothing there either.
#[test]
fn a_store_url_changed_after_connect_is_checked_at_each_call() {
    let rt = runtime();
    let sim = sim(&rt);
    let data = data_dir("trust-edited");
    assert_eq!(connect_woocommerce(&data, &sim, WOO_CONSUMER_SECRET).status.code(), Some(0));
    let fortnox = connect_fortnox_at(&data, &sim, &sim.fortnox_url, &sim.fortnox_url);
    assert_eq!(fortnox.status.code(), Some(0), "{}", stderr(&fortnox));
    let config = data.join("woonox.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(&sim.woo_url, "http://169.254.169.254:9");
    std::fs::write(&config, text).unwrap();
    let out = woonox(&data, &["sync", "stock"]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("169.254.169.254") && said.contains("sends nothing there"), "{said}");
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn a_private_store_is_allowed_only_with_the_opt_in() {
    let rt = runtime();
    let sim = sim(&rt);
    let data = data_dir("trust-private");
    // Loopback stays allowed (a store on this machine), with or without the opt-in, and
    // the opt-in is kept in the config for later runs.
    assert_eq!(
        connect_woocommerce_with(&data, &sim, WOO_CONSUMER_SECRET, &["--private-network"]).status.code(),
        Some(0)
    );
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(config.contains("private-network = true"), "{config}");
    assert_eq!(connect_woocommerce(&data, &sim, WOO_CONSUMER_SECRET).status.code(), Some(0));
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(!config.contains("private-network"), "a connect without the flag drops it: {config}");
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn fortnox_addresses_must_be_https_and_are_saved_only_once_proved() {
    let rt = runtime();
    let sim = sim(&rt);
    let data = data_dir("trust-fortnox");

    let out = connect_fortnox_at(&data, &sim, "http://api.fortnox.example", &sim.fortnox_url);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("must be an https:// address"), "{}", stderr(&out));

    // The login works, the API address is wrong: nothing is saved.
    let wrong_api = format!("{}/not-the-api", sim.fortnox_url);
    let out = connect_fortnox_at(&data, &sim, &wrong_api, &sim.fortnox_url);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("refused the new token, so nothing was saved"), "{}", stderr(&out));
    assert!(!data.join("secrets/default/fortnox-tokens.json").exists());
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap_or_default();
    assert!(!config.contains("not-the-api"), "{config}");

    let out = connect_fortnox_at(&data, &sim, &sim.fortnox_url, &sim.fortnox_url);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(config.contains(&format!("fortnox-api = \"{}\"", sim.fortnox_url)), "{config}");
    let _ = std::fs::remove_dir_all(data);
}
