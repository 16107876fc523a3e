//! The status page at `/`: server-rendered HTML, readable without JavaScript. Per
//! connection: health, the last run of each flow with its result, queue depth, and what
//! failed in plain words, each with a button to try again. Who may see it and press its
//! buttons is decided in front of it, by `guard`; every form here carries the page's CSRF
//! token, which the guard checks.

use super::Shared;
use super::schedule::flow_by_name;
use crate::held::{self, HeldItem};
use crate::queue::{Job, Run};
use axum::extract::{Form, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// The hidden field every form on the page carries.
fn csrf_field(shared: &Shared) -> String {
    format!("<input type=hidden name=csrf value=\"{}\">", escape(shared.guard.csrf()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn when(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:.5rem 0 1.5rem}\
td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}.ok{color:#176b2c}.bad{color:#a11}\
pre{white-space:pre-wrap;margin:0;font-family:inherit}form{display:inline}";

pub async fn page(State(shared): State<Arc<Shared>>) -> Response {
    let csrf = csrf_field(&shared);
    let mut html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>woonox status</title><style>{STYLE}</style></head>\
         <body><h1>woonox</h1><p>{} connection(s). This page does not refresh itself; reload it.</p>",
        shared.connections.len()
    );
    for (name, worker) in &shared.connections {
        let runs = shared.store.runs(name).unwrap_or_default();
        let dead = shared.store.dead(name).unwrap_or_default();
        let depth = shared.store.depth(name).unwrap_or(0);
        let trouble = worker.trouble.lock().map(|t| t.clone()).unwrap_or_default();
        let waiting = held::waiting(&shared.store.namespace(name), None).unwrap_or_default();
        connection_section(&mut html, name, (&runs, &dead, depth, trouble.as_deref()), &csrf);
        held_section(&mut html, name, &waiting, &csrf);
    }
    html.push_str("</body></html>");
    Html(html).into_response()
}

fn connection_section(html: &mut String, name: &str, state: (&[Run], &[Job], u64, Option<&str>), csrf: &str) {
    let (runs, dead, depth, trouble) = state;
    // A run whose summary goes on past its counts line lists items that failed.
    let attention = runs.iter().filter(|r| r.ok && r.summary.contains('\n')).count();
    let health = match trouble {
        Some(why) => format!("<span class=bad>the last job failed:</span> {}", escape(why)),
        None if !dead.is_empty() => format!("<span class=bad>{} job(s) gave up</span>", dead.len()),
        None if attention > 0 => {
            format!("<span class=bad>connected; items in {attention} flow(s) need attention (below)</span>")
        }
        None => "<span class=ok>healthy</span>".to_owned(),
    };
    let name_html = escape(name);
    let _ = write!(
        html,
        "<h2>Connection {name_html}</h2><p>Health: {health}. Queue: {depth} job(s) waiting or running.</p>"
    );
    html.push_str("<table><tr><th>flow</th><th>last run</th><th>result</th><th></th></tr>");
    for run in runs {
        let class = if run.ok && !run.summary.contains('\n') { "ok" } else { "bad" };
        let action = match flow_by_name(&run.flow) {
            Some(_) => format!(
                "<form method=post action=\"/run/{name_html}/{}\">{csrf}<button>Run now</button></form>",
                escape(&run.flow)
            ),
            None => String::new(),
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{} ({:.1} s)</td><td class={class}><pre>{}</pre></td><td>{action}</td></tr>",
            escape(&run.flow),
            when(run.started_at),
            run.seconds,
            escape(&run.summary)
        );
    }
    html.push_str("</table>");
    if !dead.is_empty() {
        let _ =
            write!(html, "<h3>Gave up after repeated failures</h3><table><tr><th>job</th><th>why</th><th></th></tr>");
        for job in dead {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td><form method=post action=\"/retry/{name_html}/{}\">{csrf}<button>Retry</button></form></td></tr>",
                escape(&job.label()),
                escape(job.last_error.as_deref().unwrap_or_default()),
                job.id
            );
        }
        html.push_str("</table>");
    }
}

/// Items a flow holds for the merchant, each with Retry and Dismiss.
fn held_section(html: &mut String, name: &str, waiting: &[HeldItem], csrf: &str) {
    if waiting.is_empty() {
        return;
    }
    let name_html = escape(name);
    let _ = write!(
        html,
        "<h3 class=bad>{} item(s) wait for you</h3><p>Each was refused once and is not tried again until you say so. \
         Retry once you have corrected it; Dismiss once you have settled it by hand.</p>\
         <table><tr><th>flow</th><th>item</th><th>what happened, what to do</th><th></th></tr>",
        waiting.len()
    );
    for w in waiting {
        let button = |action: &str, label: &str| {
            format!(
                "<form method=post action=\"/held/{name_html}/{action}\">{csrf}<input type=hidden name=key value=\"{}\">\
                 <button>{label}</button></form>",
                escape(&w.key)
            )
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>",
            escape(&w.held.flow),
            escape(&w.held.item),
            escape(&w.held.reason),
            button("retry", "Retry"),
            button("dismiss", "Dismiss")
        );
    }
    html.push_str("</table>");
}

/// Retry (forget the hold and run the flow) or dismiss a held item.
pub async fn held_action(
    State(shared): State<Arc<Shared>>,
    Path((connection, action)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (Some(worker), Some(key)) = (shared.connections.get(&connection), form.get("key")) else {
        return back();
    };
    let ns = shared.store.namespace(&connection);
    let flow = held::waiting(&ns, None).ok().and_then(|w| w.into_iter().find(|w| &w.key == key)).map(|w| w.held.flow);
    match (action.as_str(), flow) {
        ("retry", Some(flow))
            if held::retry(&ns, key).unwrap_or(false) && shared.store.enqueue_flow(&connection, &flow).is_ok() =>
        {
            worker.wake.notify_one()
        }
        ("dismiss", Some(_)) => drop(held::dismiss(&ns, key)),
        _ => {}
    }
    back()
}

pub async fn retry(State(shared): State<Arc<Shared>>, Path((connection, id)): Path<(String, i64)>) -> Response {
    if let Ok(true) = shared.store.retry(&connection, id)
        && let Some(worker) = shared.connections.get(&connection)
    {
        worker.wake.notify_one();
    }
    back()
}

pub async fn run_now(State(shared): State<Arc<Shared>>, Path((connection, flow)): Path<(String, String)>) -> Response {
    if let (Some(worker), Some(_)) = (shared.connections.get(&connection), flow_by_name(&flow))
        && shared.store.enqueue_flow(&connection, &flow).is_ok()
    {
        worker.wake.notify_one();
    }
    back()
}

fn back() -> Response {
    Redirect::to("/").into_response()
}
