//! `woonox sync FLOW…`: runs flows through the component and prints what each did.

use super::bad;
use super::progress::Bars;
use anyhow::{Result, bail};
use std::sync::Arc;
use woonox::connections::connection::Paths;
use woonox::runtime::connector_bindings::wit_sync::{
    Change, Endpoints, Failure, Flow, Report, RunAllOutcome, RunOptions, SyncError,
};
use woonox::runtime::wit_settings::to_wit;
use woonox::runtime::{ConnectionContext, Source};
use woonox::serve::worker::summary;
use woonox::state::held;
use woonox::state::queue::Run;
use woonox::state::store::Store;

pub struct SyncArgs<'a> {
    pub connection: &'a str,
    pub flows: Vec<Flow>,
    pub dry_run: bool,
    pub json: bool,
    /// What to do first with the items the flows hold for the merchant.
    pub held: HeldAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldAction {
    Wait,
    Retry,
    Dismiss,
}

pub async fn run(paths: &Paths, source: &Source, args: SyncArgs<'_>, settings: &woonox_guest::Settings) -> Result<()> {
    let state = Arc::new(Store::for_paths(paths).map_err(bad)?);
    settle_held(&state, &args)?;
    let reports = flows(paths, source, &args, settings).await?;
    print(&reports, &args);
    let failed: usize = reports.iter().map(|r| r.failed.len()).sum();
    if failed > 0 {
        bail!("{failed} item(s) failed; the reasons are listed above");
    }
    let waiting = held::waiting(&state.namespace(args.connection), None)?;
    if !waiting.is_empty() {
        bail!("{}", waiting_message(&waiting));
    }
    Ok(())
}

/// Retries or dismisses the held items of the flows about to run.
fn settle_held(state: &Store, args: &SyncArgs<'_>) -> Result<()> {
    if args.held == HeldAction::Wait || args.dry_run {
        return Ok(());
    }
    let ns = state.namespace(args.connection);
    for flow in &args.flows {
        for item in held::waiting(&ns, Some(name(*flow)))? {
            match args.held {
                HeldAction::Retry => held::retry(&ns, &item.key)?,
                _ => held::dismiss(&ns, &item.key)?,
            };
        }
    }
    Ok(())
}

/// The items waiting for the merchant, and the two ways out.
pub fn waiting_message(waiting: &[held::HeldItem]) -> String {
    let mut text = format!("{} item(s) wait for you:", waiting.len());
    for w in waiting {
        text.push_str(&format!("\n  {} {}: {}", w.held.flow, w.held.item, w.held.reason));
    }
    text.push_str(
        "\nOnce settled, run the flow with --retry-failed to try again, or --dismiss-failed to leave them alone \
         (or use the status page's buttons).",
    );
    text
}

/// Runs `args.flows` in order, with a progress bar unless the output is JSON. Stops at the
/// first flow that cannot go on.
pub async fn flows(
    paths: &Paths,
    source: &Source,
    args: &SyncArgs<'_>,
    settings: &woonox_guest::Settings,
) -> Result<Vec<Report>> {
    let super::Opened { state, connection: opened, runtime, .. } = super::Opened::new(paths, source, args.connection)?;
    let endpoints = Endpoints { fortnox: opened.fortnox_api.clone(), woocommerce: opened.store_url.clone() };
    let (s, options) = (to_wit(settings), RunOptions { dry_run: args.dry_run });
    let bars = Bars::new(!args.json);
    let context = Arc::new(ConnectionContext { progress: Some(bars.sink()), ..(*opened.context).clone() });
    // One call, so that flows reading the same Fortnox listing share it.
    let started = (chrono::Utc::now().timestamp(), std::time::Instant::now());
    let outcome = runtime
        .call_sync(context.clone(), async |c, store| {
            Ok(c.woonox_connector_sync().call_run_all(store, &args.flows, &endpoints, options, &s).await?)
        })
        .await;
    bars.finish();
    let RunAllOutcome { reports, stopped } = outcome?;
    if !args.dry_run {
        record_runs(&state, args, (&reports, stopped.as_ref()), started);
    }
    let Some(stopped) = stopped else { return Ok(reports) };
    let flow = args.flows.get(reports.len()).copied().map(name).unwrap_or("a flow");
    match stopped {
        SyncError::Connection(why) => Err(bad(why)),
        SyncError::Interrupted(why) => {
            print(&reports, args);
            bail!("{flow} stopped: {why} (what was written is consistent; run it again)")
        }
        SyncError::NotYetSupported(why) => bail!("{why}"),
    }
}

/// Each flow's outcome where `woonox serve` keeps its own, for the status page and the
/// doctor. The flows ran in one call, so each is given the call's time.
fn record_runs(
    state: &Store,
    args: &SyncArgs<'_>,
    (reports, stopped): (&[Report], Option<&SyncError>),
    started: (i64, std::time::Instant),
) {
    let seconds = started.1.elapsed().as_secs_f64();
    let run = |flow: Flow, ok: bool, summary: String| Run {
        flow: name(flow).into(),
        started_at: started.0,
        seconds,
        ok,
        summary,
    };
    let mut runs: Vec<Run> = reports.iter().map(|r| run(r.flow, true, summary(r))).collect();
    if let (Some(e), Some(&flow)) = (stopped, args.flows.get(reports.len())) {
        let (SyncError::Connection(why) | SyncError::Interrupted(why) | SyncError::NotYetSupported(why)) = e;
        runs.push(run(flow, false, why.clone()));
    }
    for r in runs {
        if let Err(e) = state.record_run(args.connection, &r) {
            tracing::warn!("cannot record the {} run: {e:#}", r.flow);
        }
    }
}

pub use woonox::serve::schedule::flow_name as name;

pub fn print(reports: &[Report], args: &SyncArgs<'_>) {
    if args.json {
        for r in reports {
            print_json(r, args);
        }
        return;
    }
    if args.dry_run {
        println!("Dry run: nothing was written; the counts say what a real run would do.\n");
    }
    println!("{:<14}{:>9}{:>9}{:>11}{:>9}{:>8}", "flow", "created", "updated", "unchanged", "skipped", "failed");
    for r in reports {
        println!(
            "{:<14}{:>9}{:>9}{:>11}{:>9}{:>8}",
            name(r.flow),
            r.created,
            r.updated,
            r.unchanged,
            r.skipped,
            r.failed.len()
        );
    }
    for r in reports {
        for f in &r.failed {
            println!("  {} {}: {}", name(r.flow), f.item, f.reason);
        }
        for s in r.skipped_items.iter().take(SHOWN) {
            println!("  {} {} skipped: {}", name(r.flow), s.item, s.reason);
        }
        if r.skipped_items.len() > SHOWN {
            println!("  {} … and {} more skipped (--json lists them all)", name(r.flow), r.skipped_items.len() - SHOWN);
        }
    }
    if args.dry_run {
        print_planned(reports);
    }
}

/// Lines of a kind shown per flow in the table; `--json` lists every one.
const SHOWN: usize = 10;

/// One flow's report as a line of JSON, written as it is serialized: a catalog's first run
/// reports every product it made, and a tree of JSON values for 50,000 of them would be
/// most of the process's memory.
fn print_json<'a>(r: &'a Report, args: &'a SyncArgs<'_>) {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        connection: &'a str,
        flow: &'static str,
        dry_run: bool,
        created: u32,
        updated: u32,
        unchanged: u32,
        skipped: u32,
        skipped_items: Vec<Item<'a>>,
        failed: Vec<Item<'a>>,
        changes: Vec<ChangeLine<'a>>,
    }
    #[derive(serde::Serialize)]
    struct Item<'a> {
        item: &'a str,
        reason: &'a str,
    }
    #[derive(serde::Serialize)]
    struct ChangeLine<'a> {
        item: &'a str,
        action: &'a str,
        target: &'a str,
        fields: Vec<FieldLine<'a>>,
    }
    #[derive(serde::Serialize)]
    struct FieldLine<'a> {
        field: &'a str,
        old: &'a str,
        new: &'a str,
    }
    let item = |f: &'a Failure| Item { item: &f.item, reason: &f.reason };
    let change = |c: &'a Change| ChangeLine {
        item: &c.item,
        action: &c.action,
        target: &c.target,
        fields: c.fields.iter().map(|f| FieldLine { field: &f.field, old: &f.old, new: &f.new }).collect(),
    };
    let line = Line {
        connection: args.connection,
        flow: name(r.flow),
        dry_run: args.dry_run,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        skipped: r.skipped,
        skipped_items: r.skipped_items.iter().map(item).collect(),
        failed: r.failed.iter().map(item).collect(),
        changes: r.changes.iter().map(change).collect(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A reader that went away (`| head`) is no reason to fail the run after its writes.
    let _ = serde_json::to_writer(&mut out, &line);
    let _ = std::io::Write::write_all(&mut out, b"\n");
}

/// What a dry run would write, a few lines per flow, each update with what it changes.
fn print_planned(reports: &[Report]) {
    for r in reports.iter().filter(|r| !r.changes.is_empty()) {
        println!("\n{} would write:", name(r.flow));
        for c in r.changes.iter().take(SHOWN) {
            println!("  {} {}", c.action, c.item);
            for f in &c.fields {
                println!("      {}: {} → {}", f.field, shown(&f.old), shown(&f.new));
            }
        }
        if r.changes.len() > SHOWN {
            println!("  … and {} more (--json lists them all)", r.changes.len() - SHOWN);
        }
    }
}

/// A value as the table shows it; an empty one visibly so.
fn shown(value: &str) -> &str {
    if value.is_empty() { "(empty)" } else { value }
}
