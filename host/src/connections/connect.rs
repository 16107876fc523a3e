//! `woonox connect`: stores a connection's services and credentials, after proving them
//! with a real call, so a typo is caught at once and not at the first sync.

use crate::connections::config::{Config, check_name};
use crate::connections::connection::{FortnoxAppSecret, Paths, WooKeys, woo_service};
use crate::state::secrets::{FORTNOX_APP, Secrets, WOO_KEYS};
use crate::wire::destination::{Reach, require_https_beyond_loopback};
use crate::wire::fortnox_auth::{FortnoxApp, FortnoxTokens, request_token};
use crate::wire::http_policy::{Service, authorize};
use crate::wire::tls::{PeerFingerprint, StoreTrust};
use anyhow::{Context, Result, bail};
use http_body_util::BodyExt;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Fortnox scopes the flows use, and `bookkeeping` for the doctor (accounts, financial years).
pub const FORTNOX_SCOPES: &str =
    "article price customer order invoice payment companyinformation settings currency bookkeeping";

/// What `connect woocommerce` saw: the store's certificate, for the user to compare.
pub struct Verified {
    pub fingerprint: Option<String>,
}

/// How to reach a store: whom its certificate must come from, and whether it may be on a
/// private network.
#[derive(Default)]
pub struct StoreAccess {
    pub trust: StoreTrust,
    pub private_network: bool,
}

pub async fn woocommerce(paths: &Paths, name: &str, url: &str, keys: WooKeys, access: StoreAccess) -> Result<Verified> {
    check_name(name)?;
    let url = url.trim_end_matches('/');
    let trust = StoreTrust { ca_cert: access.trust.ca_cert.as_deref().map(absolute).transpose()?, ..access.trust };
    let tls = crate::wire::tls::for_store(&trust)?;
    let reach = if access.private_network { Reach::PrivateToo } else { Reach::Public };
    let service = Service { reach, ..woo_service(url, keys.clone())? };
    let answer = woo_call(&service, &tls, "GET", &format!("{url}/wp-json/wc/v3/products?per_page=1"), None)
        .await
        .with_context(|| format!("cannot reach the store at {url}"))?;
    if answer.status != 200 {
        bail!("{}", woonox_guest::sync::error::SyncError::woo(answer.status, &answer.body));
    }
    Secrets::for_paths(paths)?.write(name, WOO_KEYS, &keys)?;
    let mut config = Config::load(&paths.config_file())?;
    let entry = config.connections.entry(name.to_owned()).or_default();
    entry.store_url = Some(url.to_owned());
    entry.private_network = access.private_network;
    // What this connect was told is the whole trust: a flag left out is dropped.
    (entry.ca_cert, entry.pin_sha256) = (trust.ca_cert, trust.pin_sha256);
    config.save(&paths.config_file())?;
    Ok(Verified { fingerprint: answer.fingerprint })
}

/// The CA file as an absolute path, so later runs from another directory find it.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::fs::canonicalize(path).with_context(|| format!("cannot read the CA file {}", path.display()))
}

/// A store's answer to one call.
pub struct Answer {
    pub status: u16,
    pub body: String,
    /// The SHA-256 fingerprint of the store's certificate (HTTPS only).
    pub fingerprint: Option<String>,
}

/// One signed call to the store, with the connection's TLS trust.
pub async fn woo_call(
    service: &crate::wire::http_policy::Service,
    tls: &Arc<rustls::ClientConfig>,
    method: &str,
    url: &str,
    body: Option<&serde_json::Value>,
) -> Result<Answer> {
    let mut parts = http::Request::builder().method(method).uri(url).body(())?.into_parts().0;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    authorize(service, &mut parts, now, &format!("{:032x}", rand::random::<u128>())).map_err(anyhow::Error::msg)?;
    let bytes = match body {
        Some(json) => {
            parts.headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
            bytes::Bytes::from(json.to_string())
        }
        None => bytes::Bytes::new(),
    };
    send_once(http::Request::from_parts(parts, bytes), tls, service.reach).await
}

/// One request of woonox's own (not the component's), its whole answer read.
async fn send_once(
    request: http::Request<bytes::Bytes>,
    tls: &Arc<rustls::ClientConfig>,
    reach: Reach,
) -> Result<Answer> {
    let options = wasmtime_wasi_http::RequestOptions {
        connect_timeout: Some(Duration::from_secs(10)),
        first_byte_timeout: Some(Duration::from_secs(30)),
        between_bytes_timeout: Some(Duration::from_secs(30)),
    };
    let (response, _) = match crate::wire::http_send::send(request, options, tls, reach).await {
        Ok(sent) => sent,
        Err(wasmtime_wasi_http::Error::InternalError(Some(why))) => bail!("{why}"),
        Err(e) => bail!("{e}"),
    };
    let fingerprint = response.extensions().get::<PeerFingerprint>().map(|f| f.0.clone());
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(|e| anyhow::anyhow!("{e}"))?.to_bytes();
    Ok(Answer { status, body: String::from_utf8_lossy(&body).into_owned(), fingerprint })
}

pub enum FortnoxMode {
    /// The merchant approves in a browser; the code comes back to a loopback listener.
    Consent { redirect_port: u16, on_url: Box<dyn FnOnce(&str) + Send> },
    /// Server to server: client credentials for the tenant, no refresh tokens.
    ServiceAccount { tenant_id: String },
}

/// Where Fortnox answers, when not at Fortnox's own addresses (a stand-in, a proxy).
#[derive(Default)]
pub struct FortnoxUrls {
    pub api: Option<String>,
    pub auth: Option<String>,
}

/// Gets tokens and proves them with a call to the API before anything is saved: a wrong
/// URL or a refused consent leaves the connection as it was.
pub async fn fortnox(
    paths: &Paths,
    name: &str,
    app: FortnoxAppSecret,
    mode: FortnoxMode,
    urls: FortnoxUrls,
) -> Result<()> {
    check_name(name)?;
    let mut config = Config::load(&paths.config_file())?;
    let entry = config.connections.entry(name.to_owned()).or_default();
    let api = urls.api.unwrap_or_else(|| entry.fortnox_api.clone()).trim_end_matches('/').to_owned();
    let auth = urls.auth.unwrap_or_else(|| entry.fortnox_auth.clone()).trim_end_matches('/').to_owned();
    require_https_beyond_loopback("the Fortnox API address", &api).map_err(anyhow::Error::msg)?;
    require_https_beyond_loopback("the Fortnox login address", &auth).map_err(anyhow::Error::msg)?;
    let fortnox_app = FortnoxApp {
        client_id: app.client_id.clone(),
        client_secret: app.client_secret.clone(),
        auth_base: auth.clone(),
    };
    let tokens = match mode {
        FortnoxMode::ServiceAccount { tenant_id } => {
            let mut set =
                request_token(&fortnox_app, vec![("grant_type", "client_credentials".into())], Some(tenant_id.clone()))
                    .await?;
            set.tenant_id = Some(tenant_id);
            set
        }
        FortnoxMode::Consent { redirect_port, on_url } => consent(&fortnox_app, redirect_port, on_url).await?,
    };
    prove_fortnox_api(&api, &tokens.access_token).await?;
    let secrets = Arc::new(Secrets::for_paths(paths)?);
    secrets.write(name, FORTNOX_APP, &app)?;
    FortnoxTokens::load(fortnox_app, secrets, name)?.store(tokens).await?;
    (entry.fortnox_api, entry.fortnox_auth) = (api, auth);
    config.save(&paths.config_file())
}

/// One read with the new token (articles: every flow needs that scope).
async fn prove_fortnox_api(api: &str, access_token: &str) -> Result<()> {
    let request = http::Request::get(format!("{api}/3/articles?limit=1"))
        .header(http::header::AUTHORIZATION, format!("Bearer {access_token}"))
        .header(http::header::ACCEPT, "application/json")
        .body(bytes::Bytes::new())?;
    let answer = send_once(request, &crate::wire::tls::platform(), Reach::Public)
        .await
        .with_context(|| format!("cannot reach the Fortnox API at {api}"))?;
    if answer.status != 200 {
        let why = woonox_guest::sync::error::SyncError::fortnox(answer.status, &answer.body);
        bail!("the Fortnox API at {api} refused the new token, so nothing was saved: {why}");
    }
    Ok(())
}

async fn consent(
    app: &FortnoxApp,
    port: u16,
    on_url: Box<dyn FnOnce(&str) + Send>,
) -> Result<crate::wire::fortnox_auth::TokenSet> {
    let listener =
        TcpListener::bind(("127.0.0.1", port)).with_context(|| format!("cannot listen on 127.0.0.1:{port}"))?;
    let redirect_uri = format!("http://127.0.0.1:{}/callback", listener.local_addr()?.port());
    let state = format!("{:032x}", rand::random::<u128>());
    let enc = crate::wire::woo_oauth1::encode;
    let url = format!(
        "{}/oauth-v1/auth?client_id={}&redirect_uri={}&scope={}&state={state}&access_type=offline&response_type=code",
        app.auth_base.trim_end_matches('/'),
        enc(&app.client_id),
        enc(&redirect_uri),
        enc(FORTNOX_SCOPES),
    );
    let (code, returned_state) = tokio::task::spawn_blocking(move || {
        on_url(&url);
        wait_for_callback(&listener)
    })
    .await??;
    if returned_state != state {
        bail!("the answer from Fortnox carried the wrong state; nothing was stored (try again)");
    }
    let form = vec![("grant_type", "authorization_code".to_owned()), ("code", code), ("redirect_uri", redirect_uri)];
    Ok(request_token(app, form, None).await?)
}

/// Serves exactly one request: the browser coming back with `code` and `state`.
fn wait_for_callback(listener: &TcpListener) -> Result<(String, String)> {
    let (mut stream, _) = listener.accept()?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Read the rest of the request before answering: closing a socket with unread data
    // resets the connection, and the browser would then see an error instead of the page.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let target = line.split_whitespace().nth(1).unwrap_or("");
    let query = target.split_once('?').map(|(_, q)| q).unwrap_or("");
    let params = crate::wire::http_policy::query_pairs(query);
    let get = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let (page, result) = match (get("code"), get("state"), get("error")) {
        (Some(code), Some(state), None) => {
            ("woonox is connected to Fortnox. You can close this tab.", Ok((code, state)))
        }
        (_, _, Some(error)) => {
            ("Fortnox did not approve the connection.", Err(anyhow::anyhow!("Fortnox answered: {error}")))
        }
        _ => ("Unexpected answer.", Err(anyhow::anyhow!("the callback carried no code"))),
    };
    let html = format!("<!doctype html><title>woonox</title><p>{page}</p>");
    write!(
        stream,
        "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{html}",
        html.len()
    )?;
    result
}
