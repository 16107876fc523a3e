//! `woonox`: the command line. Exit codes scripts can trust: 0 done, 2 the input or the
//! settings are wrong (the message says what to fix), 1 anything else (the plugin failed,
//! an internal error).

mod cli;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use cli::map_io::{answer_or_bad_input, plan_json, print_json, read_input};
use cli::map_many;
use cli::{BadInput, bad};
use std::path::PathBuf;
use std::process::ExitCode;
use woonox::connections::connection::{Paths, data_dir};
use woonox::connections::settings_file;
use woonox::runtime::connector_bindings::wit_sync::Flow;
use woonox::runtime::plugin::Plugin;
use woonox::runtime::{Limits, Runtime, Source};

#[derive(Parser)]
#[command(name = "woonox", version, about = "Keeps a WooCommerce store and a Fortnox company in step")]
struct Cli {
    /// Run this build of the component instead of the built-in one.
    #[arg(long, global = true, value_name = "PATH")]
    plugin: Option<PathBuf>,
    /// Settings file (TOML). Without it every setting takes its documented default.
    #[arg(long, global = true, value_name = "FILE")]
    settings: Option<PathBuf>,
    /// Where woonox keeps its state and caches [default: ~/.local/share/woonox or your platform's data directory].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The connections file [default: woonox.toml in the data directory].
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where the state lives: a shared PostgreSQL (postgres://user@host/database) or a SQLite
    /// file [default: the connections file's [state] url, else state.sqlite in the data directory].
    #[arg(long, global = true, env = "WOONOX_STATE", hide_env_values = true, value_name = "URL")]
    state: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one mapping on a JSON file (or standard input) and print the target body; given a
    /// JSON array, map every item in one call and print the bodies as an array.
    Map {
        #[arg(value_enum)]
        kind: MapKind,
        /// The source JSON; standard input when left out.
        file: Option<PathBuf>,
        /// For `order`: the Fortnox customer number to put on the document.
        #[arg(long, value_name = "NUMBER")]
        customer_number: Option<String>,
        /// For `product`: the Fortnox price (`GET /3/prices/{list}/{article}`) JSON file.
        #[arg(long, value_name = "FILE")]
        price: Option<PathBuf>,
    },
    /// Compare Fortnox stock with WooCommerce stock and print the updates that make them equal.
    ReconcileStock {
        /// Fortnox articles (`{"Articles": [...]}`) or warehouse stock balance JSON.
        fortnox: PathBuf,
        /// WooCommerce products and variations, a JSON array.
        woo: PathBuf,
    },
    /// Connect a WooCommerce store or a Fortnox company to a connection.
    Connect {
        #[command(subcommand)]
        service: ConnectService,
    },
    /// Read both sides of a connection end to end and count what each holds.
    Check {
        #[arg(long, default_value = "default")]
        connection: String,
        /// One JSON line instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Before the first sync: read both sides, write nothing, and list every setting that
    /// will make a sync fail or go wrong, each with its fix. Exits 1 when any check fails.
    Doctor {
        #[arg(long, default_value = "default")]
        connection: String,
        /// One JSON object instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Try woonox with no account anywhere: stand-ins with a seeded shop, every flow, a summary.
    Demo {
        /// Seeds the generated shop.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 3000)]
        articles: usize,
        #[arg(long, default_value_t = 200)]
        orders: usize,
    },
    /// Measure the flows against stand-ins at Fortnox's real rate limit: calls against the minimum, time against the floor.
    Bench {
        #[arg(long, default_value_t = 10_000)]
        articles: usize,
        /// WooCommerce orders to seed (about half are eligible).
        #[arg(long, default_value_t = 2000)]
        orders: usize,
        /// WooCommerce requests a second.
        #[arg(long, default_value_t = 10)]
        woo_rate: u32,
        /// Instead: `woonox serve` processes on a throwaway PostgreSQL (Debian's `postgresql`
        /// installed), one and then three, and the takeover after one is killed.
        #[arg(long)]
        cluster: bool,
        /// With --cluster (30 when left out) or --serve (20): connections, each to
        /// stand-ins of its own.
        #[arg(long)]
        connections: Option<usize>,
        /// With --cluster: orders seeded per connection (about half are eligible).
        #[arg(long, default_value_t = 100)]
        orders_each: usize,
        /// With --cluster: the lease period, in seconds.
        #[arg(long, default_value_t = 15)]
        lease_secs: u64,
        /// Instead: one `woonox serve` and webhook deliveries of orders at --rate a second
        /// over --connections for --seconds; the time from each delivery to its Fortnox
        /// document against the floor Fortnox's limit sets.
        #[arg(long, conflicts_with = "cluster")]
        serve: bool,
        /// With --serve: deliveries a second, over all connections.
        #[arg(long, default_value_t = 50.0)]
        rate: f64,
        /// With --serve: how long the deliveries go on.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Instead: the time from a stock change in Fortnox to the new level in the store,
        /// through `serve --fortnox-events` and by polling at the default schedule, over
        /// --articles (--changes changes).
        #[arg(long, conflicts_with_all = ["cluster", "serve"])]
        events: bool,
        /// With --events: how many stock changes are timed.
        #[arg(long, default_value_t = 20)]
        changes: usize,
    },
    /// Run flows (`all` runs every one, in dependency order).
    Sync {
        #[arg(value_enum, required = true)]
        flows: Vec<FlowArg>,
        #[arg(long, default_value = "default")]
        connection: String,
        /// Read and decide, write nothing; the summary says what would change.
        #[arg(long)]
        dry_run: bool,
        /// One JSON line per flow instead of the table.
        #[arg(long)]
        json: bool,
        /// Try again the items these flows hold for you (a refusal said once, then left
        /// alone), e.g. a credit WooCommerce would not refund.
        #[arg(long, conflicts_with = "dismiss_failed")]
        retry_failed: bool,
        /// Leave the items these flows hold for you alone for good (you settled them by hand).
        #[arg(long)]
        dismiss_failed: bool,
    },
    /// Keep every connection in step: scheduled polls, webhooks, a durable queue, a status page.
    Serve {
        /// Where the status page, /metrics and the webhook endpoints listen.
        #[arg(long, default_value = "127.0.0.1:8484")]
        bind: std::net::SocketAddr,
        /// The status page's token, required to bind beyond loopback or behind a proxy.
        /// Prefer WOONOX_STATUS_TOKEN or --token-file: a command line is visible in `ps`.
        #[arg(long, env = "WOONOX_STATUS_TOKEN", hide_env_values = true, conflicts_with = "token_file")]
        token: Option<String>,
        /// Days a finished job (and what the status page shows of it) is kept.
        #[arg(long, default_value_t = 30)]
        keep_days: u32,
        /// Read the status token from this file's first line.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Where a reverse proxy publishes serve, e.g. https://woonox.example: the status
        /// page answers to this name too, and a token is required.
        #[arg(long, env = "WOONOX_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
        /// serve sits behind a reverse proxy on this machine: loopback no longer means
        /// private, so the token is required.
        #[arg(long)]
        behind_proxy: bool,
        /// Take Fortnox's push events from this socket (wss://ws.fortnox.se/topics-v1):
        /// changes reach the store in seconds, and Fortnox-side polls run 6× less often.
        /// The Fortnox app needs the WebSocket permission.
        #[arg(long, env = "WOONOX_FORTNOX_EVENTS", value_name = "URL")]
        fortnox_events: Option<String>,
    },
    /// Run the Fortnox and WooCommerce stand-ins on loopback (for trying woonox out).
    Sim {
        #[arg(long, default_value_t = 0)]
        fortnox_port: u16,
        #[arg(long, default_value_t = 0)]
        woo_port: u16,
        /// Seeds the generated catalog.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 200)]
        articles: usize,
    },
}

#[derive(Subcommand)]
enum ConnectService {
    /// Store a WooCommerce store's REST API keys, after a real call proves them.
    Woocommerce {
        #[arg(long, default_value = "default")]
        connection: String,
        /// The store's home URL, e.g. https://shop.example
        #[arg(long)]
        url: String,
        #[arg(long)]
        consumer_key: String,
        #[arg(long)]
        consumer_secret: String,
        /// Where `woonox serve` is reachable from the store: its base (https://woonox.example)
        /// or the full hook URL (…/hooks/woocommerce/<connection>). Registers the order
        /// webhooks there; woonox's earlier ones are moved, not duplicated.
        #[arg(long, value_name = "URL")]
        webhook_url: Option<String>,
        /// Trust this CA (PEM) for the store besides the system's (SSL_CERT_FILE also works).
        /// A self-signed store certificate given here is accepted as it is (pinned).
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// Accept the store only with this very certificate: its SHA-256 fingerprint, as
        /// `connect` prints it or `openssl x509 -noout -fingerprint -sha256` shows it.
        #[arg(long, value_name = "FINGERPRINT")]
        pin_sha256: Option<String>,
        /// The store is on your private network (10.x, 192.168.x, …): allow woonox to send
        /// its keys to such an address. Link-local and cloud metadata addresses stay refused.
        #[arg(long)]
        private_network: bool,
    },
    /// Connect a Fortnox company (client secret from WOONOX_FORTNOX_CLIENT_SECRET or standard input).
    Fortnox {
        #[arg(long, default_value = "default")]
        connection: String,
        #[arg(long)]
        client_id: String,
        /// Use a service account (client credentials) for this tenant id instead of a consent in the browser.
        #[arg(long, value_name = "TENANT_ID")]
        service_account: Option<String>,
        /// The loopback port Fortnox sends the browser back to (must match the redirect URI registered for the app).
        #[arg(long, default_value_t = 49152)]
        redirect_port: u16,
        /// Fortnox API base URL [default: https://api.fortnox.se].
        #[arg(long)]
        fortnox_api: Option<String>,
        /// Fortnox authorization base URL [default: https://apps.fortnox.se].
        #[arg(long)]
        fortnox_auth: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FlowArg {
    Products,
    Stock,
    Orders,
    Customers,
    Invoices,
    CreditNotes,
    Refunds,
    All,
}

impl FlowArg {
    fn flows(self) -> Vec<Flow> {
        match self {
            FlowArg::Products => vec![Flow::Products],
            FlowArg::Stock => vec![Flow::Stock],
            FlowArg::Orders => vec![Flow::Orders],
            FlowArg::Customers => vec![Flow::Customers],
            FlowArg::Invoices => vec![Flow::Invoices],
            FlowArg::CreditNotes => vec![Flow::CreditNotes],
            FlowArg::Refunds => vec![Flow::Refunds],
            // The order matters: the catalog first, then what refers to it.
            FlowArg::All => vec![
                Flow::Products,
                Flow::Stock,
                Flow::Customers,
                Flow::Orders,
                Flow::Invoices,
                Flow::CreditNotes,
                Flow::Refunds,
            ],
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum MapKind {
    /// A WooCommerce order → a Fortnox Order or Invoice.
    Order,
    /// A WooCommerce customer or order → a Fortnox Customer.
    Customer,
    /// A Fortnox article → a WooCommerce product.
    Product,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = run(cli);
    if std::env::var_os("WOONOX_PEAK_MEMORY").is_some() {
        eprintln!("peak memory: {:.1} MB", woonox::peak_rss_mb());
        eprintln!("component memory: {:.1} MB", woonox::runtime::memory_peak::peak_mb());
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<BadInput>().is_some() => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let settings = settings_file::load(cli.settings.as_deref()).map_err(bad)?;
    let paths =
        Paths { data_dir: data_dir(cli.data_dir.as_deref()), config: cli.config.clone(), state: cli.state.clone() };
    // The doctor reports unsafe permissions as one of its checks instead of refusing to run.
    if !matches!(cli.command, Command::Sim { .. } | Command::Doctor { .. }) {
        woonox::state::permissions::check(&paths).map_err(bad)?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        match cli.command {
            Command::Connect {
                service:
                    ConnectService::Woocommerce {
                        connection,
                        url,
                        consumer_key,
                        consumer_secret,
                        webhook_url,
                        ca_cert,
                        pin_sha256,
                        private_network,
                    },
            } => {
                let keys = woonox::connections::connection::WooKeys { consumer_key, consumer_secret };
                let trust = woonox::wire::tls::StoreTrust { ca_cert, pin_sha256 };
                let webhook_url = webhook_url.as_deref();
                let args = cli::connect::WooArgs { url: &url, keys, trust, webhook_url, private_network };
                cli::connect::woocommerce(&paths, &connection, args).await
            }
            Command::Connect {
                service:
                    ConnectService::Fortnox {
                        connection,
                        client_id,
                        service_account,
                        redirect_port,
                        fortnox_api,
                        fortnox_auth,
                    },
            } => {
                let args =
                    cli::connect::FortnoxArgs { client_id, service_account, redirect_port, fortnox_api, fortnox_auth };
                cli::connect::fortnox(&paths, &connection, args).await
            }
            Command::Check { connection, json } => {
                let source = source(&cli.plugin, Source::BuiltInConnector);
                cli::check::run(&paths, &source, &connection, &settings, json).await
            }
            Command::Doctor { connection, json } => {
                let source = source(&cli.plugin, Source::BuiltInConnector);
                cli::doctor::run(&paths, &source, &connection, &settings, json).await
            }
            Command::Sync { flows, connection, dry_run, json, retry_failed, dismiss_failed } => {
                let source = source(&cli.plugin, Source::BuiltInConnector);
                let mut list: Vec<Flow> = Vec::new();
                for flow in flows.into_iter().flat_map(FlowArg::flows) {
                    if !list.contains(&flow) {
                        list.push(flow);
                    }
                }
                let held = match (retry_failed, dismiss_failed) {
                    (true, _) => cli::sync::HeldAction::Retry,
                    (_, true) => cli::sync::HeldAction::Dismiss,
                    _ => cli::sync::HeldAction::Wait,
                };
                let args = cli::sync::SyncArgs { connection: &connection, flows: list, dry_run, json, held };
                cli::sync::run(&paths, &source, args, &settings).await
            }
            Command::Serve { bind, token, keep_days, token_file, public_url, behind_proxy, fortnox_events } => {
                let source = source(&cli.plugin, Source::BuiltInConnector);
                let guard = woonox::serve::guard::GuardOptions { bind, token, token_file, public_url, behind_proxy };
                let options = woonox::serve::ServeOptions { guard, keep_days, fortnox_events };
                woonox::serve::run(&paths, &source, &settings, options, shutdown_signal()).await.map_err(bad)
            }
            Command::Bench {
                articles,
                orders,
                woo_rate,
                cluster,
                connections,
                orders_each,
                lease_secs,
                serve,
                rate,
                seconds,
                events,
                changes,
            } => {
                let source = source(&cli.plugin, Source::BuiltInConnector);
                if events {
                    let args = cli::bench_events::EventsArgs { articles, changes, woo_rate };
                    return cli::bench_events::run(&paths, &source, args).await;
                }
                if serve {
                    let connections = connections.unwrap_or(20);
                    let args = cli::bench_serve::ServeArgs { connections, rate, seconds, woo_rate };
                    return cli::bench_serve::run(&paths, &source, args).await;
                }
                if cluster {
                    let args = cli::bench_cluster::ClusterArgs {
                        connections: connections.unwrap_or(30),
                        orders: orders_each,
                        lease_secs,
                        woo_rate,
                    };
                    return cli::bench_cluster::run(&paths, &source, args).await;
                }
                cli::bench::run(&paths, &source, cli::bench::BenchArgs { articles, orders, woo_rate }).await
            }
            Command::Demo { seed, articles, orders } => {
                let source = source(&cli.plugin, Source::BuiltInConnector);
                cli::demo::run(&paths, &source, cli::demo::DemoArgs { seed, articles, orders }).await
            }
            Command::Sim { fortnox_port, woo_port, seed, articles } => {
                cli::sim::run(woonox_sim::SimConfig { seed, articles, fortnox_port, woo_port, ..Default::default() })
                    .await
            }
            command => map(command, &cli.plugin, &paths, &settings).await,
        }
    })
}

/// Turns true on Ctrl-C or SIGTERM: workers finish the job in hand, then stop.
fn shutdown_signal() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        eprintln!("woonox serve: stopping after the jobs in hand…");
        let _ = tx.send(true);
    });
    rx
}

fn no_customer_note(kind: MapKind, customer_number: &Option<String>) {
    if matches!(kind, MapKind::Order) && customer_number.is_none() {
        eprintln!("note: no --customer-number, so CustomerNumber is left out (a sync fills it in)");
    }
}

/// `--plugin PATH` when given, else the built-in component for the command.
fn source(plugin: &Option<PathBuf>, built_in: Source) -> Source {
    plugin.as_ref().map_or(built_in, |path| Source::Plugin(path.clone()))
}

/// `map` and `reconcile-stock`: one call into the mapper component (a list: one call too).
async fn map(
    command: Command,
    plugin: &Option<PathBuf>,
    paths: &Paths,
    settings: &woonox_guest::Settings,
) -> Result<()> {
    let source = source(plugin, Source::BuiltIn);
    let plugin = Plugin::new(Runtime::new(&source, Some(&paths.cache_dir()), Limits::default())?);
    let settings = settings.clone();
    {
        match command {
            Command::Map { kind, file, customer_number, price } => {
                let input = read_input(file.as_deref())?;
                if let Some(items) = map_many::items(&input, kind) {
                    if price.is_some() {
                        return Err(
                            BadInput("--price is for one article; give it one article, not a list".into()).into()
                        );
                    }
                    no_customer_note(kind, &customer_number);
                    return map_many::map_many(&plugin, kind, items, customer_number.as_deref(), &settings).await;
                }
                let answer = match kind {
                    MapKind::Order => plugin.map_order(&input, customer_number.as_deref(), &settings).await?,
                    MapKind::Customer => plugin.map_customer(&input, &settings).await?,
                    MapKind::Product => {
                        let price = price.as_deref().map(|p| read_input(Some(p))).transpose()?;
                        plugin.map_product(&input, price.as_deref(), &settings).await?
                    }
                };
                let mapped = answer_or_bad_input(answer)?;
                no_customer_note(kind, &customer_number);
                for warning in &mapped.warnings {
                    eprintln!("warning: {warning}");
                }
                print_json(&serde_json::from_str(&mapped.body).context("the plugin returned a body that is not JSON")?)
            }
            Command::ReconcileStock { fortnox, woo } => {
                let (fortnox, woo) = (read_input(Some(&fortnox))?, read_input(Some(&woo))?);
                let plan = answer_or_bad_input(plugin.reconcile_stock(&fortnox, &woo, &settings).await?)?;
                print_json(&plan_json(&plan))
            }
            _ => unreachable!("run() dispatches the other commands"),
        }
    }
}
