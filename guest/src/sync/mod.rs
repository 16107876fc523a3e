//! Whole flows that talk to both APIs. They reach the network only through a
//! [`transport::Transport`] and remember through a [`state::Kv`]; the component
//! implements both with WASI (the host adds credentials, enforces the allow-list and keeps
//! the SQLite file), tests implement them in memory.

pub mod api;
pub mod check;
pub mod credit_invoice;
pub mod credit_notes_flow;
pub mod currency_rates;
pub mod cursor;
pub mod customers;
pub mod doctor;
pub mod doctor_fortnox;
pub mod doctor_webhooks;
pub mod doctor_woo;
pub mod error;
pub mod events;
pub mod fortnox_client;
pub mod held;
pub mod invoice_event;
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

/// Runs `flows` in order, as `sync all` does, with the invoices and credit-notes flows
/// sharing one read of Fortnox's invoices. Stops at the first flow that cannot go on:
/// the reports so far, and why.
pub fn run_all(ctx: &Ctx, flows: &[Flow]) -> (Vec<report::Report>, Option<SyncError>) {
    let both = flows.contains(&Flow::Invoices) && flows.contains(&Flow::CreditNotes);
    let mut shared = None;
    let mut reports = Vec::new();
    for &flow in flows {
        let result = match flow {
            Flow::Invoices | Flow::CreditNotes if both => on_shared_read(ctx, flow, &mut shared),
            _ => run(ctx, flow),
        };
        match result {
            Ok(report) => reports.push(report),
            Err(e) => return (reports, Some(e)),
        }
    }
    (reports, None)
}

/// The invoices or credit-notes flow over the read both share, made by whichever runs first.
fn on_shared_read(
    ctx: &Ctx,
    flow: Flow,
    shared: &mut Option<our_invoices::Listing>,
) -> Result<report::Report, SyncError> {
    use our_invoices::ReadMark;
    let (mine, theirs) = match flow {
        Flow::Invoices => (invoices_flow::FLOW, credit_notes_flow::FLOW),
        _ => (credit_notes_flow::FLOW, invoices_flow::FLOW),
    };
    let mark = ReadMark::load(ctx, mine)?;
    if shared.is_none() {
        *shared = Some(our_invoices::read(ctx, &[&mark, &ReadMark::load(ctx, theirs)?])?);
    }
    let listing = shared.as_ref().expect("read above");
    match flow {
        Flow::Invoices => invoices_flow::run_over(ctx, mark, listing),
        _ => credit_notes_flow::run_over(ctx, mark, listing),
    }
}
