//! The woonox host: runs the sandboxed sync component and gives it what it may use.

pub mod connections;
pub mod doctor;
pub mod runtime;
pub mod serve;
pub mod state;
pub mod wire;

/// This process's peak resident memory (Linux `VmHWM`), in MB; 0 where unknown.
pub fn peak_rss_mb() -> f64 {
    peak_rss_mb_of("self")
}

/// The peak resident memory of process `pid` ("self" for this one), in MB; 0 where unknown.
pub fn peak_rss_mb_of(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
