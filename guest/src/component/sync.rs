//! The `sync` export: WIT types to native ones and back.

use super::Component;
use super::exports::woonox::connector::sync::{
    Change, ConnectionCheck, DoctorOptions, Endpoints, Failure, FieldChange, Finding, Flow, Guest, Report,
    RunAllOutcome, RunOptions, SyncError, Verdict,
};
use super::mapping::settings_from;
use super::wasi_state::{LogProgress, WasiKv};
use super::wasi_transport::WasiTransport;
use super::woonox::connector::types::Settings;
use crate::sync::{self as native, error::SyncError as NativeError};

fn endpoints(e: Endpoints) -> native::Endpoints {
    native::Endpoints { fortnox: e.fortnox, woocommerce: e.woocommerce }
}

fn native_flow(flow: Flow) -> native::Flow {
    match flow {
        Flow::Products => native::Flow::Products,
        Flow::Stock => native::Flow::Stock,
        Flow::Orders => native::Flow::Orders,
        Flow::Customers => native::Flow::Customers,
        Flow::Invoices => native::Flow::Invoices,
        Flow::CreditNotes => native::Flow::CreditNotes,
        Flow::Refunds => native::Flow::Refunds,
    }
}

fn finding(f: native::doctor::Finding) -> Finding {
    let verdict = match f.verdict {
        native::doctor::Verdict::Ok => Verdict::Ok,
        native::doctor::Verdict::Warning => Verdict::Warning,
        native::doctor::Verdict::Failing => Verdict::Failing,
    };
    Finding { side: f.side.into(), check: f.check, verdict, detail: f.detail, fix: f.fix }
}

fn error(e: NativeError) -> SyncError {
    match e {
        NativeError::Connection(m) => SyncError::Connection(m),
        NativeError::Interrupted(m) => SyncError::Interrupted(m),
    }
}

impl Guest for Component {
    fn check(endpoints_: Endpoints, settings: Settings) -> Result<ConnectionCheck, SyncError> {
        settings_from(settings).map_err(|e| SyncError::Connection(format!("{e:?}")))?;
        let counts = native::check::check(&WasiTransport, &endpoints(endpoints_)).map_err(error)?;
        Ok(ConnectionCheck {
            fortnox_articles: counts.fortnox_articles,
            woocommerce_products: counts.woocommerce_products,
        })
    }

    fn run(flow: Flow, endpoints: Endpoints, options: RunOptions, settings: Settings) -> Result<Report, SyncError> {
        with_ctx(endpoints, settings, options.dry_run, |ctx| native::run(ctx, native_flow(flow)))
            .map(|report| wit_report(flow, report))
    }

    fn run_all(flows: Vec<Flow>, endpoints: Endpoints, options: RunOptions, settings: Settings) -> RunAllOutcome {
        let native_flows: Vec<native::Flow> = flows.iter().copied().map(native_flow).collect();
        let run = with_ctx(endpoints, settings, options.dry_run, |ctx| Ok(native::run_all(ctx, &native_flows)));
        let (ran, stopped) = run.map_or_else(|e| (Vec::new(), Some(e)), |(ran, stopped)| (ran, stopped.map(error)));
        let reports = flows.into_iter().zip(ran).map(|(flow, report)| wit_report(flow, report)).collect();
        RunAllOutcome { reports, stopped }
    }

    fn doctor(endpoints: Endpoints, settings: Settings, options: DoctorOptions) -> Vec<Finding> {
        let options = native::doctor::Options { today: options.today, webhook_url: options.webhook_url };
        match with_ctx(endpoints, settings, true, |ctx| Ok(native::doctor::run(ctx, &options))) {
            Ok(findings) => findings.into_iter().map(finding).collect(),
            Err(SyncError::Connection(why) | SyncError::Interrupted(why) | SyncError::NotYetSupported(why)) => {
                let fix = "Correct the settings file, then run `woonox doctor` again".into();
                vec![Finding {
                    side: "woonox".into(),
                    check: "settings".into(),
                    verdict: Verdict::Failing,
                    detail: why,
                    fix,
                }]
            }
        }
    }

    fn handle_event(
        source: String,
        topic: String,
        body: String,
        endpoints: Endpoints,
        settings: Settings,
    ) -> Result<Report, SyncError> {
        with_ctx(endpoints, settings, false, |ctx| native::events::handle(ctx, &source, &topic, &body))
            .map(|report| wit_report(Flow::Orders, report))
    }
}

/// Runs `f` with the component's transport, state and progress.
fn with_ctx<T>(
    endpoints_: Endpoints,
    settings: Settings,
    dry_run: bool,
    f: impl FnOnce(&native::Ctx) -> Result<T, NativeError>,
) -> Result<T, SyncError> {
    let settings = settings_from(settings).map_err(|e| SyncError::Connection(format!("{e:?}")))?;
    let kv = WasiKv::open().map_err(error)?;
    let endpoints = endpoints(endpoints_);
    let ctx = native::Ctx {
        net: &WasiTransport,
        kv: &kv,
        endpoints: &endpoints,
        settings: &settings,
        dry_run,
        progress: &LogProgress,
    };
    f(&ctx).map_err(error)
}

fn change(c: native::report::Change) -> Change {
    let fields = c.fields.into_iter().map(|f| FieldChange { field: f.field, old: f.old, new: f.new }).collect();
    Change { item: c.item, action: c.action.into(), fields, target: c.target }
}

fn wit_report(flow: Flow, report: native::report::Report) -> Report {
    Report {
        flow,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        skipped: report.skipped,
        skipped_items: report.skipped_items.into_iter().map(|(item, reason)| Failure { item, reason }).collect(),
        failed: report.failed.into_iter().map(|(item, reason)| Failure { item, reason }).collect(),
        changes: report.changes.into_iter().map(change).collect(),
    }
}
