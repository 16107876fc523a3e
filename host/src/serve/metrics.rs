//! `/metrics` in Prometheus' text format: jobs and failures per connection and flow, run
//! durations, API calls and 429s per connection, and queue depth.

use super::Shared;
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
    failed: u64,
    seconds: f64,
}

#[derive(Default)]
pub struct Metrics {
    jobs: Mutex<BTreeMap<(String, String), Tally>>,
}

impl Metrics {
    pub fn job(&self, connection: &str, flow: &str, ok: bool, seconds: f64) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let tally = jobs.entry((connection.to_owned(), flow.to_owned())).or_default();
        if ok {
            tally.ok += 1;
        } else {
            tally.failed += 1;
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
            let _ = writeln!(out, "woonox_jobs_total{{connection=\"{c}\",flow=\"{f}\",result=\"ok\"}} {}", t.ok);
            let _ =
                writeln!(out, "woonox_jobs_total{{connection=\"{c}\",flow=\"{f}\",result=\"failed\"}} {}", t.failed);
        }
        let _ = writeln!(out, "# HELP woonox_job_seconds Time spent running jobs.\n# TYPE woonox_job_seconds summary");
        for ((c, f), t) in &jobs {
            let _ = writeln!(out, "woonox_job_seconds_sum{{connection=\"{c}\",flow=\"{f}\"}} {:.3}", t.seconds);
            let _ = writeln!(out, "woonox_job_seconds_count{{connection=\"{c}\",flow=\"{f}\"}} {}", t.ok + t.failed);
        }
        let _ = writeln!(
            out,
            "# HELP woonox_api_calls_total Calls to Fortnox and WooCommerce.\n# TYPE woonox_api_calls_total counter"
        );
        for (c, w) in &shared.connections {
            let _ = writeln!(out, "woonox_api_calls_total{{connection=\"{c}\"}} {}", w.net_stats().calls.load(Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP woonox_api_rate_limited_total Answers 429 Too Many Requests.\n# TYPE woonox_api_rate_limited_total counter"
        );
        for (c, w) in &shared.connections {
            let _ = writeln!(
                out,
                "woonox_api_rate_limited_total{{connection=\"{c}\"}} {}",
                w.net_stats().rate_limited.load(Relaxed)
            );
        }
        let _ = writeln!(out, "# HELP woonox_queue_depth Jobs waiting or running.\n# TYPE woonox_queue_depth gauge");
        for c in shared.connections.keys() {
            let _ = writeln!(out, "woonox_queue_depth{{connection=\"{c}\"}} {}", shared.store.depth(c).unwrap_or(0));
        }
        out
    }
}

pub async fn page(
    State(shared): State<Arc<Shared>>,
    headers: axum::http::HeaderMap,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> axum::response::Response {
    if !super::status_page::allowed(&shared, &headers, &query) {
        return axum::http::StatusCode::UNAUTHORIZED.into_response();
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], shared.metrics.render(&shared)).into_response()
}
