//! What any process of a cluster shows of the whole: the live processes, who holds which
//! connection group's lease and until when, on the status page, `/metrics` and `/healthz`.

use super::Shared;
use super::activity_view::escape;
use crate::state::leases::LeaseRow;
use std::fmt::Write as _;

struct Snapshot {
    me: String,
    processes: Vec<(String, i64)>,
    leases: Vec<LeaseRow>,
    now_ms: i64,
}

fn snapshot(shared: &Shared) -> Option<Snapshot> {
    let cluster = shared.cluster.as_ref()?;
    let ttl_ms = cluster.ttl().as_millis() as i64;
    Some(Snapshot {
        me: cluster.me.clone(),
        processes: shared.store.live_processes(ttl_ms).unwrap_or_default(),
        leases: shared.store.leases().unwrap_or_default(),
        now_ms: chrono::Utc::now().timestamp_millis(),
    })
}

impl Snapshot {
    fn held_by(&self, process: &str) -> usize {
        self.leases.iter().filter(|l| l.holder == process && l.expires_at_ms > self.now_ms).count()
    }

    fn unheld(&self) -> usize {
        self.leases.iter().filter(|l| l.expires_at_ms <= self.now_ms).count()
    }
}

/// The status page's cluster section; nothing with an embedded state.
pub fn section(html: &mut String, shared: &Shared) {
    let Some(s) = snapshot(shared) else { return };
    let _ = write!(
        html,
        "<section id=cluster><h2>Cluster</h2><p>{} process(es) share {} connection group(s) on one PostgreSQL; \
         {} lease(s) waiting for a holder.</p><div class=scroll><table><tr><th>Process</th><th>Groups held</th>\
         <th>Last seen</th></tr>",
        s.processes.len(),
        s.leases.len(),
        s.unheld()
    );
    for (process, seen) in &s.processes {
        let mark = if *process == s.me { " (this one)" } else { "" };
        let ago = (s.now_ms - seen) as f64 / 1000.0;
        let _ = write!(
            html,
            "<tr><td>{}{mark}</td><td>{}</td><td>{ago:.1} s ago</td></tr>",
            escape(process),
            s.held_by(process)
        );
    }
    html.push_str("</table></div><details><summary>Every lease</summary><div class=scroll><table><tr><th>Group</th><th>Holder</th><th>Epoch</th><th>Runs out in</th></tr>");
    for lease in &s.leases {
        let left = (lease.expires_at_ms - s.now_ms) as f64 / 1000.0;
        let left = if left > 0.0 { format!("{left:.1} s") } else { "expired".to_owned() };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{left}</td></tr>",
            escape(&lease.group),
            escape(&lease.holder),
            lease.epoch
        );
    }
    html.push_str("</table></div></details></section>");
}

/// `/metrics`: leases held per process, and those without a holder.
pub fn metrics(out: &mut String, shared: &Shared, label: fn(&str) -> String) {
    let Some(s) = snapshot(shared) else { return };
    let _ = writeln!(
        out,
        "# HELP woonox_cluster_leases Connection groups leased, by process.\n# TYPE woonox_cluster_leases gauge"
    );
    for (process, _) in &s.processes {
        let _ = writeln!(out, "woonox_cluster_leases{{process=\"{}\"}} {}", label(process), s.held_by(process));
    }
    let _ = writeln!(
        out,
        "# HELP woonox_cluster_unheld_leases Groups waiting for a holder.\n# TYPE woonox_cluster_unheld_leases gauge"
    );
    let _ = writeln!(out, "woonox_cluster_unheld_leases {}", s.unheld());
}

/// `/healthz`: "ok", and with a shared state how many processes and leases there are.
pub fn health(shared: &Shared) -> String {
    match snapshot(shared) {
        None => "ok\n".to_owned(),
        Some(s) => format!(
            "ok\nprocesses {}\nleases {} held of {}\n",
            s.processes.len(),
            s.leases.len() - s.unheld(),
            s.leases.len()
        ),
    }
}
