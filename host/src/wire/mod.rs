//! The wire: every call to WooCommerce or Fortnox, with its policy (allowed hosts, destinations,
//! TLS), its rate limits and its authentication (OAuth 1.0a, Fortnox's tokens).

pub mod destination;
pub mod fortnox_auth;
pub mod http_hooks;
pub mod http_policy;
pub mod http_send;
pub mod rate_limit;
pub mod tls;
pub mod woo_oauth1;
