//! Leases: with a shared state, each connection group (the connections of one Fortnox
//! company) is worked by at most one `woonox serve` process at a time. A lease has a holder,
//! an expiry the holder keeps pushing forward, and an epoch that goes up at every takeover.
//! Every write a job makes carries the epoch it started under ([`Fence`]); a process that
//! stalled (a pause, `SIGSTOP`, a slow disk) past its expiry finds its epoch gone and its
//! writes refused, in the same transaction that would have made them.

use crate::state::queue::now;
use crate::state::sql::Tx;
use crate::state::store::Store;
use crate::vals;
use anyhow::{Result, bail};
use std::sync::atomic::{AtomicI64, Ordering};

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The lease a write is made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub group: String,
    pub holder: String,
    pub epoch: i64,
}

impl Fence {
    /// Inside a write's transaction: refuses it unless the lease is still this one. On
    /// PostgreSQL the row is share-locked, so no takeover can commit before this write does.
    pub fn check(&self, tx: &mut dyn Tx) -> Result<()> {
        let lock = if tx.dialect() == crate::state::sql::Dialect::Postgres { "FOR SHARE" } else { "" };
        let sql = format!("SELECT epoch FROM leases WHERE name = ?1 AND holder = ?2 AND epoch = ?3 {lock}");
        if tx.query_one(&sql, vals![&self.group, &self.holder, self.epoch])?.is_none() {
            bail!(
                "this process no longer holds the lease of {:?} (epoch {}); another process has taken it over, \
                 so this write is refused",
                self.group,
                self.epoch
            );
        }
        Ok(())
    }
}

/// This process's view of one lease. Epoch 0 means not held.
#[derive(Debug)]
pub struct Lease {
    pub group: String,
    pub holder: String,
    epoch: AtomicI64,
    /// Until when this process may act on it (its own clock, less a margin).
    valid_until_ms: AtomicI64,
    /// The epoch the running job started under.
    job_epoch: AtomicI64,
    /// A job is running under it: handed to another process only when idle.
    busy: std::sync::atomic::AtomicBool,
}

impl Lease {
    pub fn new(group: &str, holder: &str) -> Lease {
        Lease {
            group: group.to_owned(),
            holder: holder.to_owned(),
            epoch: AtomicI64::new(0),
            valid_until_ms: AtomicI64::new(0),
            job_epoch: AtomicI64::new(0),
            busy: Default::default(),
        }
    }

    /// The epoch, while held and not past its time.
    pub fn held(&self) -> Option<i64> {
        let epoch = self.epoch.load(Ordering::SeqCst);
        (epoch > 0 && now_ms() < self.valid_until_ms.load(Ordering::SeqCst)).then_some(epoch)
    }

    /// Starts a job under the current epoch; `None` when the lease is not held.
    pub fn begin_job(&self) -> Option<Fence> {
        let epoch = self.held()?;
        self.job_epoch.store(epoch, Ordering::SeqCst);
        self.busy.store(true, Ordering::SeqCst);
        Some(self.fence())
    }

    pub fn end_job(&self) {
        self.busy.store(false, Ordering::SeqCst);
    }

    pub fn is_busy(&self) -> bool {
        self.busy.load(Ordering::SeqCst)
    }

    /// The running job's fence.
    pub fn fence(&self) -> Fence {
        Fence { group: self.group.clone(), holder: self.holder.clone(), epoch: self.job_epoch.load(Ordering::SeqCst) }
    }

    /// Whether the running job may still call out: the lease is held, in time, and by the
    /// epoch the job started under.
    pub fn may_act(&self) -> bool {
        self.held().is_some_and(|epoch| epoch == self.job_epoch.load(Ordering::SeqCst))
    }

    fn set(&self, epoch: i64, valid_until_ms: i64) {
        self.valid_until_ms.store(valid_until_ms, Ordering::SeqCst);
        self.epoch.store(epoch, Ordering::SeqCst);
    }

    pub fn lose(&self) {
        self.set(0, 0);
    }
}

/// One row of the leases table, for the status page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseRow {
    pub group: String,
    pub holder: String,
    pub epoch: i64,
    pub expires_at_ms: i64,
}

impl Store {
    /// Takes `lease` if it is free or past its expiry, with a new epoch. `margin_ms` is kept
    /// back from this process's own view of the expiry, for clocks that disagree a little.
    /// (A lease this process holds is kept by [`Store::renew_held`].)
    pub fn take(&self, lease: &Lease, ttl_ms: i64, margin_ms: i64) -> Result<bool> {
        let started = now_ms();
        let expires = started + ttl_ms;
        let epoch = self.transaction(|tx| {
            let row = tx.query_one(
                "INSERT INTO leases (name, holder, epoch, expires_at) VALUES (?1, ?2, 1, ?3)
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, epoch = leases.epoch + 1,
                 expires_at = excluded.expires_at WHERE leases.expires_at < ?4 RETURNING epoch",
                vals![&lease.group, &lease.holder, expires, started],
            )?;
            row.map(|r| r.int(0)).transpose()
        })?;
        match epoch {
            Some(epoch) => lease.set(epoch, expires - margin_ms),
            None => lease.lose(),
        }
        Ok(epoch.is_some())
    }

    /// Pushes forward every lease this process holds, in one transaction; a lease another
    /// process took meanwhile is marked lost. One past this process's own view of its time
    /// is renewed too when no other process has taken it: no one else wrote meanwhile.
    pub fn renew_held(&self, leases: &[&Lease], ttl_ms: i64, margin_ms: i64) -> Result<()> {
        let expires = now_ms() + ttl_ms;
        let held: Vec<(&Lease, i64)> = leases
            .iter()
            .filter_map(|l| Some((*l, Some(l.epoch.load(Ordering::SeqCst)).filter(|e| *e > 0)?)))
            .collect();
        let renewed = self.transaction(|tx| {
            let mut renewed = Vec::new();
            for (lease, epoch) in &held {
                renewed.push(
                    tx.execute(
                        "UPDATE leases SET expires_at = ?4 WHERE name = ?1 AND holder = ?2 AND epoch = ?3",
                        vals![&lease.group, &lease.holder, *epoch, expires],
                    )? == 1,
                );
            }
            Ok(renewed)
        })?;
        for ((lease, epoch), ok) in held.iter().zip(renewed) {
            if ok {
                lease.set(*epoch, expires - margin_ms);
            } else {
                tracing::warn!(group = %lease.group, "lost the lease: another process has taken it over");
                lease.lose();
            }
        }
        Ok(())
    }

    /// Hands a lease back at once (a process leaving, or giving work to a newcomer).
    pub fn release(&self, lease: &Lease) -> Result<()> {
        let epoch = lease.epoch.load(Ordering::SeqCst);
        lease.lose();
        self.transaction(|tx| {
            tx.execute(
                "UPDATE leases SET expires_at = 0 WHERE name = ?1 AND holder = ?2 AND epoch = ?3",
                vals![&lease.group, &lease.holder, epoch],
            )
        })?;
        Ok(())
    }

    /// This process is alive; returns how many processes are (seen within `ttl_ms`).
    pub fn heartbeat(&self, me: &str, ttl_ms: i64) -> Result<usize> {
        let at = now_ms();
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO processes (id, seen_at, started_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at",
                vals![me, at, now()],
            )?;
            tx.execute("DELETE FROM processes WHERE seen_at < ?1", vals![at - 10 * ttl_ms])?;
            let live = tx.query_one("SELECT count(*) FROM processes WHERE seen_at >= ?1", vals![at - ttl_ms])?;
            Ok(live.map_or(Ok(1), |r| r.int(0))?.max(1) as usize)
        })
    }

    /// A process leaving says so, so the others count it out at once.
    pub fn leave(&self, me: &str) -> Result<()> {
        self.transaction(|tx| tx.execute("DELETE FROM processes WHERE id = ?1", vals![me]))?;
        Ok(())
    }

    /// Processes seen within `ttl_ms`, with when each was last seen (unix ms).
    pub fn live_processes(&self, ttl_ms: i64) -> Result<Vec<(String, i64)>> {
        self.transaction(|tx| {
            let rows = tx
                .query("SELECT id, seen_at FROM processes WHERE seen_at >= ?1 ORDER BY id", vals![now_ms() - ttl_ms])?;
            rows.iter().map(|r| Ok((r.text(0)?, r.int(1)?))).collect()
        })
    }

    pub fn leases(&self) -> Result<Vec<LeaseRow>> {
        self.transaction(|tx| {
            let rows = tx.query("SELECT name, holder, epoch, expires_at FROM leases ORDER BY name", &[])?;
            rows.iter()
                .map(|r| {
                    Ok(LeaseRow { group: r.text(0)?, holder: r.text(1)?, epoch: r.int(2)?, expires_at_ms: r.int(3)? })
                })
                .collect()
        })
    }

    /// Jobs of these connections left running by a holder that lost its lease go back to
    /// the queue (they run at least once; their writes under the old epoch are refused).
    pub fn requeue_running_of(&self, connections: &[String]) -> Result<usize> {
        if connections.is_empty() {
            return Ok(0);
        }
        let sql = format!(
            "UPDATE jobs SET state = 'queued' WHERE state = 'running' AND connection IN ({})",
            crate::state::sql::placeholders(1, connections.len())
        );
        let params: Vec<_> = connections.iter().map(Into::into).collect();
        Ok(self.transaction(|tx| tx.execute(&sql, &params))? as usize)
    }

    /// Runs `f` in one transaction after checking `fence`, when there is one.
    pub fn fenced<R: Send>(&self, fence: Option<&Fence>, f: impl FnOnce(&mut dyn Tx) -> Result<R> + Send) -> Result<R> {
        self.transaction(|tx| {
            if let Some(fence) = fence {
                fence.check(tx)?;
            }
            f(tx)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::each_backend;

    fn write(tx: &mut dyn Tx) -> Result<u64> {
        tx.execute("INSERT INTO kv (namespace, key, value) VALUES ('shop', 'k', ?1)", vals![&b"v"[..]])
    }

    #[test]
    fn one_holder_at_a_time_and_a_takeover_fences_the_old_one() {
        each_backend(|store| {
            let a = Lease::new("shop", "process-a");
            let b = Lease::new("shop", "process-b");
            assert!(store.take(&a, 60_000, 0).unwrap());
            assert!(!store.take(&b, 60_000, 0).unwrap(), "held and in time: not taken");
            let fence_a = a.begin_job().unwrap();
            store.fenced(Some(&fence_a), write).unwrap();
            // a renews into the past: as if it had stalled past its expiry.
            store.renew_held(&[&a], -1, 0).unwrap();
            assert!(store.take(&b, 60_000, 0).unwrap(), "past its expiry: taken over");
            assert_eq!(b.held(), Some(fence_a.epoch + 1));
            let err = store.fenced(Some(&fence_a), write).unwrap_err();
            assert!(err.to_string().contains("no longer holds the lease"), "{err}");
            assert!(!a.may_act(), "a's own view has run out too");
            assert_eq!(store.namespace("shop").keys("").unwrap().len(), 1, "the refused write left nothing");
            store.release(&b).unwrap();
            assert!(store.take(&a, 60_000, 0).unwrap(), "released: free at once");
            assert_eq!(a.held(), Some(fence_a.epoch + 2));
        });
    }

    #[test]
    fn processes_are_counted_while_they_beat() {
        each_backend(|store| {
            assert_eq!(store.heartbeat("p1", 60_000).unwrap(), 1);
            assert_eq!(store.heartbeat("p2", 60_000).unwrap(), 2);
            store.leave("p1").unwrap();
            assert_eq!(store.heartbeat("p2", 60_000).unwrap(), 1);
        });
    }
}
