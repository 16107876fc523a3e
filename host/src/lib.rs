//! The woonox host: runs the sandboxed sync component and gives it what it may use.

pub mod activity;
pub mod bindings;
pub mod component_cache;
pub mod config;
pub mod connect;
pub mod connection;
pub mod connector_bindings;
pub mod destination;
pub mod fortnox_auth;
pub mod guest_kv;
pub mod guest_log;
pub mod held;
pub mod http_hooks;
pub mod http_policy;
pub mod http_send;
pub mod permissions;
pub mod plugin;
pub mod queue;
pub mod rate_limit;
pub mod runtime;
pub mod secrets;
pub mod serve;
pub mod settings_file;
pub mod store;
pub mod tls;
pub mod webhook_setup;
pub mod wit_settings;
pub mod woo_oauth1;

/// This process's peak resident memory (Linux `VmHWM`), in MB; 0 where unknown.
pub fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
