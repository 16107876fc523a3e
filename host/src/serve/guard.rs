//! Who may read the status page and `/metrics` and use the page's buttons. Every request
//! to them passes [`check`]:
//!
//! - `Host` must name this server (the bind address, `localhost` when bound to loopback,
//!   or the `--public-url`): a page on another name reaching us through DNS rebinding gets
//!   421 and never sees orders or customers.
//! - A POST must come from our own origin (`Origin`, `Sec-Fetch-Site`) and carry the
//!   page's CSRF token: another site's form gets 403 and queues nothing.
//! - With a status token (required beyond loopback and behind a proxy) the request must
//!   carry it as `Authorization: Bearer` or the HttpOnly, SameSite=Strict session cookie
//!   set by the login form. Never in the URL: URLs end up in proxy logs, browser history
//!   and `Referer` headers.
//!
//! `/hooks` and `/healthz` do not pass here: a delivery has its own HMAC, and health
//! checks reveal nothing.

use super::Shared;
use anyhow::{Context, Result, bail};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

/// The session cookie the login form sets.
pub const SESSION_COOKIE: &str = "woonox_session";

/// The largest form the page posts (a held item's key and the CSRF token).
const FORM_LIMIT: usize = 16 * 1024;

pub struct GuardOptions {
    pub bind: SocketAddr,
    pub token: Option<String>,
    pub token_file: Option<std::path::PathBuf>,
    /// Where a reverse proxy publishes the page, e.g. `https://woonox.example`.
    pub public_url: Option<String>,
    pub behind_proxy: bool,
}

pub struct Guard {
    bind: SocketAddr,
    public: Option<PublicOrigin>,
    token: Option<String>,
    /// The session cookie's value: derived from the token, so it proves the token without
    /// being it, and changes when the token does.
    session: Option<String>,
    /// Random per process; every form on the page carries it.
    csrf: String,
}

/// The scheme, host and port browsers see behind the proxy.
struct PublicOrigin {
    https: bool,
    host: String,
    port: u16,
}

impl Guard {
    pub fn new(options: GuardOptions) -> Result<Guard> {
        let token = match (&options.token, &options.token_file) {
            (_, Some(file)) => Some(read_token_file(file)?),
            (Some(token), None) => Some(token.clone()),
            (None, None) => None,
        }
        .filter(|t| !t.is_empty());
        let public = options.public_url.as_deref().map(PublicOrigin::parse).transpose()?;
        let behind_proxy = options.behind_proxy || public.is_some();
        if token.is_none() && behind_proxy {
            bail!(
                "behind a proxy everyone who reaches the proxy reaches the status page: give --token-file FILE \
                 (or WOONOX_STATUS_TOKEN)"
            );
        }
        if token.is_none() && !options.bind.ip().is_loopback() {
            bail!(
                "the status page would be reachable from other machines: give --token-file FILE (or WOONOX_STATUS_TOKEN, \
                 or --token)"
            );
        }
        let session = token.as_deref().map(session_for);
        let csrf = format!("{:032x}{:032x}", rand::random::<u128>(), rand::random::<u128>());
        Ok(Guard { bind: options.bind, public, token, session, csrf })
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    pub fn wants_token(&self) -> bool {
        self.token.is_some()
    }

    /// Whether `given` is the status token (constant time in its content).
    pub fn is_token(&self, given: &str) -> bool {
        self.token.as_deref().is_some_and(|t| same(given, t))
    }

    /// The `Set-Cookie` value that signs the browser in.
    pub fn session_cookie(&self) -> Option<String> {
        let secure = if self.public.as_ref().is_some_and(|p| p.https) { "; Secure" } else { "" };
        let value = self.session.as_deref()?;
        Some(format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict{secure}"))
    }

    /// Whether `authority` (a `Host` header, or an `Origin`'s host and port) names this
    /// server as reached directly.
    fn names_bind(&self, host: &str, port: Option<u16>) -> bool {
        if port.unwrap_or(80) != self.bind.port() {
            return false;
        }
        let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if self.bind.ip().is_unspecified() {
            // Bound to every address: any of the machine's addresses, but never a name,
            // since a name is what DNS rebinding points at us.
            return ip.is_some();
        }
        ip == Some(self.bind.ip()) || (self.bind.ip().is_loopback() && host.eq_ignore_ascii_case("localhost"))
    }

    fn names_public(&self, https: bool, host: &str, port: Option<u16>) -> bool {
        self.public.as_ref().is_some_and(|p| {
            p.https == https && p.host.eq_ignore_ascii_case(host) && port.unwrap_or(default_port(p.https)) == p.port
        })
    }

    /// `Host` as the request gives it.
    pub fn host_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(authority) = text(headers, header::HOST).and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
        else {
            return false;
        };
        let (host, port) = (authority.host(), authority.port_u16());
        // Behind a proxy that forwards its own Host the scheme is not known here, so either matches.
        self.names_bind(host, port) || self.names_public(true, host, port) || self.names_public(false, host, port)
    }

    /// Whether a state-changing request comes from our own page. Browsers send `Origin` on
    /// every POST and `Sec-Fetch-Site` on every request; a client that sends neither is
    /// not a browser and needs the CSRF token (and the status token) anyway.
    pub fn same_origin(&self, headers: &HeaderMap) -> bool {
        if text(headers, "sec-fetch-site").is_some_and(|s| s != "same-origin" && s != "none") {
            return false;
        }
        let Some(origin) = text(headers, header::ORIGIN) else { return true };
        let Ok(uri) = origin.parse::<Uri>() else { return false };
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else { return false };
        let (host, port) = (authority.host(), authority.port_u16());
        let https = scheme.eq_ignore_ascii_case("https");
        (scheme.eq_ignore_ascii_case("http") && self.names_bind(host, port)) || self.names_public(https, host, port)
    }

    /// Whether the request carries the token (always, when none is set).
    pub fn signed_in(&self, headers: &HeaderMap) -> bool {
        let (Some(token), Some(session)) = (self.token.as_deref(), self.session.as_deref()) else { return true };
        let bearer = text(headers, header::AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer "));
        if bearer.is_some_and(|b| same(b, token)) {
            return true;
        }
        let cookies = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
        let mut values = cookies.flat_map(|c| c.split(';')).filter_map(|c| c.trim().split_once('='));
        values.any(|(name, value)| name == SESSION_COOKIE && same(value, session))
    }
}

impl PublicOrigin {
    fn parse(url: &str) -> Result<PublicOrigin> {
        let uri: Uri = url.parse().with_context(|| format!("--public-url {url:?} is not a URL"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => bail!("--public-url {url:?}: give http:// or https://"),
        };
        let Some(authority) = uri.authority() else { bail!("--public-url {url:?} names no host") };
        if !matches!(uri.path(), "" | "/") {
            bail!("--public-url {url:?}: the page must be at the root of its host (the proxy may strip a prefix)");
        }
        let port = authority.port_u16().unwrap_or(default_port(https));
        Ok(PublicOrigin { https, host: authority.host().to_ascii_lowercase(), port })
    }
}

fn default_port(https: bool) -> u16 {
    if https { 443 } else { 80 }
}

fn text(headers: &HeaderMap, name: impl axum::http::header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn same(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && given.bytes().zip(expected.bytes()).fold(0, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn session_for(token: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(token.as_bytes()).expect("HMAC takes any key length");
    mac.update(b"woonox status page session v1");
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// The token from its file: the first line, without surrounding whitespace.
fn read_token_file(file: &Path) -> Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read the token file {}", file.display()))?;
    let token = text.lines().next().unwrap_or_default().trim().to_owned();
    if token.is_empty() {
        bail!("the token file {} is empty", file.display());
    }
    Ok(token)
}

/// The middleware in front of the page, its actions, the login form and `/metrics`.
pub async fn check(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let guard = &shared.guard;
    let mut response = match admit(guard, request).await {
        Ok(request) => next.run(request).await,
        Err(refusal) => refusal,
    };
    // Nothing on these pages may be kept by a cache or leak through a link or a frame.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CONTENT_SECURITY_POLICY, POLICY.clone());
    response
}

/// No script but the page's own refresh (by its hash), no frames, forms only to here.
static POLICY: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    use base64::Engine as _;
    use sha2::Digest as _;
    let script = sha2::Sha256::digest(super::status_page::REFRESH_SCRIPT.as_bytes());
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{}'; connect-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        base64::engine::general_purpose::STANDARD.encode(script)
    );
    HeaderValue::from_str(&policy).expect("the policy is plain ASCII")
});

/// The request, let through (a POST's body read and put back), or the refusal.
async fn admit(guard: &Guard, request: Request) -> Result<Request, Response> {
    if !guard.host_allowed(request.headers()) {
        return Err((
            StatusCode::MISDIRECTED_REQUEST,
            "this server answers only to its own address; behind a proxy, give --public-url\n",
        )
            .into_response());
    }
    let post = !matches!(*request.method(), Method::GET | Method::HEAD);
    if post && !guard.same_origin(request.headers()) {
        return Err((StatusCode::FORBIDDEN, "refused: the request comes from another site\n").into_response());
    }
    if request.uri().path() == "/login" {
        return Ok(request);
    }
    if !guard.signed_in(request.headers()) {
        return Err(super::login::form(StatusCode::UNAUTHORIZED, "Sign in with the status token."));
    }
    if !post {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return Err(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    let csrf = form_urlencoded::parse(&bytes).find(|(name, _)| name == "csrf").map(|(_, v)| v.into_owned());
    if !csrf.is_some_and(|c| same(&c, guard.csrf())) {
        return Err(
            (StatusCode::FORBIDDEN, "refused: the form is stale or from elsewhere; reload the page\n").into_response()
        );
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(bind: &str, public_url: Option<&str>) -> Guard {
        let options = GuardOptions {
            bind: bind.parse().unwrap(),
            token: Some("t0ken".into()),
            token_file: None,
            public_url: public_url.map(str::to_owned),
            behind_proxy: false,
        };
        Guard::new(options).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn host_names_the_bind_address_or_the_public_url() {
        let g = guard("127.0.0.1:8484", Some("https://woonox.example"));
        for ok in ["127.0.0.1:8484", "localhost:8484", "LOCALHOST:8484", "woonox.example", "woonox.example:443"] {
            assert!(g.host_allowed(&headers(&[("host", ok)])), "{ok}");
        }
        for bad in ["evil.example:8484", "127.0.0.1:8485", "127.0.0.1", "10.0.0.1:8484", "woonox.example:8443"] {
            assert!(!g.host_allowed(&headers(&[("host", bad)])), "{bad}");
        }
        assert!(!g.host_allowed(&HeaderMap::new()), "no Host at all");
        let any = guard("0.0.0.0:8484", None);
        assert!(any.host_allowed(&headers(&[("host", "192.0.2.7:8484")])));
        assert!(any.host_allowed(&headers(&[("host", "[::1]:8484")])));
        assert!(!any.host_allowed(&headers(&[("host", "rebind.evil.example:8484")])));
    }

    #[test]
    fn a_post_must_come_from_our_own_origin() {
        let g = guard("127.0.0.1:8484", Some("https://woonox.example"));
        assert!(g.same_origin(&headers(&[("origin", "http://127.0.0.1:8484")])));
        assert!(g.same_origin(&headers(&[("origin", "https://woonox.example")])));
        assert!(g.same_origin(&HeaderMap::new()), "not a browser: the CSRF token decides");
        for bad in ["http://evil.example", "null", "http://woonox.example", "https://127.0.0.1:8484"] {
            assert!(!g.same_origin(&headers(&[("origin", bad)])), "{bad}");
        }
        assert!(!g.same_origin(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!g.same_origin(&headers(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn the_token_is_taken_as_bearer_or_session_cookie_only() {
        let g = guard("127.0.0.1:8484", None);
        assert!(!g.signed_in(&HeaderMap::new()));
        assert!(g.signed_in(&headers(&[("authorization", "Bearer t0ken")])));
        assert!(!g.signed_in(&headers(&[("authorization", "Bearer t0kem")])));
        let cookie = g.session_cookie().unwrap();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && !cookie.contains("t0ken"));
        let pair = cookie.split(';').next().unwrap();
        assert!(g.signed_in(&headers(&[("cookie", &format!("a=b; {pair}"))])));
        assert!(!g.signed_in(&headers(&[("cookie", &format!("{SESSION_COOKIE}=t0ken"))])));
    }

    #[test]
    fn a_proxy_or_a_public_bind_needs_a_token() {
        let options = |bind: &str, public_url: Option<&str>, behind_proxy| GuardOptions {
            bind: bind.parse().unwrap(),
            token: None,
            token_file: None,
            public_url: public_url.map(str::to_owned),
            behind_proxy,
        };
        assert!(Guard::new(options("127.0.0.1:1", None, false)).is_ok());
        assert!(Guard::new(options("127.0.0.1:1", None, true)).is_err());
        assert!(Guard::new(options("127.0.0.1:1", Some("https://w.example"), false)).is_err());
        assert!(Guard::new(options("0.0.0.0:1", None, false)).is_err());
    }
}
