//! Fault knobs: what goes wrong with real services, on demand. Each knob counts down
//! over the next requests, so a test sets exactly how many calls are hit.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// The next N requests get 429 and are not processed (a rate-limit storm).
    pub rate_limited: u32,
    /// The next N requests get 503 and are not processed.
    pub server_errors: u32,
    /// Every request waits this long before it is handled.
    pub delay: Duration,
    /// The next N writes are committed, then the connection breaks before the answer
    /// arrives: the case that makes duplicates elsewhere.
    pub drop_after_commit: u32,
    /// When set, only writes to paths starting with this count for `drop_after_commit`
    /// (e.g. "/3/orders" drops document creations and nothing else).
    pub drop_only: Option<String>,
    /// The next N requests get this status and body instead of being processed
    /// (malformed JSON, a 403, …): `(N, status, body)`.
    pub canned: Option<(u32, u16, String)>,
    /// Random faults: this share of requests (in percent) meets one of the four kinds
    /// (429, 503, a slow answer, or for writes commit-then-drop), drawn from `chaos_seed`.
    pub chaos_percent: u32,
    pub chaos_seed: u64,
    chaos_rng: Option<rand::rngs::StdRng>,
    /// How many of each were served, for reports.
    pub served: Served,
}

impl Faults {
    /// One chaos draw for a request: (429, 503, slow, drop).
    fn chaos(&mut self, is_write: bool) -> (bool, bool, bool, bool) {
        use rand::{Rng, SeedableRng};
        if self.chaos_percent == 0 {
            return (false, false, false, false);
        }
        let seed = self.chaos_seed;
        let rng = self.chaos_rng.get_or_insert_with(|| rand::rngs::StdRng::seed_from_u64(seed));
        if rng.random_range(0..100) >= self.chaos_percent {
            return (false, false, false, false);
        }
        let kind = rng.random_range(0..if is_write { 4 } else { 3 });
        (kind == 0, kind == 1, kind == 2, kind == 3)
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Served {
    pub rate_limited: u32,
    pub server_errors: u32,
    pub dropped_after_commit: u32,
    pub slow: u32,
}

pub type SharedFaults = Arc<Mutex<Faults>>;

fn take(counter: &mut u32) -> bool {
    let hit = *counter > 0;
    *counter = counter.saturating_sub(1);
    hit
}

pub async fn apply(faults: SharedFaults, request: Request, next: Next) -> Response {
    let is_write = !matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let path = request.uri().path().to_owned();
    let (delay, limited, failed, drop) = {
        let mut f = crate::lock(&faults);
        if let Some((left, status, body)) = f.canned.as_mut() {
            let answer = (StatusCode::from_u16(*status).unwrap_or(StatusCode::OK), body.clone());
            *left -= 1;
            if *left == 0 {
                f.canned = None;
            }
            return (answer.0, [(axum::http::header::CONTENT_TYPE, "application/json")], answer.1).into_response();
        }
        let is_write = is_write && f.drop_only.as_ref().is_none_or(|p| path.starts_with(p.as_str()));
        let (c_limited, c_failed, c_slow, c_drop) = f.chaos(is_write);
        let limited = take(&mut f.rate_limited) || c_limited;
        let failed = !limited && (take(&mut f.server_errors) || c_failed);
        let drop = !limited && !failed && is_write && (take(&mut f.drop_after_commit) || c_drop);
        f.served.rate_limited += limited as u32;
        f.served.server_errors += failed as u32;
        f.served.dropped_after_commit += drop as u32;
        f.served.slow += c_slow as u32;
        let delay = if c_slow { f.delay + Duration::from_millis(400) } else { f.delay };
        (delay, limited, failed, drop)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if limited {
        return (StatusCode::TOO_MANY_REQUESTS, "").into_response();
    }
    if failed {
        return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
    }
    let response = next.run(request).await;
    if drop {
        return broken(response);
    }
    response
}

/// The handler's answer with its body cut off: the status line goes out, then the
/// connection breaks, so the client cannot know the write happened.
fn broken(response: Response) -> Response {
    let (mut parts, _) = response.into_parts();
    parts.headers.insert(axum::http::header::CONTENT_LENGTH, 1_000_000.into());
    let stream = failing_body();
    Response::from_parts(parts, Body::from_stream(stream))
}

fn failing_body() -> impl futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> {
    struct Fail(bool);
    impl futures_core::Stream for Fail {
        type Item = Result<bytes::Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if self.0 {
                return std::task::Poll::Ready(None);
            }
            self.0 = true;
            std::task::Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "simulated drop",
            ))))
        }
    }
    Fail(false)
}
