//! Every request either stand-in receives, for tests to count and inspect.

use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub service: &'static str,
    pub method: String,
    pub path: String,
    pub query: String,
    /// The `Authorization` header as received (tests check what the host injected).
    pub authorization: Option<String>,
    pub status: u16,
    /// When the request arrived.
    pub at: std::time::Instant,
    /// Which `woonox serve` process sent it, under which lease epoch (`x-woonox-process`,
    /// `x-woonox-epoch`), when it said so: how a cluster test sees who worked a connection.
    pub process: Option<String>,
    pub epoch: Option<i64>,
}

impl Logged {
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }
}

#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<Logged>>>);

impl RequestLog {
    pub fn push(&self, entry: Logged) {
        crate::lock(&self.0).push(entry);
    }

    pub fn entries(&self) -> Vec<Logged> {
        crate::lock(&self.0).clone()
    }

    pub fn count(&self, service: &str) -> usize {
        crate::lock(&self.0).iter().filter(|e| e.service == service).count()
    }

    pub fn clear(&self) {
        crate::lock(&self.0).clear();
    }
}

/// An axum middleware that logs each request with the status it got.
pub async fn record(
    service: &'static str,
    log: RequestLog,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let at = std::time::Instant::now();
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let authorization =
        request.headers().get(http_header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let process = header(&request, "x-woonox-process");
    let epoch = header(&request, "x-woonox-epoch").and_then(|e| e.parse().ok());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    log.push(Logged { service, method, path, query, authorization, status, at, process, epoch });
    response
}

use axum::http::header as http_header;

fn header(request: &axum::extract::Request, name: &str) -> Option<String> {
    request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}
