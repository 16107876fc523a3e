//! Every request the component makes passes here: refused unless its final URI belongs to
//! one of the connection's services, signed with the host's credentials, paced by the
//! service's limiter, retried where that is safe, and recorded without its secrets.

use crate::wire::fortnox_auth::AuthError;
use crate::wire::http_policy::{AllowList, Credential, GUEST_FORBIDDEN, Service, authorize};
use crate::wire::rate_limit::SlidingWindow;
use http_body_util::{BodyExt, Full};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wasmtime_wasi_http::{DEFAULT_FORBIDDEN_HEADERS, Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Caps on what a guest may ask for; a guest cannot make the host wait longer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(60);
const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(30);
/// A 429 was not processed, so it is retried, at most this many times.
const MAX_429_RETRIES: u32 = 6;
/// A GET that failed with 5xx or a broken connection is retried at most this many times.
const MAX_GET_RETRIES: u32 = 3;

/// One request as the host saw it: enough to count and inspect, nothing secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub connection: String,
    pub service: &'static str,
    pub method: String,
    pub host: String,
    pub path: String,
    /// 0 when no answer came (refused, connection error).
    pub status: u16,
    pub bytes: u64,
    pub ms: u64,
    /// When the limiter let the request go (what the pacing promises are about).
    pub sent: Instant,
}

/// How many recorded calls a long-running process keeps.
pub const RECORD_KEEP: usize = 10_000;

#[derive(Debug, Default)]
pub struct NetStats {
    pub calls: std::sync::atomic::AtomicU64,
    pub rate_limited: std::sync::atomic::AtomicU64,
}

/// What one connection's calls share: its allow-list, a limiter per service, the record.
pub struct ConnectionNet {
    pub name: String,
    pub allow: AllowList,
    pub limiters: HashMap<&'static str, Arc<SlidingWindow>>,
    /// The latest calls (at most [`RECORD_KEEP`] to [`2 × RECORD_KEEP`] of them).
    pub record: Arc<Mutex<Vec<Recorded>>>,
    /// Every call and every 429, counted for the metrics.
    pub stats: Arc<NetStats>,
    /// The first retry waits up to this long; each further one up to twice as long.
    pub retry_base: Duration,
    /// Whom each service's certificate must come from (the store's CA or pin); a service
    /// not listed is checked against the platform's trust store.
    pub tls: HashMap<&'static str, Arc<rustls::ClientConfig>>,
    /// With a shared state: the lease this connection is worked under. A call is made only
    /// while the running job's lease holds, and says which process and epoch made it.
    pub lease: std::sync::OnceLock<Arc<crate::state::leases::Lease>>,
}

impl Default for ConnectionNet {
    fn default() -> Self {
        ConnectionNet {
            name: String::new(),
            allow: AllowList::default(),
            limiters: HashMap::new(),
            record: Arc::default(),
            stats: Arc::default(),
            retry_base: Duration::from_millis(500),
            tls: HashMap::new(),
            lease: std::sync::OnceLock::new(),
        }
    }
}

pub struct PolicyHooks {
    pub net: Arc<ConnectionNet>,
}

impl WasiHttpHooks for PolicyHooks {
    fn is_forbidden_header(&mut self, name: &http::HeaderName) -> bool {
        DEFAULT_FORBIDDEN_HEADERS.contains(name) || GUEST_FORBIDDEN.contains(name)
    }

    fn forbidden_header_filter(&mut self) -> wasmtime_wasi_http::ForbiddenHeaderFilter {
        Arc::new(|name| DEFAULT_FORBIDDEN_HEADERS.contains(name) || GUEST_FORBIDDEN.contains(name))
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>), Error>,
            > + Send,
    > {
        drop(fut);
        let net = self.net.clone();
        Box::new(async move { send(&net, request, capped(options)).await })
    }
}

fn capped(options: Option<RequestOptions>) -> RequestOptions {
    let o = options.unwrap_or_default();
    let cap = |v: Option<Duration>, max: Duration| Some(v.unwrap_or(max).min(max));
    RequestOptions {
        connect_timeout: cap(o.connect_timeout, CONNECT_TIMEOUT),
        first_byte_timeout: cap(o.first_byte_timeout, FIRST_BYTE_TIMEOUT),
        between_bytes_timeout: cap(o.between_bytes_timeout, BETWEEN_BYTES_TIMEOUT),
    }
}

/// Why a job's call was refused: the job did nothing wrong and goes back to the queue.
pub const LEASE_LOST: &str = "this process no longer holds the connection's lease (it stalled or lost the state); another process goes on with the job";

/// Which process, under which epoch, made a call: for the operator's logs (and the stand-ins'
/// check that no connection is ever worked by two processes at once).
fn stamp(headers: &mut http::HeaderMap, lease: &crate::state::leases::Lease) {
    let fence = lease.fence();
    for (name, value) in [("x-woonox-process", fence.holder), ("x-woonox-epoch", fence.epoch.to_string())] {
        if let Ok(value) = http::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

type Io = Box<dyn Future<Output = Result<(), Error>> + Send>;

async fn send(
    net: &ConnectionNet,
    request: http::Request<WasiBody>,
    options: RequestOptions,
) -> Result<(http::Response<WasiBody>, Io), Error> {
    let (parts, body) = request.into_parts();
    let Ok(service) = net.allow.route(&parts.uri) else {
        record(net, "denied", &parts, 0, 0, (Instant::now(), Instant::now()));
        return Err(Error::HttpRequestDenied);
    };
    // Bodies are small JSON documents; buffering lets a refused (429) request go again.
    let body = body.collect().await?.to_bytes();
    let idempotent = matches!(parts.method, http::Method::GET | http::Method::HEAD);
    let (mut tries_429, mut tries_get, mut renewed) = (0, 0, false);
    let mut signer = match resolve(service, None).await {
        Ok(signer) => signer,
        Err(e) => return Ok(login_refused(&e)),
    };
    loop {
        let granted = match net.limiters.get(service.name) {
            Some(limiter) => limiter.acquire().await.into_std(),
            None => Instant::now(),
        };
        let mut attempt = parts.clone();
        if let Some(lease) = net.lease.get() {
            if !lease.may_act() {
                record(net, "fenced", &parts, 0, 0, (granted, Instant::now()));
                return Err(Error::InternalError(Some(LEASE_LOST.to_owned())));
            }
            stamp(&mut attempt.headers, lease);
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let nonce = format!("{:032x}", rand::random::<u128>());
        authorize(&signer, &mut attempt, now, &nonce).map_err(|_| Error::HttpRequestDenied)?;
        let started = Instant::now();
        let tls = net.tls.get(service.name).cloned().unwrap_or_else(crate::wire::tls::platform);
        let request = http::Request::from_parts(attempt, body.clone());
        let outcome = crate::wire::http_send::send(request, options, &tls, service.reach).await;
        let status = outcome.as_ref().map(|(r, _)| r.status().as_u16()).unwrap_or(0);
        let bytes = outcome.as_ref().ok().and_then(|(r, _)| content_length(r)).unwrap_or(0);
        record(net, service.name, &parts, status, bytes, (granted, started));
        match outcome {
            // A 401 was not processed: renew the Fortnox token once and go again.
            Ok((response, _)) if status == 401 && !renewed && matches!(service.credential, Credential::Fortnox(_)) => {
                drop(response);
                renewed = true;
                signer = match resolve(service, Some(&signer)).await {
                    Ok(signer) => signer,
                    Err(e) => return Ok(login_refused(&e)),
                };
            }
            // A refused certificate or destination stays refused: no retry. The component is
            // told why in one line (its error reaches the user).
            Err(Error::InternalError(why)) => {
                return Err(Error::InternalError(why.map(|w| w.replace('\n', " "))));
            }
            Ok((response, _)) if status == 429 && tries_429 < MAX_429_RETRIES => {
                drop(response);
                tries_429 += 1;
                tokio::time::sleep(backoff(net.retry_base, tries_429)).await;
            }
            Ok((response, _)) if idempotent && status >= 500 && tries_get < MAX_GET_RETRIES => {
                drop(response);
                tries_get += 1;
                tokio::time::sleep(backoff(net.retry_base, tries_get)).await;
            }
            Err(_) if idempotent && tries_get < MAX_GET_RETRIES => {
                tries_get += 1;
                tokio::time::sleep(backoff(net.retry_base, tries_get)).await;
            }
            Ok((response, io)) => return Ok((response, io)),
            Err(e) => return Err(e),
        }
    }
}

/// The service with a concrete credential: a Fortnox token set yields its current access
/// token, or, after a 401 to `rejected`, a renewed one.
async fn resolve(service: &Service, rejected: Option<&Service>) -> Result<Service, AuthError> {
    let Credential::Fortnox(tokens) = &service.credential else {
        return Ok(service.clone());
    };
    let token = match rejected.map(|s| &s.credential) {
        Some(Credential::Bearer(old)) => tokens.after_unauthorized(old).await?,
        _ => tokens.access_token().await?,
    };
    Ok(Service { credential: Credential::Bearer(token), ..service.clone() })
}

/// The host could not log in: answer the guest as Fortnox answers a refused login, with
/// the reason and what to do, and send nothing.
fn login_refused(e: &AuthError) -> (http::Response<WasiBody>, Io) {
    let body = serde_json::json!({ "ErrorInformation": { "error": 1, "code": 2000310, "message": e.to_string() } });
    let response = http::Response::builder()
        .status(401)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(bytes::Bytes::from(body.to_string())).map_err(|never| match never {}).boxed_unsync())
        .expect("a static response is valid");
    (response, Box::new(async { Ok(()) }))
}

/// Exponential backoff with jitter: between half and all of base, 2 × base, 4 × base, …
/// capped at 16 × base (8 s by default).
fn backoff(base: Duration, attempt: u32) -> Duration {
    let ceiling = base * (1u32 << (attempt.clamp(1, 5) - 1));
    ceiling.mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

fn content_length<B>(response: &http::Response<B>) -> Option<u64> {
    response.headers().get(http::header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Records method, host and path; never the query (it can carry OAuth parameters) nor headers.
/// `times`: when the limiter let the request go, and when it was sent.
fn record(
    net: &ConnectionNet,
    service: &'static str,
    parts: &http::request::Parts,
    status: u16,
    bytes: u64,
    (granted, started): (Instant, Instant),
) {
    let entry = Recorded {
        connection: net.name.clone(),
        service,
        method: parts.method.to_string(),
        host: parts.uri.host().unwrap_or_default().to_owned(),
        path: parts.uri.path().to_owned(),
        status,
        bytes,
        ms: started.elapsed().as_millis() as u64,
        sent: granted,
    };
    tracing::info!(
        connection = %entry.connection, service, method = %entry.method, host = %entry.host,
        path = %entry.path, status, bytes, ms = entry.ms, "request"
    );
    use std::sync::atomic::Ordering::Relaxed;
    net.stats.calls.fetch_add(1, Relaxed);
    if status == 429 {
        net.stats.rate_limited.fetch_add(1, Relaxed);
    }
    let mut record = net.record.lock().unwrap_or_else(|p| p.into_inner());
    if record.len() >= 2 * RECORD_KEEP {
        record.drain(..RECORD_KEEP);
    }
    record.push(entry);
}
