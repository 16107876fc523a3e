//! The doctor on the status page: the last examination's problems with their fixes, and a
//! button that runs the checks again in the background.

use super::Shared;
use super::activity_view::{escape, when};
use super::status_page::back;
use crate::doctor::{Examination, Verdict};
use axum::extract::{Path, State};
use axum::response::Response;
use std::fmt::Write as _;
use std::sync::Arc;

/// The section; `running` while an examination is under way.
pub fn section(html: &mut String, name: &str, last: Option<&Examination>, running: bool, csrf: &str) {
    let name_html = escape(name);
    let button = if running {
        "<p>The doctor is checking both sides now; this page shows the result when it is done.</p>".to_owned()
    } else {
        format!("<form method=post action=\"/doctor/{name_html}\">{csrf}<button>Run the doctor</button></form>")
    };
    let Some(exam) = last else {
        let _ = write!(
            html,
            "<div class=doctor><h3>Doctor</h3><p>Not run yet: it checks both sides' settings before they make a sync \
             fail.</p>{button}</div>"
        );
        return;
    };
    let failing = exam.count(Verdict::Failing);
    let class = if failing > 0 { " class=bad" } else { "" };
    let _ = write!(
        html,
        "<div class=doctor><h3{class}>Doctor: {failing} failing, {} warning(s), {} ok</h3><p>Checked {}.</p>",
        exam.count(Verdict::Warning),
        exam.count(Verdict::Ok),
        when(exam.at)
    );
    problems(html, exam);
    html.push_str(&button);
    html.push_str("</div>");
}

fn problems(html: &mut String, exam: &Examination) {
    let mut shown: Vec<_> = exam.findings.iter().filter(|f| f.verdict != Verdict::Ok).collect();
    if shown.is_empty() {
        html.push_str("<p>Every check passed.</p>");
        return;
    }
    shown.sort_by_key(|f| std::cmp::Reverse(f.verdict));
    html.push_str("<div class=scroll><table><tr><th></th><th>check</th><th>what is wrong</th><th>fix</th></tr>");
    for f in shown {
        let (class, word) = if f.verdict == Verdict::Failing { ("bad", "failing") } else { ("warn", "warning") };
        let _ = write!(
            html,
            "<tr><td class={class}>{word}</td><td>{}: {}</td><td>{}</td><td>{}</td></tr>",
            side_name(&f.side),
            escape(&f.check),
            escape(&f.detail),
            escape(&f.fix)
        );
    }
    html.push_str("</table></div>");
}

fn side_name(side: &str) -> &str {
    match side {
        "fortnox" => "Fortnox",
        "woocommerce" => "WooCommerce",
        _ => "woonox",
    }
}

/// `POST /doctor/{connection}`: starts an examination and returns to the page at once.
/// It runs on a thread of its own, as each worker's jobs do (the component's calls are
/// not `Send` across an executor's tasks).
pub async fn run(State(shared): State<Arc<Shared>>, Path(connection): Path<String>) -> Response {
    if let Some(worker) = shared.connections.get(&connection).cloned() {
        let paths = shared.paths.clone();
        std::thread::spawn(move || match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt.block_on(worker.examine(&paths)),
            Err(e) => tracing::error!("cannot start the doctor: {e}"),
        });
    }
    back()
}
