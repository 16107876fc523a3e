//! `woonox bench --serve`: one `woonox serve` process, `connections` stand-in pairs, and
//! signed WooCommerce deliveries of paid orders at `rate` a second in all for `seconds`.
//! Measured per delivery: the time until its Fortnox document exists, against the floor
//! Fortnox's limit sets for a perfect client given the same arrivals (each company 25
//! calls in any 5 s; a new buyer's searches and customer before the document); and the
//! process's peak memory.

use super::bench::new_buyer_calls;
use super::bench_cluster::{Process, poll_only, serve_command, wait};
use anyhow::{Result, bail};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use woonox::connections::connection::Paths;
use woonox::runtime::{Limits, Runtime, Source};
use woonox::serve::webhooks::WebhookSecret;
use woonox::state::secrets::{Secrets, WEBHOOK};
use woonox_sim::{Sim, SimConfig};

pub struct ServeArgs {
    pub connections: usize,
    /// Deliveries a second, over all connections.
    pub rate: f64,
    pub seconds: u64,
    pub woo_rate: u32,
}

/// Threads sending deliveries, so a slow answer does not hold the next one back.
const SENDERS: usize = 8;

/// One delivery: which connection, and the order it carries.
struct Delivery {
    connection: usize,
    order: Value,
}

pub async fn run(paths: &Paths, source: &Source, args: ServeArgs) -> Result<()> {
    let dir = Paths::new(paths.data_dir.join("bench-serve"));
    let _ = std::fs::remove_dir_all(&dir.data_dir);
    woonox::state::permissions::create_dir(&dir.data_dir)?;
    // Compiled once here, so the serve process does not spend its first seconds compiling.
    drop(Runtime::new(source, Some(&dir.cache_dir()), Limits::default())?);
    let each = (args.rate * args.seconds as f64 / args.connections as f64).ceil() as usize;
    let (sims, secrets, deliveries) = prepare(&dir, &args, each).await?;
    // Every poll off: only the deliveries bring orders in.
    poll_only(&dir, None)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let serve = start_serve(&dir, source, port).await?;
    for sim in &sims {
        sim.log.clear();
    }
    let sent = send_all(port, &sims, secrets, &deliveries, args.rate);
    let seen = watch(&sims, &deliveries, &sent, Duration::from_secs(args.seconds + 600)).await?;
    let peak_mb = woonox::peak_rss_mb_of(&serve.child.id().to_string());
    drop(serve);
    let sent = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let result = Outcome::measure(&sims, &deliveries, &sent, &seen, peak_mb);
    result.print(&args);
    Ok(())
}

/// The stand-ins, each connected with its webhook secret, and the deliveries: round robin
/// over the connections, each connection's paid orders in the store's order.
async fn prepare(dir: &Paths, args: &ServeArgs, each: usize) -> Result<(Vec<Sim>, Vec<String>, Vec<Delivery>)> {
    let (mut sims, mut secrets, mut orders) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.connections {
        let config = SimConfig { seed: i as u64 + 1, articles: 30, orders: Some(each * 3), ..Default::default() };
        let sim = Sim::start(config).await?;
        let name = format!("c{i}");
        super::stand_ins::connect(dir, &sim, &name, args.woo_rate).await?;
        let secret = format!("bench-secret-{i}");
        Secrets::for_paths(dir)?.write(&name, WEBHOOK, &WebhookSecret { secret: secret.clone() })?;
        let paid: Vec<Value> =
            sim.woo.lock().unwrap_or_else(|p| p.into_inner()).paid_orders().take(each).cloned().collect();
        if paid.len() < each {
            bail!("the stand-in seeded {} paid orders for c{i}, not {each}", paid.len());
        }
        sims.push(sim);
        secrets.push(secret);
        orders.push(paid);
    }
    let deliveries = (0..each)
        .flat_map(|k| orders.iter().enumerate().map(move |(c, o)| Delivery { connection: c, order: o[k].clone() }))
        .collect();
    Ok((sims, secrets, deliveries))
}

/// `woonox serve` on `port`, once it answers.
async fn start_serve(dir: &Paths, source: &Source, port: u16) -> Result<Process> {
    let mut command = serve_command(dir, source, &format!("127.0.0.1:{port}"), "serve.log")?;
    command.env_remove("WOONOX_STATUS_TOKEN");
    let serve = Process { child: command.spawn()? };
    let health = format!("http://127.0.0.1:{port}/healthz");
    let what = format!("woonox serve to answer (see {}/serve.log)", dir.data_dir.display());
    wait(&what, Duration::from_secs(60), || Ok(ureq::get(&health).call().is_ok())).await?;
    Ok(serve)
}

/// Sends delivery k at `k / rate` seconds from now, from several threads; answers when
/// each was sent, filled in as they go.
fn send_all(port: u16, sims: &[Sim], secrets: Vec<String>, deliveries: &[Delivery], rate: f64) -> SentTimes {
    let sent: SentTimes = Arc::new(Mutex::new(vec![None; deliveries.len()]));
    let jobs: Arc<Vec<Job>> = Arc::new(
        deliveries
            .iter()
            .map(|d| Job {
                url: format!("http://127.0.0.1:{port}/hooks/woocommerce/c{}", d.connection),
                source: format!("{}/", sims[d.connection].woo_url),
                secret: secrets[d.connection].clone(),
                body: d.order.to_string(),
            })
            .collect(),
    );
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    for _ in 0..SENDERS {
        let (jobs, next, sent) = (jobs.clone(), next.clone(), sent.clone());
        std::thread::spawn(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
            loop {
                let k = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(k) else { return };
                let due = start + Duration::from_secs_f64(k as f64 / rate);
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                let at = Instant::now();
                let answer = agent
                    .post(&job.url)
                    .header("content-type", "application/json")
                    .header("x-wc-webhook-source", &job.source)
                    .header("x-wc-webhook-topic", "order.updated")
                    .header("x-wc-webhook-delivery-id", &format!("bench-{k}"))
                    .header("x-wc-webhook-signature", woonox_sim::webhooks::signature(&job.secret, job.body.as_bytes()))
                    .send(job.body.as_str());
                let accepted = answer.is_ok_and(|r| r.status() == 200);
                sent.lock().unwrap_or_else(|p| p.into_inner())[k] = Some(Sent { at, accepted });
            }
        });
    }
    sent
}

/// A delivery as sent: where, signed with what, from which store.
struct Job {
    url: String,
    source: String,
    secret: String,
    body: String,
}

#[derive(Clone, Copy)]
struct Sent {
    at: Instant,
    accepted: bool,
}

type SentTimes = Arc<Mutex<Vec<Option<Sent>>>>;

/// When each delivery's order was first seen as a Fortnox document, looking every 20 ms
/// until all are there (or `limit` passes).
async fn watch(
    sims: &[Sim],
    deliveries: &[Delivery],
    sent: &SentTimes,
    limit: Duration,
) -> Result<Vec<Option<Instant>>> {
    let wanted: HashMap<(usize, String), usize> =
        deliveries.iter().enumerate().map(|(k, d)| ((d.connection, d.order["id"].to_string()), k)).collect();
    let mut seen: Vec<Option<Instant>> = vec![None; deliveries.len()];
    let deadline = Instant::now() + limit;
    loop {
        let now = Instant::now();
        for (c, sim) in sims.iter().enumerate() {
            for r in documents(sim) {
                if let Some(&k) = wanted.get(&(c, r))
                    && seen[k].is_none()
                {
                    seen[k] = Some(now);
                }
            }
        }
        let accepted = sent.lock().unwrap_or_else(|p| p.into_inner()).iter().flatten().filter(|s| s.accepted).count();
        let all_sent = sent.lock().unwrap_or_else(|p| p.into_inner()).iter().all(Option::is_some);
        if all_sent && seen.iter().flatten().count() >= accepted {
            return Ok(seen);
        }
        if now > deadline {
            bail!("gave up after {limit:?}: {} of {} orders reached Fortnox", seen.iter().flatten().count(), accepted);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The order ids of every document in a stand-in's Fortnox, once per document (its
/// `ExternalInvoiceReference1` ends in the order id).
fn documents(sim: &Sim) -> Vec<String> {
    let fortnox = sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
    let docs =
        fortnox.documents.orders.values().chain(fortnox.documents.invoices.values().filter(|i| i["Credit"] != true));
    docs.filter_map(|d| d["ExternalInvoiceReference1"].as_str()?.rsplit(':').next().map(str::to_owned)).collect()
}

struct Outcome {
    latencies: Vec<f64>,
    floors: Vec<f64>,
    /// Each delivery's latency less its own floor.
    over: Vec<f64>,
    refused: usize,
    duplicates: usize,
    peak_mb: f64,
    /// Fortnox calls made in all, and those the floor counts.
    calls: (usize, usize),
    woo_calls: usize,
    /// Fortnox calls by method and resource ("GET /3/currencies"), most first.
    kinds: Vec<(String, usize)>,
}

impl Outcome {
    fn measure(
        sims: &[Sim],
        deliveries: &[Delivery],
        sent: &[Option<Sent>],
        seen: &[Option<Instant>],
        peak_mb: f64,
    ) -> Outcome {
        let start = sent.iter().flatten().map(|s| s.at).min().unwrap_or_else(Instant::now);
        let (floors, floor_calls) = floors(sims.len(), deliveries, sent, start);
        let made = |service| sims.iter().map(|s| s.log.count(service)).sum::<usize>();
        let (mut latencies, mut own_floors, mut over) = (Vec::new(), Vec::new(), Vec::new());
        for (k, (s, seen)) in sent.iter().zip(seen).enumerate() {
            if let (Some(s), Some(seen)) = (s, seen) {
                let latency = (*seen - s.at).as_secs_f64();
                latencies.push(latency);
                own_floors.push(floors[k]);
                over.push(latency - floors[k]);
            }
        }
        let refused = sent.iter().flatten().filter(|s| !s.accepted).count();
        let duplicates = sims
            .iter()
            .map(|sim| {
                let docs = documents(sim);
                docs.len() - docs.iter().collect::<BTreeSet<_>>().len()
            })
            .sum();
        let calls = (made("fortnox"), floor_calls);
        Outcome {
            latencies,
            floors: own_floors,
            over,
            refused,
            duplicates,
            peak_mb,
            calls,
            woo_calls: made("woocommerce"),
            kinds: kinds(sims),
        }
    }

    fn print(&self, args: &ServeArgs) {
        println!(
            "{} connections, {} deliveries a second for {} s ({} in all), each a paid order; polls off\n",
            args.connections,
            args.rate,
            args.seconds,
            self.latencies.len() + self.refused
        );
        println!("| | p50 s | p99 s | max s |");
        println!("|---|---:|---:|---:|");
        for (name, values) in [
            ("delivery → Fortnox document", &self.latencies),
            ("floor (Fortnox's limit, a perfect client)", &self.floors),
            ("each delivery over its floor", &self.over),
        ] {
            let (p50, p99, max) = percentiles(values);
            println!("| {name} | {p50:.2} | {p99:.2} | {max:.2} |");
        }
        println!(
            "\nFortnox calls {} (the floor's {}), WooCommerce calls {}; peak memory of the serve process {:.0} MB; {} refused deliveries; {} duplicate documents",
            self.calls.0, self.calls.1, self.woo_calls, self.peak_mb, self.refused, self.duplicates
        );
        let kinds: Vec<String> = self.kinds.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        println!("Fortnox calls by kind: {}", kinds.join(", "));
    }
}

/// Fortnox calls by method and resource, most first: what the calls over the floor were.
fn kinds(sims: &[Sim]) -> Vec<(String, usize)> {
    let mut kinds: HashMap<String, usize> = HashMap::new();
    for e in sims.iter().flat_map(|s| s.log.entries()).filter(|e| e.service == "fortnox") {
        let resource: Vec<&str> = e.path.split('?').next().unwrap_or("").split('/').take(3).collect();
        *kinds.entry(format!("{} {}", e.method, resource.join("/"))).or_default() += 1;
    }
    let mut kinds: Vec<(String, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    kinds
}

/// p50, p99 and the largest of `values`.
fn percentiles(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted.get(((sorted.len() as f64 * q).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0);
    (at(0.50), at(0.99), sorted.last().copied().unwrap_or(0.0))
}

/// Each delivery's floor: with the same arrivals, the soonest a client that did nothing
/// but Fortnox's calls could have the document, each company allowing 25 calls in any
/// 5 s. An order needs its document; a buyer's first order also their searches and the
/// customer; the first order in a foreign currency also the rate.
/// Answers the floors and the calls they count.
fn floors(connections: usize, deliveries: &[Delivery], sent: &[Option<Sent>], start: Instant) -> (Vec<f64>, usize) {
    let mut calls: Vec<Vec<f64>> = vec![Vec::new(); connections];
    let mut buyers: Vec<BTreeSet<String>> = vec![BTreeSet::new(); connections];
    let mut currencies: Vec<BTreeSet<String>> = vec![BTreeSet::new(); connections];
    let mut floors = vec![0.0; deliveries.len()];
    for (k, d) in deliveries.iter().enumerate() {
        let Some(s) = sent[k] else { continue };
        let arrived = (s.at - start).as_secs_f64();
        let email = d.order["billing"]["email"].as_str().unwrap_or("").to_owned();
        let mut cost = if buyers[d.connection].insert(email) { new_buyer_calls(&d.order) + 1 } else { 1 };
        let currency = d.order["currency"].as_str().unwrap_or("SEK").to_owned();
        if currency != "SEK" && currencies[d.connection].insert(currency) {
            cost += 1;
        }
        let made = &mut calls[d.connection];
        let mut last = arrived;
        for _ in 0..cost {
            let window = made.len().checked_sub(25).map_or(0.0, |i| made[i] + 5.0);
            last = arrived.max(window);
            made.push(last);
        }
        floors[k] = last - arrived;
    }
    (floors, calls.iter().map(Vec::len).sum())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Twenty-eight orders of one guest at once: the first costs a search, the customer and
    /// its document, the rest their documents; 25 calls go at once, the other five 5 s on.
    #[test]
    fn the_floor_follows_the_sliding_window() {
        let order = json!({ "billing": { "email": "a@example.se" }, "customer_id": 0, "currency": "SEK" });
        let deliveries: Vec<Delivery> = (0..28).map(|_| Delivery { connection: 0, order: order.clone() }).collect();
        let start = Instant::now();
        let sent = vec![Some(Sent { at: start, accepted: true }); 28];
        let (floors, calls) = floors(1, &deliveries, &sent, start);
        assert_eq!(calls, 30);
        assert!(floors[..23].iter().all(|f| *f == 0.0), "{floors:?}");
        assert!(floors[23..].iter().all(|f| *f == 5.0), "{floors:?}");
    }

    /// Arrivals spread out never wait: a call every 0.3 s stays under 25 in any 5 s.
    #[test]
    fn spread_arrivals_have_no_floor() {
        let order = |i: usize| json!({ "billing": { "email": format!("{}@example.se", i % 2) }, "currency": "EUR" });
        let deliveries: Vec<Delivery> = (0..40).map(|i| Delivery { connection: 0, order: order(i) }).collect();
        let start = Instant::now();
        let sent: Vec<Option<Sent>> = (0..40)
            .map(|i| Some(Sent { at: start + Duration::from_millis(1000 * i as u64), accepted: true }))
            .collect();
        let (floors, _) = floors(1, &deliveries, &sent, start);
        assert!(floors.iter().all(|f| *f == 0.0), "{floors:?}");
    }

    #[test]
    fn percentiles_take_the_value_at_or_above_the_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentiles(&values), (50.0, 99.0, 100.0));
    }
}
