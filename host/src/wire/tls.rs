//! Whom woonox trusts over HTTPS, and what it tells the user when a certificate is refused.
//!
//! Certificates are checked against the platform's trust store (`rustls-native-certs`, which
//! honours `SSL_CERT_FILE` and `SSL_CERT_DIR`), plus a connection's own CA file
//! (`--ca-cert`). A store with a self-signed certificate can be pinned instead: its
//! certificate is then accepted when its SHA-256 fingerprint is the pinned one. That is the
//! only way in for a certificate made with openssl's defaults, which is marked as a CA
//! (`CA:TRUE`), and which certificate checks refuse as a server's own certificate even when
//! it is trusted.

use anyhow::{Context, Result, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// A connection's own trust for its store (kept in the connections file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreTrust {
    /// PEM file of CA certificates to trust besides the platform's. A certificate in it is
    /// also accepted as the store's own (a self-signed store certificate is its own CA).
    pub ca_cert: Option<PathBuf>,
    /// The store's certificate must be exactly this one (SHA-256 of its DER).
    pub pin_sha256: Option<String>,
}

/// The store's certificate as seen in a handshake: its SHA-256 fingerprint, e.g. "AB:01:…".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerFingerprint(pub String);

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The platform's roots, loaded once. Falls back to the Mozilla roots built into woonox
/// when the platform has none (a bare container), so public services still work.
fn platform_roots() -> &'static Vec<CertificateDer<'static>> {
    static ROOTS: OnceLock<Vec<CertificateDer<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for error in &found.errors {
            tracing::warn!("while loading the system's CA certificates: {error}");
        }
        found.certs
    })
}

fn root_store(extra: &[CertificateDer<'static>]) -> RootCertStore {
    let mut roots = RootCertStore::empty();
    if platform_roots().is_empty() {
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    } else {
        // Certificates a verifier cannot use as roots are skipped, as every TLS client does.
        roots.add_parsable_certificates(platform_roots().iter().cloned());
    }
    roots.add_parsable_certificates(extra.iter().cloned());
    roots
}

/// The client configuration for services with no trust of their own (Fortnox).
pub fn platform() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| build(Vec::new(), Vec::new(), false).expect("the platform's roots make a valid configuration"))
        .clone()
}

/// The client configuration for a store with `trust`.
pub fn for_store(trust: &StoreTrust) -> Result<Arc<rustls::ClientConfig>> {
    if trust == &StoreTrust::default() {
        return Ok(platform());
    }
    let extra = match &trust.ca_cert {
        Some(path) => read_pem(path)?,
        None => Vec::new(),
    };
    // A pin names the one certificate to accept; without one, each certificate of the CA
    // file is also accepted as the store's own.
    let (pins, strict) = match &trust.pin_sha256 {
        Some(pin) => (vec![parse_fingerprint(pin)?], true),
        None => (extra.iter().map(|c| Sha256::digest(c).into()).collect(), false),
    };
    build(extra, pins, strict)
}

fn build(extra: Vec<CertificateDer<'static>>, pins: Vec<[u8; 32]>, strict: bool) -> Result<Arc<rustls::ClientConfig>> {
    let provider = provider();
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(root_store(&extra)), provider.clone())
        .build()
        .context("no certificate authority to check the store's certificate against")?;
    let verifier = Arc::new(StoreVerifier { webpki, pins, strict });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read the CA file {}", path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} is not a PEM certificate file", path.display()))?;
    if certs.is_empty() {
        bail!("{} holds no certificate (expected PEM, -----BEGIN CERTIFICATE-----)", path.display());
    }
    Ok(certs)
}

/// `AB:CD:…`, `abcd…` or `sha256 Fingerprint=AB:CD:…` (as openssl prints it) → 32 bytes.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32]> {
    let hex: String = text.rsplit('=').next().unwrap_or_default().chars().filter(|c| *c != ':').collect();
    let bytes: Option<Vec<u8>> =
        (0..hex.len()).step_by(2).map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok())).collect();
    match bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()) {
        Some(pin) => Ok(pin),
        None => bail!(
            "--pin-sha256 takes a certificate's SHA-256 fingerprint, 64 hex digits (colons allowed), as `openssl x509 -noout -fingerprint -sha256` prints it (got {text:?})"
        ),
    }
}

/// `AB:CD:…`, as openssl and browsers show a fingerprint.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der).iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// The platform's and the connection's CAs, plus pinned certificates accepted as they are.
#[derive(Debug)]
struct StoreVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    pins: Vec<[u8; 32]>,
    /// Only a pinned certificate is accepted (`--pin-sha256`).
    strict: bool,
}

/// Why a certificate was refused, with the certificate's fingerprint so the user can pin it.
#[derive(Debug)]
pub struct Refused {
    pub fingerprint: String,
    /// `None`: the certificate is valid but is not the pinned one.
    pub cause: Option<rustls::Error>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{cause} (certificate SHA-256 {})", self.fingerprint),
            None => write!(f, "not the pinned certificate (SHA-256 {})", self.fingerprint),
        }
    }
}

impl std::error::Error for Refused {}

impl StoreVerifier {
    fn refuse(&self, fingerprint: String, cause: Option<rustls::Error>) -> rustls::Error {
        let refused = Refused { fingerprint, cause };
        rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(refused))))
    }
}

impl ServerCertVerifier for StoreVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest: [u8; 32] = Sha256::digest(end_entity).into();
        // The user pinned this very certificate: its names and dates are the user's call.
        // The handshake still proves the server holds its private key (signatures below).
        if self.pins.contains(&digest) {
            return Ok(ServerCertVerified::assertion());
        }
        let seen = fingerprint(end_entity);
        if self.strict {
            return Err(self.refuse(seen, None));
        }
        self.webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
            .map_err(|cause| self.refuse(seen, Some(cause)))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// A plain explanation of a failed TLS connection to `host`, if `error` is one: what went
/// wrong and what to do, with the certificate's fingerprint when one was seen.
pub fn explain(error: &(dyn std::error::Error + 'static), host: &str) -> Option<String> {
    let mut next = Some(error);
    while let Some(e) = next {
        // io::Error hides its inner error from source(): look inside it too.
        let inner = e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).map(|i| i as &dyn std::error::Error);
        if let Some(tls) = e.downcast_ref::<rustls::Error>().or_else(|| inner?.downcast_ref::<rustls::Error>()) {
            return Some(explain_rustls(tls, host));
        }
        next = e.source();
    }
    None
}

fn explain_rustls(error: &rustls::Error, host: &str) -> String {
    match error {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => match other.0.downcast_ref::<Refused>() {
            Some(refused) => explain_refused(refused, host),
            None => format!("the certificate of {host} was refused: {error}"),
        },
        rustls::Error::InvalidCertificate(_) => format!("the certificate of {host} was refused: {error}"),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => format!(
            "{host} did not answer as an HTTPS server: check that the URL's port serves HTTPS (a store without TLS needs an http:// URL)"
        ),
        rustls::Error::PeerIncompatible(_) => {
            format!("{host} and woonox share no TLS version or cipher (woonox needs TLS 1.2 or newer): {error}")
        }
        other => format!("the secure connection to {host} failed: {other}"),
    }
}

fn explain_refused(refused: &Refused, host: &str) -> String {
    let fp = &refused.fingerprint;
    let check = "after checking on the server that its certificate has that fingerprint \
                 (openssl x509 -in cert.pem -noout -fingerprint -sha256)";
    let why = match &refused.cause {
        None => format!(
            "the certificate {host} presents is not the one pinned with --pin-sha256. If the store's certificate \
             was replaced on purpose, pin the new one ({check}); if not, someone may be intercepting the connection"
        ),
        Some(rustls::Error::InvalidCertificate(cause)) => explain_certificate(cause, host, check),
        Some(other) => format!("the certificate of {host} was refused: {other}"),
    };
    format!("{why}.\nThe certificate's SHA-256 fingerprint: {fp}")
}

fn explain_certificate(cause: &CertificateError, host: &str, check: &str) -> String {
    let date = |t: &UnixTime| {
        chrono::DateTime::from_timestamp(t.as_secs() as i64, 0).map_or("?".into(), |d| d.format("%Y-%m-%d").to_string())
    };
    match cause {
        CertificateError::UnknownIssuer => format!(
            "the certificate {host} presents is not signed by an authority this computer trusts (a private CA or a \
             self-signed certificate). If the store is yours, trust its CA with --ca-cert FILE (or SSL_CERT_FILE=FILE), \
             or pin this very certificate with --pin-sha256 FINGERPRINT, {check}"
        ),
        // webpki's CaUsedAsEndEntity reaches rustls as an opaque error; its name is all there is to match.
        CertificateError::Other(e) if format!("{e:?}").contains("CaUsedAsEndEntity") => format!(
            "{host} presents a CA certificate (CA:TRUE) as its own, as a self-signed certificate made with openssl's \
             defaults is; certificate checks refuse that even when it is trusted. Pin it with --pin-sha256 FINGERPRINT \
             (or --ca-cert with that very certificate), {check}; or give the store a certificate signed by a CA"
        ),
        CertificateError::Expired => format!("the certificate of {host} has expired: renew it on the server"),
        CertificateError::ExpiredContext { not_after, .. } => format!(
            "the certificate of {host} expired on {}: renew it on the server (with Let's Encrypt: certbot renew), \
             or check this computer's clock",
            date(not_after)
        ),
        CertificateError::NotValidYet => format!("the certificate of {host} is not valid yet: check the clocks"),
        CertificateError::NotValidYetContext { not_before, .. } => format!(
            "the certificate of {host} is valid only from {}: check this computer's clock and the server's",
            date(not_before)
        ),
        CertificateError::NotValidForName => {
            format!(
                "the certificate the store presents is not made out to {host}: use the store's address as its certificate names it"
            )
        }
        CertificateError::NotValidForNameContext { presented, .. } => format!(
            "the certificate the store presents is made out to {}, not to {host}: connect with --url naming one of \
             those, or have the certificate reissued for {host}",
            if presented.is_empty() { "no name".to_owned() } else { names(presented) }
        ),
        other => format!("the certificate of {host} was refused ({other:?})"),
    }
}

/// rustls shows the certificate's names as `DnsName("shop.example")`; the user wants the name.
fn names(presented: &[String]) -> String {
    let bare = |n: &String| {
        let inner = n.split_once('(').and_then(|(_, rest)| rest.strip_suffix(')')).unwrap_or(n);
        inner.trim_matches('"').to_owned()
    };
    presented.iter().map(bare).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_read_as_openssl_prints_them() {
        let der = b"not really a certificate";
        let shown = fingerprint(der);
        assert_eq!(shown.len(), 32 * 3 - 1);
        let expected: [u8; 32] = Sha256::digest(der).into();
        assert_eq!(parse_fingerprint(&shown).unwrap(), expected);
        assert_eq!(parse_fingerprint(&format!("sha256 Fingerprint={shown}")).unwrap(), expected);
        assert_eq!(parse_fingerprint(&shown.replace(':', "").to_lowercase()).unwrap(), expected);
        assert!(parse_fingerprint("AB:CD").is_err());
        assert!(parse_fingerprint(&"ZZ".repeat(32)).is_err());
    }

    #[test]
    fn presented_names_are_shown_bare() {
        let presented = ["DnsName(\"shop.example\")".to_owned(), "IpAddress(10.0.0.1)".to_owned(), "odd".to_owned()];
        assert_eq!(names(&presented), "shop.example, 10.0.0.1, odd");
    }

    #[test]
    fn an_unknown_issuer_is_explained_with_what_to_do() {
        let refused = Refused {
            fingerprint: "AB:CD".into(),
            cause: Some(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        };
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(refused)))),
        );
        let text = explain(&io, "shop.example").unwrap();
        assert!(text.contains("not signed by an authority") && text.contains("--ca-cert"), "{text}");
        assert!(text.contains("fingerprint: AB:CD"), "{text}");
        assert!(explain(&std::io::Error::other("reset"), "shop.example").is_none());
    }
}
