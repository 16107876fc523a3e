//! `woonox bench`: the flows against in-process stand-ins that enforce Fortnox's real limit
//! (25 requests in any 5 s), per scenario the API calls made against the fewest the APIs
//! allow, and the wall time against the rate-limit floor. Also the peak resident memory.

use anyhow::Result;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Instant;
use woonox::connections::connection::Paths;
use woonox::runtime::Source;
use woonox::runtime::connector_bindings::wit_sync::Flow;
use woonox::serve::schedule::flow_name as name;
use woonox_sim::{Sim, SimConfig};

pub struct BenchArgs {
    pub articles: usize,
    pub orders: usize,
    pub woo_rate: u32,
}

const CONNECTION: &str = "bench";

/// Calls per service: (Fortnox, WooCommerce).
type Calls = (usize, usize);

struct Row {
    scenario: String,
    made: Calls,
    minimum: Calls,
    seconds: f64,
    floor: f64,
    note: String,
    peak_mb: f64,
}

fn pages(items: usize, per_page: usize) -> usize {
    items.div_ceil(per_page)
}

pub async fn run(paths: &Paths, source: &Source, args: BenchArgs) -> Result<()> {
    let config = SimConfig { articles: args.articles, orders: Some(args.orders), ..SimConfig::default() };
    let sim = Sim::start(config).await?;
    let dir = Paths::new(paths.data_dir.join("bench"));
    let _ = std::fs::remove_dir_all(&dir.data_dir);
    super::stand_ins::connect(&dir, &sim, CONNECTION, args.woo_rate).await?;
    let ctx = Bench { sim: &sim, dir: &dir, source, woo_rate: args.woo_rate };
    let mut rows = Vec::new();
    let minimum = catalog_minimum(&sim);
    rows.push(ctx.scenario(&format!("initial catalog, {} articles", args.articles), Flow::Products, minimum).await?);
    let changed = ctx.change_prices(100);
    let minimum = incremental_minimum(&sim, &changed);
    rows.push(ctx.scenario("incremental, 1 % changed", Flow::Products, minimum).await?);
    let minimum = incremental_minimum(&sim, &[]);
    rows.push(ctx.scenario("incremental, nothing changed", Flow::Products, minimum).await?);
    let changed = ctx.change_stock(100);
    let minimum = stock_minimum(&sim, &changed);
    rows.push(ctx.scenario("stock, 1 % changed", Flow::Stock, minimum).await?);
    if args.orders > 0 {
        rows.push(ctx.orders().await?);
        rows.extend(ctx.invoices().await?);
    }
    print(&rows, args.woo_rate);
    Ok(())
}

struct Bench<'a> {
    sim: &'a Sim,
    dir: &'a Paths,
    source: &'a Source,
    woo_rate: u32,
}

impl Bench<'_> {
    async fn scenario(&self, scenario: &str, flow: Flow, minimum: Calls) -> Result<Row> {
        let (made, seconds, peak, timeline) = self.measure(flow).await?;
        let note = timing(&peak, timeline);
        Ok(Row {
            scenario: scenario.to_owned(),
            made,
            minimum,
            seconds,
            floor: floor(made, self.woo_rate),
            note,
            peak_mb: peak.process_mb,
        })
    }

    /// Runs one flow from a clean rate window, in a woonox process of its own (so its
    /// memory is the host's alone); the calls each stand-in saw, the time and the peak.
    async fn measure(&self, flow: Flow) -> Result<(Calls, f64, Peak, Option<super::bench_timeline::Timeline>)> {
        if let Ok(mut f) = self.sim.fortnox.lock() {
            f.reset_rate_windows();
        }
        self.sim.log.clear();
        let mut command = super::bench_cluster::woonox_command(self.dir, self.source)?;
        command.args(["sync", name(flow), "--connection", CONNECTION, "--json"]).env("WOONOX_PEAK_MEMORY", "1");
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(move || command.output()).await??;
        let ended = Instant::now();
        let seconds = ended.duration_since(started).as_secs_f64();
        let timeline = super::bench_timeline::of(&self.sim.log.entries(), started, ended);
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            anyhow::bail!("the {} run failed: {stderr}", name(flow));
        }
        let mb = |prefix: &str| {
            stderr.lines().find_map(|l| l.strip_prefix(prefix)?.trim_end_matches(" MB").parse().ok()).unwrap_or(0.0)
        };
        let peak = Peak { process_mb: mb("peak memory: "), component_mb: mb("component memory: ") };
        let made = (self.sim.log.count("fortnox"), self.sim.log.count("woocommerce"));
        Ok((made, seconds, peak, timeline))
    }

    /// Changes the price of every `every`-th article; answers their SKUs.
    fn change_prices(&self, every: usize) -> Vec<String> {
        let mut fortnox = self.sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
        let skus: Vec<String> = fortnox.articles.keys().step_by(every).cloned().collect();
        for sku in &skus {
            let price = fortnox.articles[sku]["SalesPrice"].as_f64().unwrap_or(0.0) + 1.0;
            fortnox.set_price(sku, price);
        }
        skus
    }

    /// Changes the stock of every `every`-th article; answers their SKUs.
    fn change_stock(&self, every: usize) -> Vec<String> {
        let mut fortnox = self.sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
        let skus: Vec<String> = fortnox.articles.keys().skip(1).step_by(every).cloned().collect();
        for sku in &skus {
            let article = fortnox.articles.get_mut(sku).expect("listed above");
            let level = article["DisposableQuantity"].as_f64().unwrap_or(0.0) + 3.0;
            article["DisposableQuantity"] = json!(level);
            article["QuantityInStock"] = json!(level);
        }
        skus
    }

    /// The merchant invoices every order woonox sent, an hour ago; then the invoices flow
    /// reads them all, then a run after 1 % were paid, then one after nothing changed. The
    /// first run notes each invoice on its order (meta and a note); the others only read
    /// (no paid status is set), one listing page each.
    async fn invoices(&self) -> Result<Vec<Row>> {
        let invoices = self.invoice_orders();
        let first = self.scenario("invoices, first read", Flow::Invoices, (pages(invoices, 500), 2 * invoices));
        let mut rows = vec![first.await?];
        let paid = self.pay_invoices(100);
        rows.push(self.scenario(&format!("invoices, 1 % changed ({paid} paid)"), Flow::Invoices, (1, 0)).await?);
        rows.push(self.scenario("invoices, nothing changed", Flow::Invoices, (1, 0)).await?);
        Ok(rows)
    }

    /// Invoices each Fortnox order, backdated an hour; answers how many invoices there are.
    fn invoice_orders(&self) -> usize {
        let mut fortnox = self.sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
        let woonox_sim::fortnox::State { documents, articles, .. } = &mut *fortnox;
        let orders: Vec<u64> = documents.orders.keys().copied().collect();
        for order in orders {
            // An order already invoiced or cancelled is left as it is.
            let _ = documents.order_create_invoice(order, articles);
        }
        documents.backdate_invoices(chrono::Duration::hours(1));
        documents.invoices.len()
    }

    /// Pays every `every`-th invoice in full today; answers how many.
    fn pay_invoices(&self, every: usize) -> usize {
        let mut fortnox = self.sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
        let due: Vec<(u64, Value)> =
            fortnox.documents.invoices.iter().step_by(every).map(|(n, i)| (*n, i["Balance"].clone())).collect();
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let mut paid = 0;
        for (number, balance) in due {
            let payment = json!({ "InvoicePayment": { "InvoiceNumber": number, "AmountCurrency": balance,
                                                      "PaymentDate": today } });
            paid += usize::from(fortnox.documents.pay(&payment).is_ok());
        }
        paid
    }

    /// Every eligible order: Fortnox calls per order for new and returning customers.
    async fn orders(&self) -> Result<Row> {
        let eligible: Vec<Value> = {
            let woo = self.sim.woo.lock().unwrap_or_else(|p| p.into_inner());
            woo.paid_orders().cloned().collect()
        };
        let mut buyers = BTreeSet::new();
        let first_orders: Vec<&Value> =
            eligible.iter().filter(|o| buyers.insert(o["billing"]["email"].as_str().unwrap_or(""))).collect();
        let currencies: BTreeSet<&str> =
            eligible.iter().filter_map(|o| o["currency"].as_str()).filter(|c| *c != "SEK").collect();
        let (new, returning) = (first_orders.len(), eligible.len() - first_orders.len());
        // A new buyer: the searches and the customer, then the document. A returning one:
        // the document only. Plus a rate per foreign currency; on WooCommerce one listing
        // page per 100 orders and a note and meta per order.
        let new_cost: usize = first_orders.iter().map(|o| new_buyer_calls(o)).sum();
        let fortnox_min = new_cost + new + returning + currencies.len();
        let woo_min = pages(eligible.len(), 100) + 2 * eligible.len();
        let (made, seconds, peak, timeline) = self.measure(Flow::Orders).await?;
        let per_returning = (made.0 - new_cost - new - currencies.len()) as f64 / returning.max(1) as f64;
        Ok(Row {
            scenario: format!("{} orders ({new} new buyers, {returning} returning)", eligible.len()),
            made,
            minimum: (fortnox_min, woo_min),
            seconds,
            floor: floor(made, self.woo_rate),
            note: format!("{per_returning:.2} Fortnox calls per returning-customer order; {}", timing(&peak, timeline)),
            peak_mb: peak.process_mb,
        })
    }
}

/// A run's peak resident memory, and how much of it the component's linear memory was.
/// The peak memory, and where the time went when the run made calls.
fn timing(peak: &Peak, timeline: Option<super::bench_timeline::Timeline>) -> String {
    match timeline {
        Some(t) => format!("{peak}; {t}"),
        None => peak.to_string(),
    }
}

struct Peak {
    process_mb: f64,
    component_mb: f64,
}

impl std::fmt::Display for Peak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peak {:.0} MB (component {:.0} MB)", self.process_mb, self.component_mb)
    }
}

/// Fortnox calls a buyer's first order needs besides its document: a search for each
/// identity the buyer is matched by (the organisation number in `_billing_org_number`; the
/// email too when registered, or alone when there is no number), and the customer.
pub(super) fn new_buyer_calls(order: &Value) -> usize {
    let meta = order["meta_data"].as_array().into_iter().flatten();
    let org = meta
        .filter(|m| m["key"] == "_billing_org_number")
        .any(|m| m["value"].as_str().is_some_and(|v| v.chars().any(|c| c.is_ascii_digit())));
    let registered = order["customer_id"].as_u64().is_some_and(|id| id != 0);
    usize::from(org) + usize::from(registered || !org) + 1
}

/// The wall time the limits alone force: Fortnox lets 25 calls go at once and 25 more per
/// 5 s after; WooCommerce `woo_rate` at once and as many more each second after. Both could run side by side, so
/// the floor is the larger of the two.
pub(super) fn floor((fortnox, woo): Calls, woo_rate: u32) -> f64 {
    let fortnox_floor = fortnox.div_ceil(25).saturating_sub(1) as f64 * 5.0;
    let woo_floor = woo.div_ceil(woo_rate.max(1) as usize).saturating_sub(1) as f64;
    fortnox_floor.max(woo_floor)
}

struct CatalogShape {
    simple: usize,
    variations: usize,
    parents: usize,
}

fn shape(sim: &Sim, only: Option<&[String]>) -> CatalogShape {
    let (woo, fortnox) =
        (sim.woo.lock().unwrap_or_else(|p| p.into_inner()), sim.fortnox.lock().unwrap_or_else(|p| p.into_inner()));
    let wanted = |sku: &str| fortnox.articles.contains_key(sku) && only.is_none_or(|o| o.iter().any(|s| s == sku));
    let matched: Vec<&Value> = woo.products.iter().filter(|p| p["sku"].as_str().is_some_and(wanted)).collect();
    let variations: Vec<&&Value> = matched.iter().filter(|p| p["type"] == "variation").collect();
    let parents: BTreeSet<String> = variations.iter().map(|p| p["parent_id"].to_string()).collect();
    CatalogShape { simple: matched.len() - variations.len(), variations: variations.len(), parents: parents.len() }
}

/// Article pages, price pages; WooCommerce: the tax setup, SKU lookups, create and update
/// batches, and for the variations their parents' tax classes (a hundred parents a call;
/// the default settings keep classes in step) and one batch per parent.
fn catalog_minimum(sim: &Sim) -> Calls {
    let articles = sim.fortnox.lock().map(|f| f.articles.len()).unwrap_or(0);
    let s = shape(sim, None);
    let creates = articles - s.simple - s.variations;
    let woo = TAX_SETUP + pages(articles, 100) + pages(creates, 100) + pages(s.simple, 100) + variations(&s);
    (2 * pages(articles, 500), woo)
}

/// One page of changed articles and the price pages; the changed SKUs looked up and
/// written.
fn incremental_minimum(sim: &Sim, changed: &[String]) -> Calls {
    let articles = sim.fortnox.lock().map(|f| f.articles.len()).unwrap_or(0);
    let s = shape(sim, Some(changed));
    let woo = match changed.len() {
        0 => 0,
        n => TAX_SETUP + pages(n, 100) + pages(s.simple, 100) + variations(&s),
    };
    (1 + pages(articles, 500), woo)
}

/// A products run that writes reads the store's tax setup once, to pick each product's
/// class by its VAT rate: the base country, the classes and the rates.
const TAX_SETUP: usize = 3;

/// The variations' parents' classes, a hundred a call, and a batch per parent.
fn variations(s: &CatalogShape) -> usize {
    pages(s.parents, 100) + s.parents
}

/// Every article page; every product page and each variable product's variations page;
/// the changed levels written.
fn stock_minimum(sim: &Sim, changed: &[String]) -> Calls {
    let articles = sim.fortnox.lock().map(|f| f.articles.len()).unwrap_or(0);
    let (products, variable) = {
        let woo = sim.woo.lock().unwrap_or_else(|p| p.into_inner());
        let products = woo.products.iter().filter(|p| p["type"] != "variation").count();
        (products, woo.products.iter().filter(|p| p["type"] == "variable").count())
    };
    let s = shape(sim, Some(changed));
    (pages(articles, 500), pages(products, 100) + variable + pages(s.simple, 100) + s.parents)
}

fn print(rows: &[Row], woo_rate: u32) {
    println!("Fortnox at its real limit (25 requests in any 5 s); WooCommerce paced at {woo_rate} requests/s.\n");
    println!(
        "| scenario | Fortnox calls (min) | WooCommerce calls (min) | calls / min | wall s | floor s | wall / floor | note |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let ratio = (r.made.0 + r.made.1) as f64 / (r.minimum.0 + r.minimum.1).max(1) as f64;
        let over = if r.floor > 0.0 { format!("{:.2}", r.seconds / r.floor) } else { "–".into() };
        println!(
            "| {} | {} ({}) | {} ({}) | {ratio:.2} | {:.1} | {:.1} | {over} | {} |",
            r.scenario, r.made.0, r.minimum.0, r.made.1, r.minimum.1, r.seconds, r.floor, r.note
        );
    }
    let host = rows.iter().map(|r| r.peak_mb).fold(0.0, f64::max);
    println!("\nPeak resident memory of the woonox process running the flows: {host:.0} MB");
}
