//! `/metrics` in Prometheus' text format: jobs and failures per connection and flow, run
//! durations, API calls and 429s per connection, and queue depth. A job's result is `ok`,
//! `items_failed` (the run finished but some items failed: it needs a person, so it must not
//! read as `ok`) or `failed` (the job failed and goes back to the queue).

use super::Shared;
use crate::runtime::connector_bindings::wit_sync::Report;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    ok: u64,
    items_failed: u64,
    failed: u64,
    seconds: f64,
}

/// How a job ended, as `/metrics` counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    ItemsFailed,
    Failed,
}

impl Outcome {
    pub fn of(result: &Result<Report, String>) -> Outcome {
        match result {
            Ok(report) if report.failed.is_empty() => Outcome::Ok,
            Ok(_) => Outcome::ItemsFailed,
            Err(_) => Outcome::Failed,
        }
    }
}

#[derive(Default)]
pub struct Metrics {
    jobs: Mutex<BTreeMap<(String, String), Tally>>,
}

impl Metrics {
    pub fn job(&self, connection: &str, flow: &str, outcome: Outcome, seconds: f64) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let tally = jobs.entry((connection.to_owned(), flow.to_owned())).or_default();
        match outcome {
            Outcome::Ok => tally.ok += 1,
            Outcome::ItemsFailed => tally.items_failed += 1,
            Outcome::Failed => tally.failed += 1,
        }
        tally.seconds += seconds;
    }

    fn render(&self, shared: &Shared) -> String {
        let mut out = String::new();
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let _ = writeln!(
            out,
            "# HELP woonox_jobs_total Jobs run, by connection, flow and result.\n# TYPE woonox_jobs_total counter"
        );
        for ((c, f), t) in &jobs {
            let (c, f) = (label(c), label(f));
            let _ = writeln!(out, "woonox_jobs_total{{connection=\"{c}\",flow=\"{f}\",result=\"ok\"}} {}", t.ok);
            let _ = writeln!(
                out,
                "woonox_jobs_total{{connection=\"{c}\",flow=\"{f}\",result=\"items_failed\"}} {}",
                t.items_failed
            );
            let _ =
                writeln!(out, "woonox_jobs_total{{connection=\"{c}\",flow=\"{f}\",result=\"failed\"}} {}", t.failed);
        }
        let _ = writeln!(out, "# HELP woonox_job_seconds Time spent running jobs.\n# TYPE woonox_job_seconds summary");
        for ((c, f), t) in &jobs {
            let (c, f) = (label(c), label(f));
            let _ = writeln!(out, "woonox_job_seconds_sum{{connection=\"{c}\",flow=\"{f}\"}} {:.3}", t.seconds);
            let _ = writeln!(
                out,
                "woonox_job_seconds_count{{connection=\"{c}\",flow=\"{f}\"}} {}",
                t.ok + t.items_failed + t.failed
            );
        }
        let _ = writeln!(
            out,
            "# HELP woonox_api_calls_total Calls to Fortnox and WooCommerce.\n# TYPE woonox_api_calls_total counter"
        );
        for (c, w) in &shared.connections {
            let c = label(c);
            let _ = writeln!(out, "woonox_api_calls_total{{connection=\"{c}\"}} {}", w.net_stats().calls.load(Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP woonox_api_rate_limited_total Answers 429 Too Many Requests.\n# TYPE woonox_api_rate_limited_total counter"
        );
        for (c, w) in &shared.connections {
            let c = label(c);
            let _ = writeln!(
                out,
                "woonox_api_rate_limited_total{{connection=\"{c}\"}} {}",
                w.net_stats().rate_limited.load(Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP woonox_queue_depth Jobs waiting or running.\n# TYPE woonox_queue_depth gauge");
        for c in shared.connections.keys() {
            let depth = shared.store.depth(c).unwrap_or(0);
            let _ = writeln!(out, "woonox_queue_depth{{connection=\"{}\"}} {depth}", label(c));
        }
        super::cluster_view::metrics(&mut out, shared, label);
        out
    }
}

/// A label value as the text format wants it: names are checked at load, but a label must
/// never be able to end its quotes and forge another series.
fn label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Behind the guard (Host and the token, when one is set), like the status page.
pub async fn page(State(shared): State<Arc<Shared>>) -> axum::response::Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], shared.metrics.render(&shared)).into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn label_values_cannot_end_their_quotes() {
        assert_eq!(super::label("a\"} 1\nx{b=\"\\"), "a\\\"} 1\\nx{b=\\\"\\\\");
        assert_eq!(super::label("shop-1"), "shop-1");
    }
}
