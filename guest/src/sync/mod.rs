//! Whole flows that talk to both APIs. They reach the network only through a
//! [`transport::Transport`] and remember through a [`state::Kv`]; the component
//! implements both with WASI (the host adds credentials, enforces the allow-list and keeps
//! the SQLite file), tests implement them in memory.

pub mod api;
pub mod check;
pub mod credit_invoice;
pub mod credit_notes_flow;
pub mod cursor;
pub mod customers;
pub mod error;
pub mod events;
pub mod fortnox_client;
pub mod held;
pub mod invoices_flow;
pub mod links;
pub mod order_follow_up;
pub mod order_notes;
pub mod orders_flow;
pub mod our_invoices;
pub mod product_writer;
pub mod products_flow;
pub mod refunds_flow;
pub mod report;
pub mod state;
pub mod stock_flow;
pub mod tax_classes;
pub mod transport;
pub mod woo_batch;
pub mod woo_client;

pub use error::SyncError;

use crate::settings::Settings;

/// Where the connection's services live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub fortnox: String,
    pub woocommerce: String,
}

/// Told how far a flow has come, for a progress bar.
pub trait Progress {
    fn step(&self, flow: &str, done: u64, total: u64);
}

pub struct NoProgress;

impl Progress for NoProgress {
    fn step(&self, _: &str, _: u64, _: u64) {}
}

/// Everything a flow run works with.
pub struct Ctx<'a> {
    pub net: &'a dyn transport::Transport,
    pub kv: &'a dyn state::Kv,
    pub endpoints: &'a Endpoints,
    pub settings: &'a Settings,
    pub dry_run: bool,
    pub progress: &'a dyn Progress,
}

impl Ctx<'_> {
    pub fn fortnox(&self, path: &str) -> String {
        api::fortnox_url(&self.endpoints.fortnox, path)
    }

    pub fn woo(&self, route: &str) -> String {
        api::woo_url(&self.endpoints.woocommerce, route)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Products,
    Stock,
    Orders,
    Customers,
    Invoices,
    CreditNotes,
    Refunds,
}

/// Runs one flow.
pub fn run(ctx: &Ctx, flow: Flow) -> Result<report::Report, SyncError> {
    match flow {
        Flow::Products => products_flow::run(ctx),
        Flow::Stock => stock_flow::run(ctx),
        Flow::Orders => orders_flow::run(ctx),
        Flow::Customers => customers::run(ctx),
        Flow::Refunds => refunds_flow::run(ctx),
        Flow::Invoices => invoices_flow::run(ctx),
        Flow::CreditNotes => credit_notes_flow::run(ctx),
    }
}
