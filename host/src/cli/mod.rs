//! The command line's pieces; `main.rs` declares the commands and dispatches here.

pub mod bench;
pub mod bench_cluster;
pub mod bench_serve;
pub mod check;
pub mod connect;
pub mod demo;
pub mod doctor;
pub mod map_io;
pub mod map_many;
pub mod progress;
pub mod sim;
pub mod stand_ins;
pub mod sync;

/// The input, the settings or the connection need the user: exit 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Any error as "the user must act": exit 2.
pub fn bad<E: std::fmt::Display>(e: E) -> anyhow::Error {
    BadInput(format!("{e:#}")).into()
}
