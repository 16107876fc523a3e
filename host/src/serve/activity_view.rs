//! The status page's item-by-item parts: what was refused and still is, the recent
//! activity, and the lookup of one item with a button that syncs just that item (a job on
//! the queue, exactly once through the flows' links as every other job). Items and targets
//! link to the store's admin pages where their address is known.

use super::Shared;
use super::status_page::back;
use crate::state::activity::Entry;
use axum::extract::{Form, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// Every piece of text on the page passes here: store and Fortnox data are not trusted.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

pub fn when(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default()
}

pub fn interval(every: Duration) -> String {
    match every.as_secs() {
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

/// The store's admin page for "order 1042" or "product 88".
fn admin_url(store: &str, name: &str) -> Option<String> {
    let (kind, id) = name.split_once(' ')?;
    let id: u64 = id.parse().ok()?;
    let store = store.trim_end_matches('/');
    matches!(kind, "order" | "product").then(|| format!("{store}/wp-admin/post.php?post={id}&action=edit"))
}

fn linked(store: &str, name: &str) -> String {
    match admin_url(store, name) {
        Some(url) => format!("<a href=\"{}\" rel=noreferrer target=_blank>{}</a>", escape(&url), escape(name)),
        None => escape(name),
    }
}

/// The latest refusal of each item that nothing written since has settled, newest first.
pub fn still_refused(recent: &[Entry]) -> Vec<&Entry> {
    let mut seen = HashSet::new();
    recent.iter().filter(|e| seen.insert(e.item.as_str()) && e.refused()).collect()
}

pub fn refused_section(html: &mut String, refused: &[&Entry], store: &str) {
    if refused.is_empty() {
        return;
    }
    let _ = write!(
        html,
        "<div class=attention><h3 class=bad>{} item(s) refused</h3><div class=scroll><table>\
         <tr><th>when</th><th>item</th><th>why, and what to do</th></tr>",
        refused.len()
    );
    for e in refused {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>",
            when(e.at),
            linked(store, &e.item),
            escape(&e.detail)
        );
    }
    html.push_str("</table></div></div>");
}

/// The last items written or refused, folded: on a healthy shop this is green noise.
pub fn recent_section(html: &mut String, (name, unfold): (&str, bool), recent: &[Entry], store: &str) {
    let refused = recent.iter().filter(|e| e.refused()).count();
    let _ = write!(
        html,
        "<details id=\"recent-{}\"{}><summary>Recent activity: the last {} item(s), {} written, {refused} refused</summary>",
        escape(name),
        if unfold { " open" } else { "" },
        recent.len(),
        recent.len() - refused
    );
    if !recent.is_empty() {
        html.push_str("<div class=scroll><table><tr><th>when</th><th>item</th><th>what happened</th><th>which is</th><th>detail</th></tr>");
        for e in recent {
            row(html, e, store);
        }
        html.push_str("</table></div>");
    }
    html.push_str("</details>");
}

fn row(html: &mut String, e: &Entry, store: &str) {
    let class = if e.refused() { "bad" } else { "ok" };
    let _ = write!(
        html,
        "<tr><td>{}</td><td>{}</td><td class={class}>{} ({})</td><td>{}</td><td><pre>{}</pre></td></tr>",
        when(e.at),
        linked(store, &e.item),
        escape(&e.outcome),
        escape(&e.flow),
        linked(store, &e.target),
        escape(&e.detail)
    );
}

/// What a lookup of `find` matches: an order, refund or invoice number, or an article
/// number (SKU).
fn candidates(find: &str) -> Vec<String> {
    ["order", "refund", "invoice", "article", "SKU"].iter().map(|kind| format!("{kind} {find}")).collect()
}

pub fn lookup_section(html: &mut String, (shared, store): (&Shared, &str), name: &str, find: Option<&str>, csrf: &str) {
    let find = find.map(str::trim).filter(|f| !f.is_empty() && f.len() <= 100);
    let _ = write!(
        html,
        "<h3>Find an item</h3><form method=get action=\"/\"><input type=hidden name=connection value=\"{}\">\
         <input type=search name=find value=\"{}\" placeholder=\"order, refund or SKU\" \
         aria-label=\"order number, refund id or SKU\"> <button>Look up</button></form>",
        escape(name),
        escape(find.unwrap_or_default())
    );
    let Some(find) = find else { return };
    let entries = shared.store.activity_of(name, &candidates(find)).unwrap_or_default();
    let _ = write!(html, "<div class=lookup><p><b>{}</b>: ", escape(find));
    match entries.first() {
        Some(last) => {
            let target =
                if last.target.is_empty() { String::new() } else { format!(" → {}", linked(store, &last.target)) };
            let _ = write!(
                html,
                "{}{target}; last {} ({}) at {}.</p>",
                linked(store, &last.item),
                escape(&last.outcome),
                escape(&last.flow),
                when(last.at)
            );
            if !last.detail.is_empty() {
                let _ = write!(
                    html,
                    "<p class={}><pre>{}</pre></p>",
                    if last.refused() { "bad" } else { "muted" },
                    escape(&last.detail)
                );
            }
        }
        None => {
            html.push_str("nothing about it among the items woonox kept (written or refused since the last purge).</p>")
        }
    }
    sync_buttons(html, name, find, &entries, csrf);
    if entries.len() > 1 {
        html.push_str("<div class=scroll><table><tr><th>when</th><th>item</th><th>what happened</th><th>which is</th><th>detail</th></tr>");
        for e in &entries {
            row(html, e, store);
        }
        html.push_str("</table></div>");
    }
    html.push_str("</div>");
}

/// "Sync order N now" for a number, "Sync article X now" for an article number, and for
/// a refund the refunds flow (WooCommerce finds a refund only through its order).
fn sync_buttons(html: &mut String, name: &str, find: &str, entries: &[Entry], csrf: &str) {
    let name_html = escape(name);
    let is = |kind: &str| entries.iter().any(|e| e.item.starts_with(kind));
    let numeric = find.chars().all(|c| c.is_ascii_digit());
    let mut buttons = Vec::new();
    if numeric && (is("order ") || !is("refund ")) {
        buttons.push(("order", format!("Sync order {} now", escape(find))));
    }
    if is("article ") || is("SKU ") || !numeric {
        buttons.push(("article", format!("Sync article {} now", escape(find))));
    }
    for (kind, label) in buttons {
        let _ = write!(
            html,
            "<form method=post action=\"/sync/{name_html}\">{csrf}<input type=hidden name=item value=\"{kind} {}\">\
             <button>{label}</button></form> ",
            escape(find)
        );
    }
    if is("refund ") {
        let _ = write!(
            html,
            "<form method=post action=\"/run/{name_html}/refunds\">{csrf}<button>Run the refunds flow now</button></form>"
        );
    }
}

/// Queues the one item asked for and comes back to its lookup.
pub async fn sync_item(
    State(shared): State<Arc<Shared>>,
    Path(connection): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(worker) = shared.connections.get(&connection) else { return back() };
    let item = form.get("item").map(|i| i.trim()).unwrap_or_default();
    let Some((topic, body, find)) = job_for(item) else { return back() };
    if shared.store.enqueue_event(&connection, topic, &body, None).is_ok() {
        worker.wake.notify_one();
    }
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("connection", &connection)
        .append_pair("find", &find)
        .append_pair("queued", "1")
        .finish();
    Redirect::to(&format!("/?{query}")).into_response()
}

/// The event job that syncs "order 1042" or "article TS-1", and what to look up after.
fn job_for(item: &str) -> Option<(&'static str, String, String)> {
    match item.split_once(' ')? {
        ("order", id) => {
            let id: u64 = id.parse().ok()?;
            Some(("order.sync", serde_json::json!({ "id": id }).to_string(), id.to_string()))
        }
        ("article", sku) if !sku.trim().is_empty() && sku.len() <= 100 => {
            Some(("article.sync", serde_json::json!({ "sku": sku.trim() }).to_string(), sku.trim().to_owned()))
        }
        _ => None,
    }
}

/// Shown above the lookup after a sync was asked for.
pub fn queued_note(html: &mut String) {
    html.push_str("<p class=muted>Queued: it runs next, and this page shows the outcome once it is done.</p>");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(item: &str, outcome: &str) -> Entry {
        Entry {
            at: 0,
            flow: "orders".into(),
            item: item.into(),
            outcome: outcome.into(),
            target: "".into(),
            detail: "".into(),
        }
    }

    #[test]
    fn a_refusal_settled_by_a_later_write_is_no_longer_shown() {
        let recent =
            [e("order 2", "refused"), e("order 1", "created"), e("order 1", "refused"), e("order 2", "refused")];
        let refused: Vec<&str> = still_refused(&recent).iter().map(|e| e.item.as_str()).collect();
        assert_eq!(refused, ["order 2"]);
    }

    #[test]
    fn only_known_admin_pages_are_linked_and_everything_is_escaped() {
        assert_eq!(
            admin_url("https://shop.example/", "order 1042").unwrap(),
            "https://shop.example/wp-admin/post.php?post=1042&action=edit"
        );
        assert!(admin_url("https://shop.example", "Fortnox invoice 17").is_none());
        assert!(admin_url("https://shop.example", "order 1 or 2").is_none());
        assert_eq!(escape("<b a='1'>&\""), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;");
    }

    #[test]
    fn only_an_order_number_or_an_article_makes_a_job() {
        assert_eq!(job_for("order 1042").unwrap().0, "order.sync");
        assert_eq!(job_for("article TS 1").unwrap().1, r#"{"sku":"TS 1"}"#);
        assert!(job_for("order 1; drop").is_none());
        assert!(job_for("refund 9").is_none());
        assert!(job_for("article ").is_none());
    }
}
