//! Whole flows that talk to both APIs. They reach the network only through a
//! [`transport::Transport`], which the component implements with `wasi:http` (the host
//! adds credentials and enforces the allow-list) and tests implement in memory.

pub mod check;
pub mod error;
pub mod fortnox_client;
pub mod report;
pub mod stock_flow;
pub mod transport;
pub mod woo_batch;
pub mod woo_client;

pub use error::SyncError;

/// Where the connection's services live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub fortnox: String,
    pub woocommerce: String,
}
