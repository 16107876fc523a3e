//! `woonox demo`: the whole product on a laptop with no account anywhere. Stand-ins for
//! Fortnox and WooCommerce start in-process with a seeded shop; woonox connects to them,
//! runs the doctor, runs every flow, lets "the accountant" pay and credit a few invoices in Fortnox, runs
//! the flows that bring that back, and finally runs everything again to show that a
//! second pass writes nothing.

use super::sync::{HeldAction, SyncArgs, flows, print};
use anyhow::Result;
use woonox::connections::connection::Paths;
use woonox::runtime::Source;
use woonox::runtime::connector_bindings::wit_sync::{Flow, Report};
use woonox_guest::settings::{DocumentKind, Settings};
use woonox_sim::{Sim, SimConfig};

pub struct DemoArgs {
    pub seed: u64,
    pub articles: usize,
    pub orders: usize,
}

const CONNECTION: &str = "demo";

pub async fn run(paths: &Paths, source: &Source, args: DemoArgs) -> Result<()> {
    let config = SimConfig {
        seed: args.seed,
        articles: args.articles,
        orders: Some(args.orders),
        refunds: 12,
        ..Default::default()
    };
    let sim = Sim::start(config).await?;
    let demo = Paths::new(paths.data_dir.join("demo"));
    let _ = std::fs::remove_dir_all(&demo.data_dir);
    println!("Stand-ins started: Fortnox at {}, WooCommerce at {}.", sim.fortnox_url, sim.woo_url);
    println!(
        "The shop: {} Fortnox articles, half of them already in WooCommerce (some as variations), {} orders \
         (mixed VAT, coupons, fees, shipping, SEK and EUR, guests and returning customers, some partly refunded).",
        args.articles, args.orders
    );
    super::stand_ins::connect(&demo, &sim, CONNECTION, 25).await?;
    println!("Connected. State and tokens live in {}.\n", demo.data_dir.display());
    let settings = demo_settings();

    doctor(&demo, source, &settings).await?;
    println!("\n1. Everything WooCommerce and Fortnox need from each other:");
    let first =
        pass(&demo, source, &settings, &[Flow::Products, Flow::Stock, Flow::Customers, Flow::Orders, Flow::Refunds])
            .await?;
    println!("\n2. Meanwhile in Fortnox, the accountant registers payments and credits an invoice:");
    accountant(&sim);
    let second = pass(&demo, source, &settings, &[Flow::Invoices, Flow::CreditNotes, Flow::Refunds]).await?;
    println!("\n3. Everything again, nothing having changed:");
    sim.log.clear();
    let all =
        [Flow::Products, Flow::Stock, Flow::Customers, Flow::Orders, Flow::Invoices, Flow::CreditNotes, Flow::Refunds];
    pass(&demo, source, &settings, &all).await?;
    let writes = sim.log.entries().iter().filter(|e| e.is_write()).count();
    println!("   API writes in this pass: {writes} (exactly once: nothing is written twice).");
    let failed: usize = first.iter().chain(&second).map(|r| r.failed.len()).sum();
    println!(
        "\nDone: {failed} item(s) failed. Connect your own shop with `woonox connect woocommerce` and `woonox connect fortnox`."
    );
    Ok(())
}

/// Orders become invoices, so refunds and credits have something to credit; a paid
/// invoice completes its order.
fn demo_settings() -> Settings {
    let mut settings = Settings::default();
    settings.order.document = DocumentKind::Invoice;
    settings.flows.paid_status = Some("completed".into());
    settings
}

/// `woonox doctor` before anything is written: its counts, and each check that is not ok.
async fn doctor(demo: &Paths, source: &Source, settings: &Settings) -> Result<()> {
    use woonox::doctor::{Patient, Verdict, examine};
    let super::Opened { config, state, connection, runtime } = super::Opened::new(demo, source, CONNECTION)?;
    let patient = Patient {
        paths: demo,
        config: &config,
        name: CONNECTION,
        opened: &connection,
        state: &state,
        settings,
        fortnox_events: None,
    };
    let exam = examine(&patient, &runtime).await?;
    println!(
        "First `woonox doctor` reads both sides and writes nothing: {} checks, {} ok, {} warning(s), {} failing.",
        exam.findings.len(),
        exam.count(Verdict::Ok),
        exam.count(Verdict::Warning),
        exam.count(Verdict::Failing)
    );
    for f in exam.findings.iter().filter(|f| f.verdict != Verdict::Ok) {
        println!("   {} {}: {} ({})", f.side, f.check, f.detail, f.fix);
    }
    Ok(())
}

async fn pass(demo: &Paths, source: &Source, settings: &Settings, list: &[Flow]) -> Result<Vec<Report>> {
    let args =
        SyncArgs { connection: CONNECTION, flows: list.to_vec(), dry_run: false, json: false, held: HeldAction::Wait };
    let reports = flows(demo, source, &args, settings).await?;
    print(&reports, &args);
    Ok(reports)
}

/// Pays the first ten invoices in full, and bookkeeps and credits one more, all of orders
/// nobody refunded in WooCommerce.
fn accountant(sim: &Sim) {
    let refunded: Vec<String> = {
        let woo = sim.woo.lock().unwrap_or_else(|p| p.into_inner());
        let with_refunds = woo.orders.iter().filter(|o| o["refunds"].as_array().is_some_and(|r| !r.is_empty()));
        with_refunds.map(|o| format!("woonox:woo:{}", o["id"])).collect()
    };
    let mut fortnox = sim.fortnox.lock().unwrap_or_else(|p| p.into_inner());
    let invoices: Vec<(u64, serde_json::Value)> = fortnox
        .documents
        .invoices
        .iter()
        .filter(|(_, i)| i["Credit"] != true && i["Cancelled"] != true)
        .filter(|(_, i)| !refunded.iter().any(|r| i["ExternalInvoiceReference1"] == r.as_str()))
        .map(|(n, i)| (*n, i.clone()))
        .take(11)
        .collect();
    for (number, invoice) in &invoices[..invoices.len().saturating_sub(1)] {
        let payment = serde_json::json!({ "InvoicePayment": { "InvoiceNumber": number,
            "Amount": invoice["Balance"], "PaymentDate": invoice["InvoiceDate"] } });
        let _ = fortnox.documents.pay(&payment);
    }
    if let Some((number, _)) = invoices.last() {
        let _ = fortnox.documents.invoice_action(*number, "bookkeep");
        let _ = fortnox.documents.invoice_action(*number, "credit");
        println!("   paid {} invoices in full; credited invoice {number}", invoices.len() - 1);
    }
}
