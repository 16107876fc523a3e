//! Stand-ins for Fortnox and WooCommerce on loopback, as strict as the real services: a
//! test that passes against a lenient fake proves nothing. Each service logs every
//! request so tests can count and inspect calls.

// Handlers answer early with a ready axum Response; boxing it buys nothing here.
#![allow(clippy::result_large_err)]

pub mod faults;
pub mod fortnox;
pub mod fortnox_company;
pub mod fortnox_documents;
pub mod fortnox_events;
pub mod fortnox_invoices;
pub mod fortnox_prices;
pub mod fortnox_schema;
pub mod fortnox_spec;
pub mod log;
mod oauth1_verify;
pub mod postgres;
pub mod seed;
pub mod tls;
pub mod webhooks;
pub mod woo;
pub mod woo_catalog_extra;
pub mod woo_customers;
pub mod woo_order_create;
pub mod woo_order_routes;
pub mod woo_order_view;
pub mod woo_order_writes;
pub mod woo_orders;
pub mod woo_product_view;
pub mod woo_products;
pub mod woo_taxes;
pub mod woo_text;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// Fixed credentials of the stand-ins (nothing real is ever behind them).
pub const FORTNOX_CLIENT_ID: &str = "woonox-sim-client";
pub const FORTNOX_CLIENT_SECRET: &str = "woonox-sim-client-secret";
pub const WOO_CONSUMER_KEY: &str = "ck_woonoxsim000000000000000000000000000001";
pub const WOO_CONSUMER_SECRET: &str = "cs_woonoxsim000000000000000000000000000001";

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds the generated catalog; the same seed gives the same data.
    pub seed: u64,
    pub articles: usize,
    /// WooCommerce orders to seed; `None`: a quarter of the articles, at most 500.
    pub orders: Option<usize>,
    /// Partial refunds already made in the store, each of one unit of an order's first line.
    pub refunds: usize,
    /// Processing orders woonox must refuse (a line at German VAT), ids from 9000.
    pub refused_orders: usize,
    /// 0 picks a free port.
    pub fortnox_port: u16,
    pub woo_port: u16,
    /// Serve the store over HTTPS with this certificate; `None`: plain HTTP.
    pub woo_tls: Option<tls::TlsIdentity>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            articles: 40,
            orders: None,
            refunds: 0,
            refused_orders: 0,
            fortnox_port: 0,
            woo_port: 0,
            woo_tls: None,
        }
    }
}

/// A running pair of stand-ins. Dropping it stops both servers.
pub struct Sim {
    pub fortnox_url: String,
    pub woo_url: String,
    pub fortnox: Arc<Mutex<fortnox::State>>,
    pub woo: Arc<Mutex<woo::State>>,
    pub log: log::RequestLog,
    pub fortnox_faults: faults::SharedFaults,
    pub woo_faults: faults::SharedFaults,
    servers: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        for server in &self.servers {
            server.abort();
        }
    }
}

impl Sim {
    pub async fn start(config: SimConfig) -> anyhow::Result<Sim> {
        let catalog = seed::catalog(config.seed, config.articles);
        let log = log::RequestLog::default();
        let fortnox = Arc::new(Mutex::new(fortnox::State::new(&catalog)));
        let orders = config.orders.unwrap_or((config.articles / 4).clamp(1, 500));
        let mut woo = woo::State::new(&catalog, orders, config.refunds);
        let refused = seed::refused_orders(&catalog, config.refused_orders, 9000);
        woo.orders.extend(refused.iter().map(|spec| woo_orders::build(spec).0));
        let woo = Arc::new(Mutex::new(woo));
        let (fortnox_faults, woo_faults) = (faults::SharedFaults::default(), faults::SharedFaults::default());
        let (fortnox_addr, f) =
            serve(config.fortnox_port, layered(fortnox::router(fortnox.clone()), "fortnox", &fortnox_faults, &log))
                .await?;
        let woo_url_placeholder = Arc::new(Mutex::new(String::new()));
        let woo_router = woo::router(woo.clone(), woo_url_placeholder.clone());
        let woo_router = layered(woo_router, "woocommerce", &woo_faults, &log);
        let (woo_addr, w) = match &config.woo_tls {
            Some(identity) => serve_tls(config.woo_port, woo_router, tls::acceptor(identity)?).await?,
            None => serve(config.woo_port, woo_router).await?,
        };
        let scheme = if config.woo_tls.is_some() { "https" } else { "http" };
        let woo_url = format!("{scheme}://{woo_addr}");
        *woo_url_placeholder.lock().unwrap() = woo_url.clone();
        Ok(Sim {
            fortnox_url: format!("http://{fortnox_addr}"),
            woo_url,
            fortnox,
            woo,
            log,
            fortnox_faults,
            woo_faults,
            servers: vec![f, w],
        })
    }
}

/// Faults act first; the log, outermost, sees what the client saw.
fn layered(
    router: axum::Router,
    service: &'static str,
    faults: &faults::SharedFaults,
    log: &log::RequestLog,
) -> axum::Router {
    let (faults, log) = (faults.clone(), log.clone());
    router
        .layer(axum::middleware::from_fn(move |req, next| faults::apply(faults.clone(), req, next)))
        .layer(axum::middleware::from_fn(move |req, next| log::record(service, log.clone(), req, next)))
}

async fn serve(port: u16, router: axum::Router) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((addr, handle))
}

async fn serve_tls(
    port: u16,
    router: axum::Router,
    acceptor: tokio_rustls::TlsAcceptor,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tls::TlsListener::new(tokio::net::TcpListener::bind(("127.0.0.1", port)).await?, acceptor)?;
    let addr = axum::serve::Listener::local_addr(&listener)?;
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok((addr, handle))
}

/// Locks a state, carrying on if a handler panicked while holding it (the test shows that).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
