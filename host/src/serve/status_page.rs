//! The status page at `/`: server-rendered HTML that reads without JavaScript and on a
//! phone. Per connection, what needs the merchant comes first (a failing job, items that
//! wait, items refused), then a lookup, when each flow runs next, and the recent activity
//! folded away. A few lines of script refresh it every [`REFRESH_SECS`] unless a form is
//! being filled in; without script a meta refresh does. Who may see it and press its
//! buttons is decided in front of it, by `guard`; every form here carries the page's CSRF
//! token, which the guard checks.

use super::Shared;
use super::activity_view::{self, escape, when};
use super::schedule::flow_by_name;
use super::worker::Worker;
use crate::state::held::{self, HeldItem};
use crate::state::queue::{Job, Run};
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Also in the script (its literal is hashed into the CSP); a test keeps the two equal.
pub const REFRESH_SECS: u32 = 30;

/// Replaces the page's live part with a fresh copy, keeping open what was open, unless an
/// input holds something typed. Its hash is in the page's CSP (guard.rs).
pub const REFRESH_SCRIPT: &str = "setInterval(function(){\
var typed=[].some.call(document.querySelectorAll('input[type=search]'),function(i){return i.value!==i.defaultValue});\
if(typed)return;\
fetch(location.href,{credentials:'same-origin'}).then(function(r){return r.ok?r.text():null}).then(function(t){\
if(!t)return;var fresh=new DOMParser().parseFromString(t,'text/html').getElementById('live');if(!fresh)return;\
[].forEach.call(document.querySelectorAll('#live details[open]'),function(d){var n=fresh.querySelector('#'+d.id);if(n)n.open=true});\
document.getElementById('live').replaceWith(fresh)})},30000)";

/// The hidden field every form on the page carries.
pub fn csrf_field(shared: &Shared) -> String {
    format!("<input type=hidden name=csrf value=\"{}\">", escape(shared.guard.csrf()))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1d2327;background:#f6f7f7;line-height:1.4}\
header{background:#1d2327;color:#fff;padding:.8rem 1rem}header h1{margin:0;font-size:1.3rem}header p{margin:.2rem 0 0;color:#c3c4c7;font-size:.9rem}\
main{max-width:72rem;margin:0 auto;padding:1rem}section{background:#fff;border:1px solid #dcdcde;border-radius:6px;padding:1rem;margin-bottom:1rem}\
h2{margin:0 0 .5rem;font-size:1.2rem}h3{font-size:1rem;margin:1rem 0 .4rem}.scroll{overflow-x:auto}\
table{border-collapse:collapse;width:100%;font-size:.92rem}td,th{border-bottom:1px solid #eee;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{color:#50575e;font-weight:600}.ok{color:#176b2c}.bad{color:#b32d2e}.warn{color:#996800}.muted{color:#646970}\
.badge{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-size:.85rem;font-weight:600;vertical-align:middle}\
.badge.ok{background:#e6f4ea}.badge.bad{background:#fcf0f1}.attention{border-left:4px solid #b32d2e;padding-left:.8rem}\
pre{white-space:pre-wrap;margin:0;font-family:inherit}form{display:inline}button{font:inherit;padding:.2rem .7rem;cursor:pointer}\
input[type=search]{font:inherit;padding:.25rem .4rem;width:17rem;max-width:60vw}summary{cursor:pointer;font-weight:600;margin:.6rem 0}\
.figures{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.3rem 0}.lookup form{display:inline-block;margin:.2rem .3rem .6rem 0}\
@media(max-width:600px){main{padding:.4rem}section{padding:.6rem}td,th{padding:.25rem .3rem}}";

/// `?connection=…&find=…`: an item to look up on that connection's section.
#[derive(serde::Deserialize, Default)]
pub struct Lookup {
    pub connection: Option<String>,
    pub find: Option<String>,
    /// Set after "sync … now": the job is on the queue.
    pub queued: Option<String>,
    /// `activity`: the recent activity unfolded (a link to share, a screenshot).
    pub show: Option<String>,
}

pub async fn page(State(shared): State<Arc<Shared>>, Query(lookup): Query<Lookup>) -> Response {
    let csrf = csrf_field(&shared);
    let mut html = format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta name=viewport content=\"width=device-width,initial-scale=1\"><title>woonox status</title>\
         <style>{STYLE}</style><noscript><meta http-equiv=refresh content={REFRESH_SECS}></noscript></head>\
         <body><header><h1>woonox</h1><p>{} connection(s) · as of {} · refreshes every {REFRESH_SECS} s</p></header>\
         <main id=live>",
        shared.connections.len(),
        when(crate::state::queue::now())
    );
    super::cluster_view::section(&mut html, &shared);
    for (name, worker) in &shared.connections {
        let find = lookup.find.as_deref().filter(|_| lookup.connection.as_deref() == Some(name.as_str()));
        let asked = Asked { find, queued: find.is_some() && lookup.queued.is_some(), unfold: lookup.show.is_some() };
        connection_section(&mut html, &shared, (name, worker), asked, &csrf);
    }
    let _ = write!(html, "</main><script>{REFRESH_SCRIPT}</script></body></html>");
    Html(html).into_response()
}

/// What the address asked the page for.
struct Asked<'a> {
    find: Option<&'a str>,
    queued: bool,
    unfold: bool,
}

fn connection_section(html: &mut String, shared: &Shared, (name, worker): (&str, &Worker), asked: Asked, csrf: &str) {
    let runs = shared.store.runs(name).unwrap_or_default();
    let dead = shared.store.dead(name).unwrap_or_default();
    let depth = shared.store.depth(name).unwrap_or(0);
    let trouble = worker.trouble.lock().map(|t| t.clone()).unwrap_or_default();
    let waiting = held::waiting(&shared.store.namespace(name), None).unwrap_or_default();
    let recent = shared.store.recent_activity(name, 100).unwrap_or_default();
    let refused = activity_view::still_refused(&recent);
    let examined = crate::doctor::last(&shared.store, name).unwrap_or_default();
    let doctor_fails = examined.as_ref().is_some_and(|e| e.count(crate::doctor::Verdict::Failing) > 0);
    let needs_you = trouble.is_some() || !dead.is_empty() || !waiting.is_empty() || !refused.is_empty() || doctor_fails;
    let badge = if needs_you {
        "<span class=\"badge bad\">needs attention</span>"
    } else {
        "<span class=\"badge ok\">healthy</span>"
    };
    let name_html = escape(name);
    let _ = write!(html, "<section id=\"c-{name_html}\"><h2>Connection {name_html} {badge}</h2>");
    if let Some(why) = &trouble {
        let _ = write!(html, "<p class=\"attention bad\">The last job failed: {}</p>", escape(why));
    }
    dead_section(html, name, &dead, csrf);
    held_section(html, name, &waiting, csrf);
    let store = worker.store_url();
    activity_view::refused_section(html, &refused, store);
    // A failing check needs the merchant, so it comes first; otherwise it waits below.
    let doctor = |html: &mut String| {
        super::doctor_view::section(html, name, examined.as_ref(), worker.examining(), csrf);
    };
    if doctor_fails {
        doctor(html);
    }
    if asked.queued {
        activity_view::queued_note(html);
    }
    activity_view::lookup_section(html, (shared, store), name, asked.find, csrf);
    timing_section(html, shared, (name, worker), (&runs, depth), csrf);
    if !doctor_fails {
        doctor(html);
    }
    activity_view::recent_section(html, (name, asked.unfold), &recent, store);
    html.push_str("</section>");
}

/// Each flow: how often it polls, when next, its last run; deliveries and the last day's
/// figures.
fn timing_section(
    html: &mut String,
    shared: &Shared,
    (name, worker): (&str, &Worker),
    (runs, depth): (&[Run], u64),
    csrf: &str,
) {
    let name_html = escape(name);
    let day = shared.store.last_day(name).unwrap_or_default();
    let delivery = match shared.store.last_delivery(name).ok().flatten() {
        Some(at) => format!("last webhook delivery {}", when(at)),
        None => "no webhook delivery yet".to_owned(),
    };
    let events = events_line(worker);
    let _ = write!(
        html,
        "<h3>When things happen</h3><div class=figures><span>Queue: {depth} job(s)</span><span>{delivery}</span>{events}\
         <span>Last 24 h: {} written, <span class={}>{} refused</span>, {} answers 429 (rate limited)</span></div>\
         <div class=scroll><table><tr><th>flow</th><th>polls every</th><th>next poll</th><th>last run</th><th>result</th><th></th></tr>",
        day.written,
        if day.refused > 0 { "bad" } else { "muted" },
        day.refused,
        day.rate_limited
    );
    for poll in worker.polls() {
        let last = runs.iter().find(|r| r.flow == poll.flow);
        let (ran, result, class) = match last {
            Some(r) => (
                format!("{} ({:.1} s)", when(r.started_at), r.seconds),
                escape(&r.summary),
                if r.ok && !r.summary.contains('\n') { "ok" } else { "bad" },
            ),
            None => ("not yet".to_owned(), String::new(), "muted"),
        };
        let _ = write!(
            html,
            "<tr><td>{flow}</td><td>{}</td><td>{}</td><td>{ran}</td><td class={class}><pre>{result}</pre></td>\
             <td><form method=post action=\"/run/{name_html}/{flow}\">{csrf}<button>Run now</button></form></td></tr>",
            activity_view::interval(poll.every),
            when(poll.next_at),
            flow = poll.flow,
        );
    }
    html.push_str("</table></div>");
}

/// Whether Fortnox's events reach this connection, when serve takes them.
fn events_line(worker: &Worker) -> String {
    use std::sync::atomic::Ordering::Relaxed;
    if worker.events_url.get().is_none() {
        return String::new();
    }
    let last = match worker.last_event_at.load(Relaxed) {
        0 => "no event since serve started".to_owned(),
        at => format!("last {}", when(at)),
    };
    match worker.events_live.load(Relaxed) {
        true => format!(
            "<span>Fortnox events: live, {last} (Fortnox-side polls {}× less often)</span>",
            super::worker::EVENTS_STRETCH
        ),
        false => "<span class=bad>Fortnox events: reconnecting (polls at their full pace)</span>".to_owned(),
    }
}

fn dead_section(html: &mut String, name: &str, dead: &[Job], csrf: &str) {
    if dead.is_empty() {
        return;
    }
    let name_html = escape(name);
    let _ = write!(
        html,
        "<div class=attention><h3 class=bad>{} job(s) gave up after repeated failures</h3><div class=scroll><table>\
         <tr><th>job</th><th>why</th><th></th></tr>",
        dead.len()
    );
    for job in dead {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td><form method=post action=\"/retry/{name_html}/{}\">{csrf}<button>Retry</button></form></td></tr>",
            escape(&job.label()),
            escape(job.last_error.as_deref().unwrap_or_default()),
            job.id
        );
    }
    html.push_str("</table></div></div>");
}

/// Items a flow holds for the merchant, each with Retry and Dismiss.
fn held_section(html: &mut String, name: &str, waiting: &[HeldItem], csrf: &str) {
    if waiting.is_empty() {
        return;
    }
    let name_html = escape(name);
    let _ = write!(
        html,
        "<div class=attention><h3 class=bad>{} item(s) wait for you</h3><p>Each was refused once and is not tried again \
         until you say so. Retry once you have corrected it; Dismiss once you have settled it by hand.</p>\
         <div class=scroll><table><tr><th>flow</th><th>item</th><th>what happened, what to do</th><th></th></tr>",
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
    html.push_str("</table></div></div>");
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

pub fn back() -> Response {
    Redirect::to("/").into_response()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_script_refreshes_as_often_as_the_page_says() {
        assert!(super::REFRESH_SCRIPT.ends_with(&format!("}},{}000)", super::REFRESH_SECS)));
    }
}
