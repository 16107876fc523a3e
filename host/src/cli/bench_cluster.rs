//! `woonox bench --cluster`: `woonox serve` processes sharing one PostgreSQL state, each
//! round against fresh stand-ins (one pair per connection, each Fortnox enforcing its
//! 25 calls in any 5 s) and a fresh database. Measured: connections worked to the end per
//! minute with one process and with three, and, with three, how long after one is killed
//! its connections see their successor's first write.

use super::bench::floor;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use woonox::connections::config::Config;
use woonox::connections::connection::Paths;
use woonox::runtime::{Limits, Runtime, Source};
use woonox::state::store::Store;
use woonox_sim::{Sim, SimConfig};

pub struct ClusterArgs {
    pub connections: usize,
    /// Orders seeded per connection (about half are eligible).
    pub orders: usize,
    pub lease_secs: u64,
    pub woo_rate: u32,
}

/// Each connection polls its orders this often; the other flows are off.
const POLL: &str = "2s";

pub async fn run(paths: &Paths, source: &Source, args: ClusterArgs) -> Result<()> {
    let dir = Paths::new(paths.data_dir.join("bench-cluster"));
    let _ = std::fs::remove_dir_all(&dir.data_dir);
    // Compiled once here, so no serve process spends its first seconds compiling.
    drop(Runtime::new(source, Some(&dir.cache_dir()), Limits::default())?);
    let mut rows = Vec::new();
    for processes in [1, 3] {
        let round = Round::start(&dir, source, &args, processes).await?;
        rows.push(round.throughput(&args).await?);
    }
    let round = Round::start(&dir, source, &args, 3).await?;
    let takeover = round.takeover().await?;
    print(&args, &rows, &takeover);
    Ok(())
}

/// One round: the stand-ins, the shared state, and the serve processes on it.
struct Round {
    sims: Vec<Sim>,
    /// Each stand-in's orders, held back until the processes have shared the leases out.
    held_back: Vec<Vec<Value>>,
    processes: Vec<Process>,
    store: Store,
}

/// A `woonox serve` child, killed when dropped.
pub(super) struct Process {
    pub(super) child: Child,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// This process's part of a lease holder's name (`host:pid:nonce`).
    fn mark(&self) -> String {
        format!(":{}:", self.child.id())
    }
}

impl Round {
    async fn start(dir: &Paths, source: &Source, args: &ClusterArgs, processes: usize) -> Result<Round> {
        let url = tokio::task::spawn_blocking(woonox_sim::postgres::fresh_database).await??;
        write_config(dir, &url)?;
        let mut sims = Vec::new();
        for i in 0..args.connections {
            let config =
                SimConfig { seed: i as u64 + 1, articles: 30, orders: Some(args.orders), ..Default::default() };
            let sim = Sim::start(config).await?;
            super::stand_ins::connect(dir, &sim, &format!("c{i}"), args.woo_rate).await?;
            sims.push(sim);
        }
        poll_only(dir, Some("orders"))?;
        let held_back =
            sims.iter().map(|s| std::mem::take(&mut s.woo.lock().unwrap_or_else(|p| p.into_inner()).orders)).collect();
        let store = Store::connect(&url)?;
        let processes = (0..processes).map(|i| spawn(dir, source, args, i)).collect::<Result<Vec<_>>>()?;
        let round = Round { sims, held_back, processes, store };
        round.wait_for_shares(args.connections).await?;
        Ok(round)
    }

    /// Waits until every connection's lease is held and each process holds its share.
    async fn wait_for_shares(&self, connections: usize) -> Result<()> {
        let share = connections / self.processes.len();
        wait("the leases to be shared out", Duration::from_secs(120), || {
            let held = self.held()?;
            let all = held.values().map(Vec::len).sum::<usize>() == connections;
            Ok(all && self.processes.iter().all(|p| held.get(&p.mark()).is_some_and(|g| g.len() >= share)))
        })
        .await
    }

    /// Each process's mark → the connections whose lease it holds in time.
    fn held(&self) -> Result<BTreeMap<String, Vec<usize>>> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut held: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for lease in self.store.leases()?.into_iter().filter(|l| l.expires_at_ms > now_ms) {
            let Some(p) = self.processes.iter().find(|p| lease.holder.contains(&p.mark())) else { continue };
            let index = lease.group.trim_start_matches('c').parse::<usize>().context("a lease of no connection")?;
            held.entry(p.mark()).or_default().push(index);
        }
        Ok(held)
    }

    /// Lets the held-back orders in, as if they had all just been placed; answers when.
    fn release_orders(&mut self) -> Instant {
        let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        for (sim, orders) in self.sims.iter().zip(std::mem::take(&mut self.held_back)) {
            sim.log.clear();
            let mut woo = sim.woo.lock().unwrap_or_else(|p| p.into_inner());
            woo.orders = orders;
            for order in &mut woo.orders {
                order["date_modified_gmt"] = json!(now);
                order["date_modified"] = json!(now);
            }
        }
        Instant::now()
    }

    /// Eligible orders not yet in Fortnox, per connection.
    fn missing(&self) -> Vec<usize> {
        self.sims.iter().map(|sim| eligible(sim).saturating_sub(documents(sim))).collect()
    }

    async fn throughput(mut self, args: &ClusterArgs) -> Result<Row> {
        let started = self.release_orders();
        let total: usize = self.sims.iter().map(eligible).sum();
        wait("every order in Fortnox", Duration::from_secs(1800), || Ok(self.missing().iter().all(|m| *m == 0)))
            .await?;
        let seconds = started.elapsed().as_secs_f64();
        let floor = self.sims.iter().map(|s| floor(calls(s), args.woo_rate)).fold(0.0, f64::max);
        Ok(Row { processes: self.processes.len(), orders: total, seconds, floor, duplicates: self.duplicates() })
    }

    /// Kills the process holding the most connections once a quarter of the orders are
    /// in; answers how long its connections waited for another process's first write.
    async fn takeover(mut self) -> Result<Takeover> {
        self.release_orders();
        let total: usize = self.sims.iter().map(eligible).sum();
        wait("a quarter of the orders in Fortnox", Duration::from_secs(600), || {
            Ok(self.missing().iter().sum::<usize>() * 4 <= total * 3)
        })
        .await?;
        let held = self.held()?;
        let (victim, orphans) = held.into_iter().max_by_key(|(_, g)| g.len()).context("no process holds a lease")?;
        let index = self.processes.iter().position(|p| p.mark() == victim).context("the victim is gone")?;
        let killed_at = Instant::now();
        drop(self.processes.remove(index));
        let mut resumed: BTreeMap<usize, Duration> = BTreeMap::new();
        wait("the successors' first writes", Duration::from_secs(600), || {
            for &i in &orphans {
                if let Some(at) = first_write_after(&self.sims[i], killed_at, &victim) {
                    resumed.entry(i).or_insert(at);
                }
            }
            Ok(resumed.len() == orphans.len())
        })
        .await?;
        wait("every order in Fortnox", Duration::from_secs(1800), || Ok(self.missing().iter().all(|m| *m == 0)))
            .await?;
        let first = resumed.values().min().copied().unwrap_or_default();
        let last = resumed.values().max().copied().unwrap_or_default();
        Ok(Takeover { orphans: orphans.len(), first, last, duplicates: self.duplicates() })
    }

    /// Orders in Fortnox more than once, over every connection.
    fn duplicates(&self) -> usize {
        self.sims
            .iter()
            .map(|sim| {
                let fortnox = sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
                let references: Vec<&str> =
                    fortnox.documents.orders.values().filter_map(|o| o["ExternalInvoiceReference1"].as_str()).collect();
                references.len() - references.iter().collect::<BTreeSet<_>>().len()
            })
            .sum()
    }
}

/// The data directory's `woonox.toml` afresh (the compiled component stays): the shared
/// state and its key.
fn write_config(dir: &Paths, url: &str) -> Result<()> {
    woonox::state::permissions::create_dir(&dir.data_dir)?;
    let key_file = dir.data_dir.join("secret.key");
    let key: [u8; 32] = rand::random();
    std::fs::write(&key_file, base64::Engine::encode(&base64::engine::general_purpose::STANDARD, key))?;
    std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    let mut config = Config::default();
    config.state.url = Some(url.to_owned());
    config.state.key_file = Some(key_file);
    config.save(&dir.config_file())
}

/// Every poll off but `polled`'s, which runs every [`POLL`].
pub(super) fn poll_only(dir: &Paths, polled: Option<&str>) -> Result<()> {
    let mut config = Config::load(&dir.config_file())?;
    for entry in config.connections.values_mut() {
        for (flow, _) in woonox::serve::schedule::DEFAULTS {
            let name = woonox::serve::schedule::flow_name(flow);
            let every = if Some(name) == polled { POLL } else { "off" };
            entry.schedule.insert(name.to_owned(), every.to_owned());
        }
    }
    config.save(&dir.config_file())
}

/// This `woonox` on the data directory, with the same component; the caller adds the
/// command.
pub(super) fn woonox_command(dir: &Paths, source: &Source) -> Result<Command> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("--data-dir").arg(&dir.data_dir);
    if let Source::Plugin(path) = source {
        command.arg("--plugin").arg(path);
    }
    Ok(command)
}

/// `woonox serve` on the data directory at `bind`, logging to `log` there; the caller adds
/// what else its processes need.
pub(super) fn serve_command(dir: &Paths, source: &Source, bind: &str, log: &str) -> Result<Command> {
    let mut command = woonox_command(dir, source)?;
    let log = std::fs::File::create(dir.data_dir.join(log))?;
    command
        .args(["serve", "--bind", bind])
        .env("RUST_LOG", "woonox=warn")
        .env_remove("WOONOX_STATE")
        .stdout(Stdio::null())
        .stderr(log);
    Ok(command)
}

/// `woonox serve` number `i` on the data directory (its config names the state and key).
fn spawn(dir: &Paths, source: &Source, args: &ClusterArgs, i: usize) -> Result<Process> {
    let mut command = serve_command(dir, source, "127.0.0.1:0", &format!("serve-{i}.log"))?;
    command.env("WOONOX_LEASE_SECS", args.lease_secs.to_string()).env_remove("WOONOX_SECRET_KEY");
    Ok(Process { child: command.spawn()? })
}

pub(super) async fn wait(what: &str, limit: Duration, mut done: impl FnMut() -> Result<bool>) -> Result<()> {
    let deadline = Instant::now() + limit;
    while !done()? {
        if Instant::now() > deadline {
            bail!("gave up waiting for {what} after {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

fn eligible(sim: &Sim) -> usize {
    let woo = sim.woo.lock().unwrap_or_else(|p| p.into_inner());
    woo.paid_orders().count()
}

fn documents(sim: &Sim) -> usize {
    sim.fortnox.lock().unwrap_or_else(|p| p.into_inner()).documents.orders.len()
}

fn calls(sim: &Sim) -> (usize, usize) {
    (sim.log.count("fortnox"), sim.log.count("woocommerce"))
}

/// How long after `since` a process other than `victim` first wrote to `sim`.
fn first_write_after(sim: &Sim, since: Instant, victim: &str) -> Option<Duration> {
    sim.log
        .entries()
        .iter()
        .filter(|e| e.at > since && e.is_write() && e.process.as_deref().is_some_and(|p| !p.contains(victim)))
        .map(|e| e.at - since)
        .min()
}

struct Row {
    processes: usize,
    orders: usize,
    seconds: f64,
    floor: f64,
    duplicates: usize,
}

struct Takeover {
    orphans: usize,
    first: Duration,
    last: Duration,
    duplicates: usize,
}

fn print(args: &ClusterArgs, rows: &[Row], takeover: &Takeover) {
    println!(
        "{} connections, {} orders seeded each, polled every {POLL}, lease {} s\n",
        args.connections, args.orders, args.lease_secs
    );
    println!("| processes | orders | wall s | connections / min | floor s | wall / floor | duplicates |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for r in rows {
        let per_minute = args.connections as f64 * 60.0 / r.seconds;
        let ratio = r.seconds / r.floor.max(f64::EPSILON);
        println!(
            "| {} | {} | {:.1} | {per_minute:.1} | {:.1} | {ratio:.2} | {} |",
            r.processes, r.orders, r.seconds, r.floor, r.duplicates
        );
    }
    if let [one, three, ..] = rows {
        println!("\nthree processes against one: {:.2}× the connections per minute", one.seconds / three.seconds);
    }
    println!(
        "\nkilled the process holding {} connection(s): their successor's first write after {:.1} s (first) to {:.1} s (last); {} duplicate(s)",
        takeover.orphans,
        takeover.first.as_secs_f64(),
        takeover.last.as_secs_f64(),
        takeover.duplicates
    );
}
