//! A store on HTTPS with a private CA or a self-signed certificate, through the binary:
//! `connect` refuses an unknown certificate in plain words and shows its fingerprint;
//! `--ca-cert`, `--pin-sha256` and `SSL_CERT_FILE` let the store in, and the component's
//! own calls then go through with the same trust. The certificates are made here.

mod common;

use common::{connect_fortnox, data_dir};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use woonox_sim::tls::TlsIdentity;
use woonox_sim::{Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

/// A server certificate and what a user would hold to trust it.
struct Pki {
    /// The CA's certificate (for a self-signed one: the certificate itself).
    ca_pem: String,
    server: TlsIdentity,
    /// The server certificate's SHA-256, as openssl prints it.
    fingerprint: String,
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// A private CA and a server certificate it signed for `names`.
fn ca_signed(names: &[&str], expired: bool) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "woonox test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, names[0]);
    if expired {
        (leaf.not_before, leaf.not_after) = (rcgen::date_time_ymd(2020, 1, 1), rcgen::date_time_ymd(2021, 1, 1));
    }
    let cert = leaf.signed_by(&key, &Issuer::new(ca, &ca_key)).unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        fingerprint: fingerprint(cert.der()),
        server: TlsIdentity { cert_pem: cert.pem(), key_pem: key.serialize_pem() },
    }
}

/// What `openssl req -x509 -newkey … -subj /CN=127.0.0.1` makes: self-signed and marked
/// as a CA (`CA:TRUE`), which certificate checks refuse as a server's own.
fn openssl_style_self_signed() -> Pki {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    let cert = params.self_signed(&key).unwrap();
    Pki {
        ca_pem: cert.pem(),
        fingerprint: fingerprint(cert.der()),
        server: TlsIdentity { cert_pem: cert.pem(), key_pem: key.serialize_pem() },
    }
}

fn start(pki: &Pki) -> (tokio::runtime::Runtime, Sim) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let config = SimConfig { articles: 20, woo_tls: Some(pki.server.clone()), ..SimConfig::default() };
    let sim = rt.block_on(Sim::start(config)).unwrap();
    assert!(sim.woo_url.starts_with("https://127.0.0.1:"), "{}", sim.woo_url);
    (rt, sim)
}

/// The CA (or self-signed) certificate as a file the user was handed.
fn ca_file(data: &Path, pki: &Pki) -> PathBuf {
    std::fs::create_dir_all(data).unwrap();
    let path = data.join("store-ca.pem");
    std::fs::write(&path, &pki.ca_pem).unwrap();
    path
}

/// `woonox connect woocommerce` against the stand-in, with `more` arguments and `env`.
fn connect(data: &Path, sim: &Sim, more: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_woonox"));
    command.arg("--data-dir").arg(data).args(["connect", "woocommerce", "--url", &sim.woo_url]);
    command.args(["--consumer-key", WOO_CONSUMER_KEY, "--consumer-secret", WOO_CONSUMER_SECRET]).args(more);
    // The outcome must not depend on the machine's own settings.
    command.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Refused with exit 2, nothing stored, and never a raw rustls error alone.
fn refused(data: &Path, out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(!data.join("secrets/default/woocommerce.json").exists(), "refused keys were stored");
    assert!(!stderr.contains("InvalidCertificate("), "a raw rustls error: {stderr}");
    stderr
}

#[test]
fn an_unknown_issuer_is_refused_in_plain_words_with_the_fingerprint() {
    let pki = ca_signed(&["127.0.0.1", "localhost"], false);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-unknown");
    let stderr = refused(&data, &connect(&data, &sim, &[], &[]));
    assert!(stderr.contains("not signed by an authority this computer trusts"), "{stderr}");
    assert!(stderr.contains("--ca-cert") && stderr.contains("--pin-sha256"), "{stderr}");
    assert!(stderr.contains(&pki.fingerprint), "the fingerprint to compare and pin: {stderr}");
}

/// The component's calls (`check` reads the store through it) use the connection's CA too.
#[test]
fn a_private_ca_given_with_ca_cert_is_trusted_for_every_call() {
    let pki = ca_signed(&["127.0.0.1", "localhost"], false);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-ca-cert");
    let ca = ca_file(&data, &pki);
    let out = connect(&data, &sim, &["--ca-cert", ca.to_str().unwrap()], &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&pki.fingerprint), "connect shows the certificate it saw: {stdout}");
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(config.contains("ca-cert") && config.contains("store-ca.pem"), "{config}");

    connect_fortnox(&data, &sim);
    sim.log.clear();
    let out = common::woonox(&data, &["check", "--json"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let products = sim.woo.lock().unwrap().products.iter().filter(|p| p["type"] != "variation").count();
    assert_eq!(report["woocommerce_products"], products);
    let store_calls: Vec<_> = sim.log.entries().into_iter().filter(|e| e.service == "woocommerce").collect();
    assert!(!store_calls.is_empty(), "the component read the store");
    for call in &store_calls {
        assert_eq!(call.status, 200, "{call:?}");
        assert!(call.authorization.as_deref().is_some_and(|a| a.starts_with("Basic ")), "Basic over HTTPS: {call:?}");
    }
}

#[test]
fn ssl_cert_file_is_honoured_without_flags() {
    let pki = ca_signed(&["127.0.0.1"], false);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-ssl-cert-file");
    let ca = ca_file(&data, &pki);
    let out = connect(&data, &sim, &[], &[("SSL_CERT_FILE", &ca)]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(!config.contains("ca-cert"), "nothing of the environment is kept: {config}");
}

/// Trusted or not, a CA:TRUE certificate is refused as the server's own; given with
/// `--ca-cert` it is that very certificate, so it is accepted as pinned.
#[test]
fn an_openssl_style_self_signed_certificate_is_explained_then_pinned_with_ca_cert() {
    let pki = openssl_style_self_signed();
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-self-signed");
    let cert = ca_file(&data, &pki);
    let stderr = refused(&data, &connect(&data, &sim, &[], &[("SSL_CERT_FILE", &cert)]));
    assert!(stderr.contains("CA:TRUE") && stderr.contains("--pin-sha256"), "{stderr}");
    assert!(stderr.contains(&pki.fingerprint), "{stderr}");

    let out = connect(&data, &sim, &["--ca-cert", cert.to_str().unwrap()], &[]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(&pki.fingerprint), "{stdout}");
}

#[test]
fn pin_sha256_accepts_that_certificate_and_a_wrong_pin_is_refused() {
    let pki = openssl_style_self_signed();
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-pin");
    let wrong = fingerprint(b"another certificate");
    let stderr = refused(&data, &connect(&data, &sim, &["--pin-sha256", &wrong], &[]));
    assert!(stderr.contains("not the one pinned"), "{stderr}");
    assert!(stderr.contains(&pki.fingerprint), "the certificate actually seen: {stderr}");

    // As openssl prints it, colons and all, or as plain lower-case hex.
    let plain = pki.fingerprint.replace(':', "").to_lowercase();
    for pin in [pki.fingerprint.as_str(), plain.as_str()] {
        let out = connect(&data, &sim, &["--pin-sha256", pin], &[]);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    }
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    assert!(config.contains(&format!("pin-sha256 = \"{plain}\"")), "{config}");

    // The component's calls are held to the same pin: with another one they are refused,
    // and the user is told why in the same words.
    connect_fortnox(&data, &sim);
    let config = std::fs::read_to_string(data.join("woonox.toml")).unwrap();
    std::fs::write(data.join("woonox.toml"), config.replace(&plain, &wrong.replace(':', ""))).unwrap();
    sim.log.clear();
    let out = common::woonox(&data, &["check"]);
    let (stdout, stderr) = text(&out);
    assert_ne!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("not the one pinned") && stderr.contains(&pki.fingerprint), "{stdout}\n{stderr}");
    assert_eq!(sim.log.count("woocommerce"), 0, "nothing reached the store");
}

/// A pin names one certificate: a valid certificate from a trusted CA that is not the
/// pinned one is refused too.
#[test]
fn a_pin_refuses_even_a_trusted_certificate_that_is_not_the_pinned_one() {
    let pki = ca_signed(&["127.0.0.1"], false);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-pin-strict");
    let ca = ca_file(&data, &pki);
    let wrong = fingerprint(b"the old certificate");
    let args = ["--ca-cert", ca.to_str().unwrap(), "--pin-sha256", &wrong];
    let stderr = refused(&data, &connect(&data, &sim, &args, &[]));
    assert!(stderr.contains("not the one pinned") && stderr.contains(&pki.fingerprint), "{stderr}");
}

#[test]
fn a_certificate_for_another_name_is_explained() {
    let pki = ca_signed(&["shop.example"], false);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-wrong-name");
    let ca = ca_file(&data, &pki);
    let stderr = refused(&data, &connect(&data, &sim, &["--ca-cert", ca.to_str().unwrap()], &[]));
    assert!(stderr.contains("made out to shop.example, not to 127.0.0.1"), "{stderr}");
    assert!(stderr.contains(&pki.fingerprint), "{stderr}");
}

#[test]
fn an_expired_certificate_is_explained() {
    let pki = ca_signed(&["127.0.0.1"], true);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-expired");
    let ca = ca_file(&data, &pki);
    let stderr = refused(&data, &connect(&data, &sim, &["--ca-cert", ca.to_str().unwrap()], &[]));
    assert!(stderr.contains("expired on 2021-01-01") && stderr.contains("renew it"), "{stderr}");
}

#[test]
fn a_ca_file_that_is_not_pem_is_named() {
    let pki = ca_signed(&["127.0.0.1"], false);
    let (_rt, sim) = start(&pki);
    let data = data_dir("tls-bad-ca-file");
    std::fs::create_dir_all(&data).unwrap();
    let bad = data.join("ca.txt");
    std::fs::write(&bad, "not a certificate").unwrap();
    let stderr = refused(&data, &connect(&data, &sim, &["--ca-cert", bad.to_str().unwrap()], &[]));
    assert!(stderr.contains("ca.txt holds no certificate"), "{stderr}");
    let missing = data.join("nowhere.pem");
    let stderr = refused(&data, &connect(&data, &sim, &["--ca-cert", missing.to_str().unwrap()], &[]));
    assert!(stderr.contains("cannot read the CA file") && stderr.contains("nowhere.pem"), "{stderr}");
}
