//! The WooCommerce stand-in over HTTPS authenticates as the recorded store did (exchanges
//! 70-76): Basic auth and query-string keys, OAuth 1.0a signed against the https base URL
//! only; over plain HTTP Basic is ignored. Requests go through the host's own sender with
//! a test CA.

use rcgen::{CertificateParams, KeyPair};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use woonox::wire::woo_oauth1;
use woonox_sim::tls::TlsIdentity;
use woonox_sim::{Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

/// An HTTPS stand-in and a client configuration that trusts its certificate (pinned).
fn https_sim(rt: &tokio::runtime::Runtime) -> (Sim, Arc<rustls::ClientConfig>, std::path::PathBuf) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().self_signed(&key).unwrap();
    let identity = TlsIdentity { cert_pem: cert.pem(), key_pem: key.serialize_pem() };
    let sim =
        rt.block_on(Sim::start(SimConfig { articles: 10, woo_tls: Some(identity), ..Default::default() })).unwrap();
    // One folder per call: the tests run in parallel, and one removing a shared folder
    // while another reads its certificate made CI fail.
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("woonox-https-auth-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pem = dir.join("store.pem");
    std::fs::write(&pem, cert.pem()).unwrap();
    let trust = woonox::wire::tls::StoreTrust { ca_cert: Some(pem.clone()), pin_sha256: None };
    (sim, woonox::wire::tls::for_store(&trust).unwrap(), dir)
}

/// GET `url` with `authorization`; the status and the JSON body.
fn get(
    rt: &tokio::runtime::Runtime,
    tls: &Arc<rustls::ClientConfig>,
    url: &str,
    authorization: Option<String>,
) -> (u16, serde_json::Value) {
    let mut request = http::Request::get(url);
    if let Some(value) = authorization {
        request = request.header(http::header::AUTHORIZATION, value);
    }
    let options = wasmtime_wasi_http::RequestOptions {
        connect_timeout: Some(Duration::from_secs(5)),
        first_byte_timeout: Some(Duration::from_secs(5)),
        between_bytes_timeout: Some(Duration::from_secs(5)),
    };
    rt.block_on(async {
        let (response, _) =
            woonox::wire::http_send::send(request.body(bytes::Bytes::new()).unwrap(), options, tls, Default::default())
                .await
                .unwrap();
        let status = response.status().as_u16();
        use http_body_util::BodyExt;
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    })
}

fn basic(key: &str, secret: &str) -> Option<String> {
    use base64::Engine as _;
    Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"))))
}

/// An OAuth 1.0a `Authorization` header, signed against `base_url`.
fn oauth_header(base_url: &str, query: &[(String, String)], nonce: &str) -> Option<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let creds = woo_oauth1::Credentials { consumer_key: WOO_CONSUMER_KEY, consumer_secret: WOO_CONSUMER_SECRET };
    let params = woo_oauth1::signed_params(&creds, woo_oauth1::Method::HmacSha256, "GET", base_url, query, now, nonce);
    let fields: Vec<String> = params
        .iter()
        .filter(|(k, _)| k.starts_with("oauth_"))
        .map(|(k, v)| format!("{k}=\"{}\"", woo_oauth1::encode(v)))
        .collect();
    Some(format!("OAuth {}", fields.join(", ")))
}

fn message(body: &serde_json::Value) -> (&str, &str) {
    (body["code"].as_str().unwrap_or_default(), body["message"].as_str().unwrap_or_default())
}

#[test]
fn over_https_basic_auth_and_query_keys_work_as_recorded() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (sim, tls, dir) = https_sim(&rt);
    let products = format!("{}/wp-json/wc/v3/products?per_page=1", sim.woo_url);

    let (status, body) = get(&rt, &tls, &products, basic(WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET));
    assert_eq!(status, 200, "exchange 70: {body}");
    let (status, body) = get(&rt, &tls, &products, basic(WOO_CONSUMER_KEY, "cs_wrong"));
    assert_eq!(
        (status, message(&body)),
        (401, ("woocommerce_rest_authentication_error", "Consumer secret is invalid.")),
        "exchange 72"
    );
    let (status, body) = get(&rt, &tls, &products, basic("ck_unknown", WOO_CONSUMER_SECRET));
    assert_eq!(
        (status, message(&body)),
        (401, ("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.")),
        "exchange 73: an unknown key is anonymous"
    );
    let with_keys = format!("{products}&consumer_key={WOO_CONSUMER_KEY}&consumer_secret={WOO_CONSUMER_SECRET}");
    let (status, body) = get(&rt, &tls, &with_keys, None);
    assert_eq!(status, 200, "exchange 74: {body}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn over_https_oauth_must_be_signed_against_the_https_url() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (sim, tls, dir) = https_sim(&rt);
    let path = "/wp-json/wc/v3/products";
    let url = format!("{}{path}?per_page=1", sim.woo_url);
    let query = vec![("per_page".to_owned(), "1".to_owned())];

    let (status, body) = get(&rt, &tls, &url, oauth_header(&format!("{}{path}", sim.woo_url), &query, "n1"));
    assert_eq!(status, 200, "exchange 75: {body}");
    let http_base = sim.woo_url.replacen("https://", "http://", 1);
    let (status, body) = get(&rt, &tls, &url, oauth_header(&format!("{http_base}{path}"), &query, "n2"));
    assert_eq!(
        (status, message(&body)),
        (401, ("woocommerce_rest_authentication_error", "Invalid signature - provided signature does not match.")),
        "exchange 76"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn over_plain_http_basic_auth_and_query_keys_are_ignored() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Sim::start(SimConfig { articles: 10, ..Default::default() })).unwrap();
    let tls = woonox::wire::tls::platform();
    let products = format!("{}/wp-json/wc/v3/products?per_page=1", sim.woo_url);
    let with_keys = format!("{products}&consumer_key={WOO_CONSUMER_KEY}&consumer_secret={WOO_CONSUMER_SECRET}");
    for (url, auth) in [(&products, basic(WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET)), (&with_keys, None)] {
        let (status, body) = get(&rt, &tls, url, auth);
        assert_eq!((status, message(&body).0), (401, "woocommerce_rest_cannot_view"), "{url}");
    }
}
