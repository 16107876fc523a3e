//! What the component may reach, and the credentials the host adds on the way out.
//!
//! The decision is made on the request's final URI (scheme, host and port), never on a
//! Host header the guest could forge; anything not configured for the connection is
//! refused before a connection is made. The guest never holds a secret: it may not set
//! `Authorization` (or `Host`), and the host signs each request itself.

use crate::wire::woo_oauth1;
use base64::Engine as _;
use http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Uri};

/// Headers the guest may never set: credentials are the host's business.
pub const GUEST_FORBIDDEN: [HeaderName; 4] =
    [AUTHORIZATION, http::header::HOST, http::header::PROXY_AUTHORIZATION, http::header::COOKIE];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of a configured base URL such as `https://api.fortnox.se/3/`.
    pub fn parse(url: &str) -> Result<Origin, String> {
        let uri: Uri = url.parse().map_err(|e| format!("{url:?} is not a URL: {e}"))?;
        Origin::of(&uri).ok_or_else(|| format!("{url:?} needs a scheme (http or https) and a host"))
    }

    /// `None` when the URI has no scheme or no host (an empty authority is never allowed).
    pub fn of(uri: &Uri) -> Option<Origin> {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host().filter(|h| !h.is_empty())?.to_ascii_lowercase();
        let port = uri.port_u16().or(match scheme.as_str() {
            "https" => Some(443),
            "http" => Some(80),
            _ => None,
        })?;
        Some(Origin { scheme, host, port })
    }
}

/// How the host proves who it is to a service.
#[derive(Clone)]
pub enum Credential {
    /// `Authorization: Bearer <access token>`, a fixed token.
    Bearer(String),
    /// Fortnox: a Bearer token from the connection's rotating token set.
    Fortnox(std::sync::Arc<crate::wire::fortnox_auth::FortnoxTokens>),
    /// WooCommerce API keys: Basic over HTTPS, OAuth 1.0a signatures over plain HTTP.
    WooKeys {
        consumer_key: String,
        consumer_secret: String,
        /// The store's home URL as WordPress knows it; OAuth signs against it.
        home_url: String,
    },
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a secret, not even in a debug log.
        match self {
            Credential::Bearer(_) | Credential::Fortnox(_) => f.write_str("Bearer(<redacted>)"),
            Credential::WooKeys { home_url, .. } => write!(f, "WooKeys({home_url}, <redacted>)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: &'static str,
    pub origin: Origin,
    pub credential: Credential,
    /// Which addresses its host may resolve to (see destination.rs).
    pub reach: crate::wire::destination::Reach,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The services one connection may reach.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    services: Vec<Service>,
}

impl AllowList {
    pub fn new(services: Vec<Service>) -> Self {
        AllowList { services }
    }

    /// The service `uri` belongs to, or why it is refused.
    pub fn route(&self, uri: &Uri) -> Result<&Service, Denied> {
        let origin = Origin::of(uri).ok_or_else(|| Denied(format!("{uri} has no scheme or host")))?;
        self.services.iter().find(|s| s.origin == origin).ok_or_else(|| {
            Denied(format!(
                "{}://{}:{} is not one of this connection's services",
                origin.scheme, origin.host, origin.port
            ))
        })
    }
}

/// Adds the service's credentials to an outgoing request. Whatever `oauth_*` parameters
/// the request carries (WooCommerce's `Link` header echoes the previous page's) are
/// dropped and the request is signed afresh.
pub fn authorize(service: &Service, parts: &mut http::request::Parts, now: u64, nonce: &str) -> Result<(), Denied> {
    match &service.credential {
        Credential::Bearer(token) => set_authorization(parts, &format!("Bearer {token}")),
        Credential::Fortnox(_) => Err(Denied("a Fortnox token must be resolved before signing".into())),
        Credential::WooKeys { consumer_key, consumer_secret, .. } if service.origin.scheme == "https" => {
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{consumer_key}:{consumer_secret}"));
            set_authorization(parts, &format!("Basic {pair}"))
        }
        Credential::WooKeys { consumer_key, consumer_secret, home_url } => {
            let query: Vec<(String, String)> = query_pairs(parts.uri.query().unwrap_or(""))
                .into_iter()
                .filter(|(k, _)| !k.starts_with("oauth_"))
                .collect();
            let base_url = format!("{}{}", home_url.trim_end_matches('/'), parts.uri.path());
            let creds = woo_oauth1::Credentials { consumer_key, consumer_secret };
            let method = parts.method.as_str();
            let oauth = woo_oauth1::signed_params(
                &creds,
                woo_oauth1::Method::HmacSha256,
                method,
                &base_url,
                &query,
                now,
                nonce,
            );
            let all: Vec<String> = query
                .iter()
                .chain(oauth.iter())
                .map(|(k, v)| format!("{}={}", woo_oauth1::encode(k), woo_oauth1::encode(v)))
                .collect();
            let path_and_query: PathAndQuery =
                format!("{}?{}", parts.uri.path(), all.join("&")).parse().map_err(|e| Denied(format!("{e}")))?;
            let mut uri = parts.uri.clone().into_parts();
            uri.path_and_query = Some(path_and_query);
            parts.uri = Uri::from_parts(uri).map_err(|e| Denied(format!("{e}")))?;
            Ok(())
        }
    }
}

fn set_authorization(parts: &mut http::request::Parts, value: &str) -> Result<(), Denied> {
    let mut value =
        HeaderValue::from_str(value).map_err(|_| Denied("a credential has characters HTTP cannot carry".into()))?;
    value.set_sensitive(true);
    parts.headers.insert(AUTHORIZATION, value);
    Ok(())
}

/// Decoded `key=value` pairs of a query string (`+` is a space, as PHP reads it).
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> AllowList {
        AllowList::new(vec![
            Service {
                name: "fortnox",
                origin: Origin::parse("https://api.fortnox.se/3/").unwrap(),
                credential: Credential::Bearer("access-token-1".into()),
                reach: Default::default(),
            },
            Service {
                name: "woocommerce",
                origin: Origin::parse("http://127.0.0.1:8088").unwrap(),
                credential: Credential::WooKeys {
                    consumer_key: "ck_1".into(),
                    consumer_secret: "cs_1".into(),
                    home_url: "http://127.0.0.1:8088".into(),
                },
                reach: Default::default(),
            },
        ])
    }

    fn parts(uri: &str) -> http::request::Parts {
        http::Request::get(uri).body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_configured_origins_pass() {
        let list = services();
        assert_eq!(list.route(&"https://api.fortnox.se/3/articles".parse().unwrap()).unwrap().name, "fortnox");
        assert_eq!(list.route(&"https://API.fortnox.se:443/3/x".parse().unwrap()).unwrap().name, "fortnox");
        assert_eq!(
            list.route(&"http://127.0.0.1:8088/wp-json/wc/v3/products".parse().unwrap()).unwrap().name,
            "woocommerce"
        );
        for denied in [
            "http://api.fortnox.se/3/articles",       // wrong scheme
            "https://api.fortnox.se:8443/3/articles", // wrong port
            "https://apps.fortnox.se/oauth-v1/token", // the token endpoint is the host's alone
            "https://evil.example/3/articles",
            "http://127.0.0.1:8089/",
            "/relative/only",
        ] {
            assert!(list.route(&denied.parse().unwrap()).is_err(), "{denied} passed");
        }
    }

    #[test]
    fn fortnox_gets_a_bearer_token_marked_sensitive() {
        let list = services();
        let mut p = parts("https://api.fortnox.se/3/articles");
        authorize(list.route(&p.uri).unwrap(), &mut p, 0, "n").unwrap();
        assert_eq!(p.headers[AUTHORIZATION], "Bearer access-token-1");
        assert!(p.headers[AUTHORIZATION].is_sensitive());
    }

    #[test]
    fn woocommerce_over_https_gets_basic_auth() {
        let service = Service {
            name: "woocommerce",
            origin: Origin::parse("https://shop.example").unwrap(),
            credential: Credential::WooKeys {
                consumer_key: "ck_1".into(),
                consumer_secret: "cs_1".into(),
                home_url: "https://shop.example".into(),
            },
            reach: Default::default(),
        };
        let mut p = parts("https://shop.example/wp-json/wc/v3/products");
        authorize(&service, &mut p, 0, "n").unwrap();
        assert_eq!(p.headers[AUTHORIZATION], "Basic Y2tfMTpjc18x");
        assert_eq!(p.uri.query(), None, "no key in the URL over HTTPS");
    }

    /// A `Link` header's next page repeats the previous request's oauth_* parameters;
    /// they are dropped and the page is signed afresh, query parameters included.
    #[test]
    fn woocommerce_over_http_is_signed_afresh() {
        let list = services();
        let link = "http://127.0.0.1:8088/wp-json/wc/v3/products?per_page=2&page=2&oauth_consumer_key=ck_1&oauth_nonce=old&oauth_signature_method=HMAC-SHA256&oauth_timestamp=1&oauth_signature=stale";
        let mut p = parts(link);
        authorize(list.route(&p.uri).unwrap(), &mut p, 1714550400, "fresh").unwrap();
        let q = query_pairs(p.uri.query().unwrap());
        let get = |k: &str| q.iter().filter(|(key, _)| key == k).map(|(_, v)| v.as_str()).collect::<Vec<_>>();
        assert_eq!(get("oauth_nonce"), ["fresh"]);
        assert_eq!(get("oauth_timestamp"), ["1714550400"]);
        assert_eq!(get("page"), ["2"]);
        let unsigned: Vec<(String, String)> = q.iter().filter(|(k, _)| k != "oauth_signature").cloned().collect();
        let base = woo_oauth1::base_string("GET", "http://127.0.0.1:8088/wp-json/wc/v3/products", &unsigned);
        assert_eq!(get("oauth_signature"), [woo_oauth1::sign(woo_oauth1::Method::HmacSha256, "cs_1", &base)]);
        assert!(p.headers.get(AUTHORIZATION).is_none(), "WordPress ignores Basic over plain HTTP");
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let text = format!("{:?}", services());
        assert!(!text.contains("access-token-1") && !text.contains("cs_1"), "{text}");
    }
}
