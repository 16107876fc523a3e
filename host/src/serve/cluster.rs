//! With a shared state, several `woonox serve` processes share the connections. Each takes
//! about its share of the connection groups' leases and renews them; the leases of a process
//! that died or stalled are taken over once they expire (their running jobs go back to the
//! queue); a process that leaves hands its leases back at once, and one that holds more than
//! its share hands the surplus to a newcomer.
//!
//! Hand-written rather than a job-queue crate's: the queue, the component's state and the
//! lease must be fenced in one transaction on SQLite and PostgreSQL alike, and graphile_worker
//! or apalis run their own schema, workers and transactions on PostgreSQL only.

use crate::state::leases::Lease;
use crate::state::store::Store;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::watch;

/// A lease runs this long past its last renewal; renewed every third of it.
const DEFAULT_TTL: Duration = Duration::from_secs(15);
/// Kept back from this process's own view of its expiry, for clocks a little apart: at
/// most this, and at most a quarter of the lease, so a renewal always comes in time.
const CLOCK_MARGIN_MS: i64 = 2_000;

pub struct Cluster {
    store: Arc<Store>,
    pub me: String,
    ttl: Duration,
    /// Each group's lease and its connections.
    groups: BTreeMap<String, (Arc<Lease>, Vec<String>)>,
    /// Rounds in a row this process has held more than its share.
    over_share: AtomicU32,
}

impl Cluster {
    /// `groups`: group name → its connections. The lease period comes from
    /// `WOONOX_LEASE_SECS` when set (tests shorten it).
    pub fn new(shared: &Store, groups: BTreeMap<String, Vec<String>>) -> Result<Cluster> {
        // A connection of its own: renewals must not queue behind the workers' writes.
        let url = shared.shared_url().context("leases need a shared state")?;
        let store = Arc::new(Store::connect(url)?);
        let ttl = match std::env::var("WOONOX_LEASE_SECS") {
            Ok(secs) => Duration::from_secs_f64(secs.parse()?),
            Err(_) => DEFAULT_TTL,
        };
        let me = process_id();
        let groups = groups
            .into_iter()
            .map(|(group, conns)| (group.clone(), (Arc::new(Lease::new(&group, &me)), conns)))
            .collect();
        Ok(Cluster { store, me, ttl, groups, over_share: AtomicU32::new(0) })
    }

    pub fn lease_of_connection(&self, connection: &str) -> Option<Arc<Lease>> {
        self.groups.values().find(|(_, conns)| conns.iter().any(|c| c == connection)).map(|(lease, _)| lease.clone())
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Until `shutdown`; then every lease is handed back.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            let this = self.clone();
            let next = match tokio::task::spawn_blocking(move || this.round().and_then(|()| this.next_round())).await {
                Ok(Ok(next)) => next,
                Ok(Err(e)) => {
                    tracing::warn!("cannot keep the leases: {e:#}");
                    self.ttl / 3
                }
                Err(e) => {
                    tracing::warn!("the lease round stopped: {e}");
                    self.ttl / 3
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(next) => {}
                _ = shutdown.changed() => {}
            }
        }
        let this = self.clone();
        let _ = tokio::task::spawn_blocking(move || this.leave()).await;
    }

    /// Renews what this process holds, takes free or expired leases up to its share, and
    /// hands back what is beyond it.
    fn round(&self) -> Result<()> {
        let ttl_ms = self.ttl.as_millis() as i64;
        let margin = CLOCK_MARGIN_MS.min(ttl_ms / 4);
        let live = self.store.heartbeat(&self.me, ttl_ms)?;
        let share = self.groups.len().div_ceil(live);
        let leases: Vec<&Lease> = self.groups.values().map(|(lease, _)| lease.as_ref()).collect();
        self.store.renew_held(&leases, ttl_ms, margin)?;
        let mut held = leases.iter().filter(|l| l.held().is_some()).count();
        for (group, (lease, connections)) in &self.groups {
            if held >= share {
                break;
            }
            if lease.held().is_none() && self.store.take(lease, ttl_ms, margin)? {
                let requeued = self.store.requeue_running_of(connections)?;
                tracing::info!(group, requeued, epoch = lease.held(), "took the lease");
                held += 1;
            }
        }
        self.hand_back(held, share)
    }

    /// When to look again: a third of the lease from now, or just after another process's
    /// lease on one of these groups runs out, if sooner. A dead process's connections are
    /// then taken over as its lease ends, not up to a third of a lease later. Only leases
    /// still running count: one that ran out with no taker would wake this process at once
    /// and forever.
    fn next_round(&self) -> Result<Duration> {
        let now = crate::state::leases::now_ms();
        let mine = |group: &str| self.groups.contains_key(group);
        let soonest = self.store.leases()?.into_iter().filter(|l| l.holder != self.me && mine(&l.group));
        let soonest = soonest.map(|l| l.expires_at_ms - now).filter(|ms| *ms > 0).min();
        let after_expiry = soonest.map(|ms| Duration::from_millis(ms as u64 + 20));
        Ok(after_expiry.map_or(self.ttl / 3, |d| d.min(self.ttl / 3)).max(Duration::from_millis(50)))
    }

    /// Hands back leases beyond `share`: idle ones first; busy ones too once the surplus has
    /// lasted a lease period (their jobs are then fenced and run again elsewhere), so that
    /// connections busy all the time still reach a newcomer.
    fn hand_back(&self, mut held: usize, share: usize) -> Result<()> {
        if held <= share {
            self.over_share.store(0, Ordering::SeqCst);
            return Ok(());
        }
        let even_busy = self.over_share.fetch_add(1, Ordering::SeqCst) + 1 >= 3;
        for (group, (lease, _)) in self.groups.iter().rev() {
            if held <= share {
                break;
            }
            if lease.held().is_some() && (even_busy || !lease.is_busy()) {
                self.store.release(lease)?;
                tracing::info!(group, "handed the lease to another process");
                held -= 1;
            }
        }
        Ok(())
    }

    fn leave(&self) {
        for (lease, _) in self.groups.values() {
            if lease.held().is_some()
                && let Err(e) = self.store.release(lease)
            {
                tracing::warn!(group = %lease.group, "cannot hand the lease back: {e:#}");
            }
        }
        let _ = self.store.leave(&self.me);
    }
}

/// host:pid:random, unique among the processes on one state.
fn process_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    let host = host.trim();
    format!("{}:{}:{:04x}", if host.is_empty() { "host" } else { host }, std::process::id(), rand::random::<u16>())
}

/// Connection groups: those naming the same `fortnox-company` together, each other alone.
pub fn groups(config: &crate::connections::config::Config) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, entry) in &config.connections {
        let group = entry.fortnox_company.as_ref().map_or_else(|| name.clone(), |company| format!("company:{company}"));
        groups.entry(group).or_default().push(name.clone());
    }
    groups
}
