//! What one client, or many, may cost `serve`. The webhook port faces the internet, so
//! neither slow nor many nor large requests may exhaust memory or sockets:
//!
//! - the request head must arrive within the header timeout (hyper's `header_read_timeout`),
//!   which also closes idle keep-alive connections; heads are at most 32 KB;
//! - a whole request, body included, must be answered within the request timeout
//!   (tower-http's `TimeoutLayer`, 408): a body trickled in never holds its buffer for long;
//! - at most `connections` connections are open at once: beyond that, new ones wait in the
//!   kernel's backlog instead of taking file descriptors;
//! - at most `per_address` of them from one address: one more from it is closed at once,
//!   so one host cannot take them all (behind a proxy every client has the proxy's
//!   address, so there the proxy must limit per client, and this cap is off);
//! - `/hooks` takes at most [`HOOK_BODY_LIMIT`] bytes (413, from `Content-Length` before a
//!   byte of body is read), buffers at most `bodies` bodies at once (the rest wait, unread,
//!   in their sockets), and refuses a delivery without a signature header, or for a
//!   connection it does not have, before reading its body.
//!
//! The figures can be changed through environment variables (hidden, for tests and for
//! tuning): `WOONOX_SERVE_HEADER_TIMEOUT` and `WOONOX_SERVE_REQUEST_TIMEOUT` in seconds,
//! `WOONOX_SERVE_MAX_CONNECTIONS`, `WOONOX_SERVE_MAX_PER_ADDRESS`, `WOONOX_SERVE_MAX_BODIES`.

use super::Shared;
use anyhow::{Context, Result};
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// The largest webhook body. A WooCommerce order as its REST API returns it is a few KB,
/// about 1.5 KB more per line item with its meta and taxes: an order of 200 lines stays
/// under 400 KB. 1 MB leaves room for large orders and plugins' meta while 16 bodies in
/// flight cost at most 16 MB.
pub const HOOK_BODY_LIMIT: usize = 1024 * 1024;

/// WooCommerce's creation ping (`webhook_id=…`, unsigned) is never longer than this.
const PING_LIMIT: u64 = 64;

/// The largest request head (request line and headers) kept in memory per connection.
const HEAD_LIMIT: usize = 32 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    pub header_timeout: Duration,
    pub request_timeout: Duration,
    pub connections: usize,
    /// `None` behind a proxy.
    pub per_address: Option<usize>,
    pub bodies: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            // Room for a 1 MB delivery over a slow link (35 KB/s) and a slow state file.
            request_timeout: Duration::from_secs(30),
            // Well under the usual 1024 open files, leaving room for the state file,
            // the component cache and outgoing calls.
            connections: 512,
            // A store sends a delivery at a time per webhook; a browser opens six.
            per_address: Some(64),
            bodies: 16,
        }
    }
}

impl Limits {
    /// The defaults, with any `WOONOX_SERVE_*` figure set in the environment.
    pub fn from_env() -> Result<Limits> {
        let mut limits = Limits::default();
        if let Some(s) = env_number::<f64>("WOONOX_SERVE_HEADER_TIMEOUT")? {
            limits.header_timeout = Duration::from_secs_f64(s);
        }
        if let Some(s) = env_number::<f64>("WOONOX_SERVE_REQUEST_TIMEOUT")? {
            limits.request_timeout = Duration::from_secs_f64(s);
        }
        if let Some(n) = env_number("WOONOX_SERVE_MAX_CONNECTIONS")? {
            limits.connections = n;
        }
        if let Some(n) = env_number("WOONOX_SERVE_MAX_PER_ADDRESS")? {
            limits.per_address = Some(n);
        }
        if let Some(n) = env_number("WOONOX_SERVE_MAX_BODIES")? {
            limits.bodies = n;
        }
        Ok(limits)
    }
}

fn env_number<T: std::str::FromStr>(name: &str) -> Result<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(name) {
        Ok(text) => Ok(Some(text.trim().parse().with_context(|| format!("{name}={text:?} is not a number"))?)),
        Err(_) => Ok(None),
    }
}

/// The layers in front of the webhook handler, outermost first: refuse what needs no body
/// to refuse, cap the body's size, then wait for one of the `bodies` slots.
pub fn hooks_route(shared: Arc<Shared>, limits: &Limits) -> axum::routing::MethodRouter<Arc<Shared>> {
    use tower::ServiceBuilder;
    axum::routing::post(super::webhooks::woocommerce).layer(
        ServiceBuilder::new()
            .layer(axum::middleware::from_fn_with_state(shared, admission))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(HOOK_BODY_LIMIT))
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(limits.bodies.max(1))),
    )
}

/// A delivery for a connection we do not have, or without a signature header, is refused
/// here, before its body is read. WooCommerce's creation ping is the one unsigned request
/// let through, and only when it says it is tiny.
async fn admission(
    State(shared): State<Arc<Shared>>,
    Path(connection): Path<String>,
    request: Request,
    next: Next,
) -> Response {
    if !shared.connections.contains_key(&connection) {
        return (StatusCode::NOT_FOUND, "no such connection\n").into_response();
    }
    let headers = request.headers();
    if !headers.contains_key("x-wc-webhook-signature") {
        let form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let length = headers.get(header::CONTENT_LENGTH).and_then(|l| l.to_str().ok()?.parse::<u64>().ok());
        if !(form && length.is_some_and(|l| l <= PING_LIMIT)) {
            return (StatusCode::UNAUTHORIZED, "missing X-WC-Webhook-Signature\n").into_response();
        }
    }
    next.run(request).await
}

/// The whole app with the request timeout around every route.
pub fn with_request_timeout(app: axum::Router, limits: &Limits) -> axum::Router {
    app.layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
}

/// Serves `app` on `listener` until `stop` turns true, then lets the requests in hand finish
/// (for at most the request timeout).
pub async fn serve(listener: TcpListener, app: axum::Router, limits: &Limits, mut stop: watch::Receiver<bool>) {
    let slots = Arc::new(Semaphore::new(limits.connections.max(1)));
    let per_address = Arc::new(std::sync::Mutex::new(std::collections::HashMap::new()));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(HEAD_LIMIT);
    loop {
        // Take a slot before accepting: beyond the cap, connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            _ = stop.wait_for(|s| *s) => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, or a connection reset before it was accepted:
                // pause rather than spin, then go on.
                tracing::warn!("cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(counted) = PerAddress::take(&per_address, peer.ip(), limits.per_address) else {
            tracing::debug!(peer = %peer.ip(), "too many connections from one address; closed");
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Errors here are a client's (a timeout, a reset, a malformed head).
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
            drop((slot, counted));
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.request_timeout, graceful.shutdown()).await;
}

type Counts = Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>;

/// One open connection counted against its address until dropped.
struct PerAddress {
    counts: Counts,
    ip: std::net::IpAddr,
}

impl PerAddress {
    /// `None` when `ip` already has `cap` connections open.
    fn take(counts: &Counts, ip: std::net::IpAddr, cap: Option<usize>) -> Option<PerAddress> {
        let mut open = counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_default();
        if cap.is_some_and(|cap| *n >= cap) {
            return None;
        }
        *n += 1;
        Some(PerAddress { counts: counts.clone(), ip })
    }
}

impl Drop for PerAddress {
    fn drop(&mut self) {
        let mut open = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_at_its_cap_is_refused_until_one_of_its_connections_ends() {
        let counts = Counts::default();
        let (a, b) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        let held: Vec<PerAddress> = (0..3).map(|_| PerAddress::take(&counts, a, Some(3)).unwrap()).collect();
        assert!(PerAddress::take(&counts, a, Some(3)).is_none());
        assert!(PerAddress::take(&counts, b, Some(3)).is_some(), "another address is not held up");
        drop(held);
        assert!(PerAddress::take(&counts, a, Some(3)).is_some());
        assert!(counts.lock().unwrap().is_empty(), "nothing left counted");
        assert!(PerAddress::take(&counts, a, None).is_some(), "no cap behind a proxy");
    }
}
