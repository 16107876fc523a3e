//! `woonox`: the command line. Exit codes scripts can trust: 0 done, 2 the input or the
//! settings are wrong (the message says what to fix), 1 anything else (the plugin failed,
//! an internal error).

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use woonox::plugin::{Answer, Plugin};
use woonox::runtime::{Limits, Runtime, Source};
use woonox::settings_file;

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run one mapping on a JSON file (or standard input) and print the target body.
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

/// The input or the settings are wrong: exit 2.
#[derive(Debug)]
struct BadInput(String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
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
    let settings = settings_file::load(cli.settings.as_deref()).map_err(|e| BadInput(format!("{e:#}")))?;
    let source = match &cli.plugin {
        Some(path) => Source::Plugin(path.clone()),
        None => Source::BuiltIn,
    };
    let cache = data_dir(cli.data_dir.as_deref()).map(|d| d.join("cache"));
    let plugin = Plugin::new(Runtime::new(&source, cache.as_deref(), Limits::default())?);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async {
        match cli.command {
            Command::Map { kind, file, customer_number, price } => {
                let input = read_input(file.as_deref())?;
                let answer = match kind {
                    MapKind::Order => plugin.map_order(&input, customer_number.as_deref(), &settings).await?,
                    MapKind::Customer => plugin.map_customer(&input, &settings).await?,
                    MapKind::Product => {
                        let price = price.as_deref().map(|p| read_input(Some(p))).transpose()?;
                        plugin.map_product(&input, price.as_deref(), &settings).await?
                    }
                };
                let mapped = answer_or_bad_input(answer)?;
                if matches!(kind, MapKind::Order) && customer_number.is_none() {
                    eprintln!("note: no --customer-number, so CustomerNumber is left out (a sync fills it in)");
                }
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
        }
    })
}

fn answer_or_bad_input<T>(answer: Answer<T>) -> Result<T> {
    answer.map_err(|e| BadInput(e.to_string()).into())
}

fn read_input(file: Option<&Path>) -> Result<String> {
    if let Some(path) = file {
        return Ok(std::fs::read_to_string(path).map_err(|e| BadInput(format!("cannot read {}: {e}", path.display())))?);
    }
    if std::io::stdin().is_terminal() {
        return Err(BadInput("give a JSON file, or pipe the JSON into standard input".into()).into());
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| BadInput(format!("cannot read standard input: {e}")))?;
    if text.trim().is_empty() {
        return Err(BadInput("standard input is empty; give a JSON file or pipe JSON in".into()).into());
    }
    Ok(text)
}

fn print_json(value: &serde_json::Value) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn plan_json(plan: &woonox::bindings::wit::StockPlan) -> serde_json::Value {
    let updates: Vec<serde_json::Value> = plan
        .updates
        .iter()
        .map(|u| {
            serde_json::json!({
                "sku": u.sku,
                "product_id": u.product_id,
                "parent_id": u.parent_id,
                "stock_quantity": u.quantity,
                "enable_manage_stock": u.enable_manage_stock,
            })
        })
        .collect();
    serde_json::json!({ "updates": updates, "only_in_fortnox": plan.only_in_fortnox, "only_in_woo": plan.only_in_woo })
}

/// `--data-dir`, else the platform's data directory; none at all means no cache.
fn data_dir(flag: Option<&Path>) -> Option<PathBuf> {
    flag.map(Path::to_path_buf).or_else(|| dirs::data_dir().map(|d| d.join("woonox")))
}
