//! `woonox bench --events`: the time from a stock change in Fortnox to the new level in
//! WooCommerce. With events: one `woonox serve` taking the stand-in's WebSocket topics,
//! every poll off, `changes` stock changes a second apart, each timed until the store
//! shows it. With polling at the default schedule: the time a stock poll takes to bring
//! one change over, measured, plus the wait for the next poll, which the schedule sets
//! (0 to 5 minutes, 2.5 on average). Also the calls each way makes.

use super::bench_cluster::{Process, poll_only, serve_command, wait, woonox_command};
use anyhow::{Result, bail};
use std::time::{Duration, Instant};
use woonox::connections::connection::Paths;
use woonox::runtime::connector_bindings::wit_sync::Flow;
use woonox::runtime::{Limits, Runtime, Source};
use woonox::serve::schedule::Schedule;
use woonox_sim::{Sim, SimConfig};

pub struct EventsArgs {
    pub articles: usize,
    pub changes: usize,
    pub woo_rate: u32,
}

const CONNECTION: &str = "bench";

pub async fn run(paths: &Paths, source: &Source, args: EventsArgs) -> Result<()> {
    let dir = Paths::new(paths.data_dir.join("bench-events"));
    let _ = std::fs::remove_dir_all(&dir.data_dir);
    woonox::state::permissions::create_dir(&dir.data_dir)?;
    drop(Runtime::new(source, Some(&dir.cache_dir()), Limits::default())?);
    let sim = Sim::start(SimConfig { articles: args.articles, orders: Some(1), ..Default::default() }).await?;
    super::stand_ins::connect(&dir, &sim, CONNECTION, args.woo_rate).await?;
    println!("Bringing {} articles and their stock over first…", args.articles);
    sync(&dir, source, "products")?;
    sync(&dir, source, "stock")?;
    let skus: Vec<String> = sim.fortnox.lock().unwrap_or_else(|p| p.into_inner()).articles.keys().cloned().collect();
    let step = (skus.len() / (args.changes + 1)).max(1);
    let changed: Vec<&String> = skus.iter().step_by(step).take(args.changes + 1).collect();

    let poll = polled(&dir, source, &sim, changed[0]).await?;
    let events = with_events(&dir, source, &sim, &changed[1..]).await?;
    print(&args, &poll, &events);
    Ok(())
}

/// One `woonox sync <flow>` in its own process.
fn sync(dir: &Paths, source: &Source, flow: &str) -> Result<()> {
    let out = woonox_command(dir, source)?.args(["sync", flow, "--connection", CONNECTION, "--json"]).output()?;
    if !out.status.success() {
        bail!("the {flow} run failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

/// What a stock poll takes to bring one change over: its wall time and calls.
struct Polled {
    seconds: f64,
    calls: (usize, usize),
}

async fn polled(dir: &Paths, source: &Source, sim: &Sim, sku: &str) -> Result<Polled> {
    let level = raise(sim, sku);
    sim.fortnox.lock().unwrap_or_else(|p| p.into_inner()).reset_rate_windows();
    sim.log.clear();
    let started = Instant::now();
    sync(dir, source, "stock")?;
    if woo_level(sim, sku) != Some(level) {
        bail!("the stock poll did not bring {sku}'s level over");
    }
    let calls = (sim.log.count("fortnox"), sim.log.count("woocommerce"));
    Ok(Polled { seconds: started.elapsed().as_secs_f64(), calls })
}

/// Each change's time to the store through the events, and the calls they made in all.
struct Evented {
    seconds: Vec<f64>,
    calls: (usize, usize),
}

async fn with_events(dir: &Paths, source: &Source, sim: &Sim, skus: &[&String]) -> Result<Evented> {
    poll_only(dir, None)?;
    let url = format!("{}/topics-v1", sim.fortnox_url.replacen("http://", "ws://", 1));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let mut command = serve_command(dir, source, &format!("127.0.0.1:{port}"), "serve.log")?;
    command.args(["--fortnox-events", &url]).env_remove("WOONOX_STATUS_TOKEN");
    let _serve = Process { child: command.spawn()? };
    let subscribed = || {
        let f = sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
        f.documents.events.commands.iter().any(|c| c["command"] == "subscribe-v1")
    };
    wait("serve to subscribe to the events", Duration::from_secs(60), || Ok(subscribed())).await?;
    sim.log.clear();
    let mut seconds = Vec::new();
    for sku in skus {
        let level = raise(sim, sku);
        let started = Instant::now();
        let what = format!("{sku}'s new level in the store");
        wait(&what, Duration::from_secs(60), || Ok(woo_level(sim, sku) == Some(level))).await?;
        seconds.push(started.elapsed().as_secs_f64());
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(Evented { seconds, calls: (sim.log.count("fortnox"), sim.log.count("woocommerce")) })
}

/// Raises an article's stock by 5 in Fortnox, as a count on its card would; answers the
/// new level.
fn raise(sim: &Sim, sku: &str) -> f64 {
    let mut fortnox = sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
    let level = fortnox.articles[sku]["QuantityInStock"].as_f64().unwrap_or(0.0) + 5.0;
    fortnox.set_stock(sku, level);
    level
}

fn woo_level(sim: &Sim, sku: &str) -> Option<f64> {
    let woo = sim.woo.lock().unwrap_or_else(|p| p.into_inner());
    woo.products.iter().find(|p| p["sku"] == sku).and_then(|p| p["stock_quantity"].as_f64())
}

fn print(args: &EventsArgs, poll: &Polled, events: &Evented) {
    let interval = default_stock_interval().as_secs_f64();
    let mut sorted = events.seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    println!("\n{} articles, {} stock changes a second apart\n", args.articles, sorted.len());
    println!("| way (events timed in 50 ms steps) | p50 s | max s |");
    println!("|---|---:|---:|");
    println!("| events (`serve --fortnox-events`) | {:.2} | {:.2} |", at(0.5), at(1.0));
    println!(
        "| polling every {:.0} min: the poll ({:.2} s) + the wait for it (0–{:.0} s) | {:.2} | {:.2} |",
        interval / 60.0,
        poll.seconds,
        interval,
        poll.seconds + interval / 2.0,
        poll.seconds + interval
    );
    println!(
        "\nCalls (Fortnox, WooCommerce): one stock poll {:?}; the events' {} changes {:?}, {:.1} and {:.1} a change.",
        poll.calls,
        sorted.len(),
        events.calls,
        events.calls.0 as f64 / sorted.len() as f64,
        events.calls.1 as f64 / sorted.len() as f64
    );
    println!("Ratio of medians, polling to events: {:.0}×", (poll.seconds + interval / 2.0) / at(0.5));
}

/// The stock poll's interval when the schedule is left as it is.
fn default_stock_interval() -> Duration {
    let defaults = Schedule::from_config(&Default::default()).expect("the defaults are valid");
    defaults.0.into_iter().find(|(flow, _)| *flow == Flow::Stock).map(|(_, every)| every).expect("stock has a default")
}
