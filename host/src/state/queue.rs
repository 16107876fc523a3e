//! The durable job queue of `woonox serve`, in the state file: a job is committed before a
//! webhook is acknowledged, runs at least once (a job found running at start-up was cut
//! off and goes back to the queue), is retried with exponential backoff and jitter, and
//! after [`MAX_ATTEMPTS`] lands in the dead-letter list with its reason. The flows'
//! idempotency keeps the effects exactly once.

use crate::state::leases::Fence;
use crate::state::sql::{Dialect, Row, Tx};
use crate::state::store::Store;
use crate::vals;
use anyhow::Result;
use std::time::{SystemTime, UNIX_EPOCH};

pub const MAX_ATTEMPTS: u32 = 8;

pub fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    Flow(String),
    Event { topic: String, body: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub connection: String,
    pub work: Work,
    pub attempts: u32,
    pub last_error: Option<String>,
}

impl Job {
    pub fn label(&self) -> String {
        match &self.work {
            Work::Flow(flow) => format!("{flow} run"),
            Work::Event { topic, .. } => format!("webhook {topic}"),
        }
    }
}

/// The columns [`job`] reads, in its order.
const JOB_COLUMNS: &str = "id, connection, flow, topic, body, attempts, last_error";

fn job(r: &Row) -> Result<Job> {
    let work = match r.opt_text(2)? {
        Some(flow) => Work::Flow(flow),
        None => Work::Event { topic: r.text(3)?, body: r.text(4)? },
    };
    Ok(Job { id: r.int(0)?, connection: r.text(1)?, work, attempts: r.int(5)? as u32, last_error: r.opt_text(6)? })
}

/// Whether a webhook delivery was new.
#[derive(Debug, PartialEq, Eq)]
pub enum Enqueued {
    New(i64),
    Duplicate,
}

/// A run's outcome for the status page.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub flow: String,
    pub started_at: i64,
    pub seconds: f64,
    pub ok: bool,
    pub summary: String,
}

impl Store {
    /// Commits a webhook delivery as a job; a delivery id seen before is not queued again.
    pub fn enqueue_event(
        &self,
        connection: &str,
        topic: &str,
        body: &str,
        delivery_id: Option<&str>,
    ) -> Result<Enqueued> {
        self.transaction(|tx| {
            Ok(match insert_event(tx, connection, topic, body, delivery_id)? {
                Some(id) => Enqueued::New(id),
                None => Enqueued::Duplicate,
            })
        })
    }

    /// A delivery that can never be worked (signed, but no order in it) goes straight to
    /// the dead letters with its reason: retrying it would only fail again.
    pub fn enqueue_dead(&self, connection: &str, topic: &str, why: &str, delivery_id: Option<&str>) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO jobs (connection, topic, delivery_id, state, last_error, run_after, created_at, finished_at)
                 VALUES (?1, ?2, ?3, 'dead', ?4, ?5, ?5, ?5) ON CONFLICT DO NOTHING",
                vals![connection, topic, delivery_id, why, now()],
            )
        })?;
        Ok(())
    }

    /// Forgets finished jobs older than `keep_secs`, so deliveries are not kept forever.
    pub fn purge_finished(&self, keep_secs: i64) -> Result<usize> {
        let gone = self.transaction(|tx| {
            tx.execute("DELETE FROM jobs WHERE state = 'done' AND finished_at < ?1", vals![now() - keep_secs])
        })?;
        Ok(gone as usize)
    }

    /// Queues a flow run unless one is already waiting.
    pub fn enqueue_flow(&self, connection: &str, flow: &str) -> Result<bool> {
        self.transaction(|tx| {
            let waiting = tx
                .query_one(
                    "SELECT count(*) FROM jobs WHERE connection = ?1 AND flow = ?2 AND state = 'queued'",
                    vals![connection, flow],
                )?
                .map_or(Ok(0), |r| r.int(0))?;
            if waiting == 0 {
                tx.execute(
                    "INSERT INTO jobs (connection, flow, run_after, created_at) VALUES (?1, ?2, ?3, ?3)",
                    vals![connection, flow, now()],
                )?;
            }
            Ok(waiting == 0)
        })
    }

    /// Takes the connection's oldest due job and marks it running (under `fence`'s lease,
    /// when the state is shared).
    pub fn claim(&self, connection: &str, fence: Option<&Fence>) -> Result<Option<Job>> {
        self.fenced(fence, |tx| {
            // Several processes may claim from one PostgreSQL queue at once; a row another
            // one is taking is passed over, not waited for.
            let lock = if tx.dialect() == Dialect::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
            let sql = format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1 WHERE id = (
                    SELECT id FROM jobs WHERE connection = ?1 AND state = 'queued' AND run_after <= ?2
                    ORDER BY run_after, id LIMIT 1 {lock}) RETURNING {JOB_COLUMNS}"
            );
            tx.query_one(&sql, vals![connection, now()])?.map(|r| job(&r)).transpose()
        })
    }

    pub fn finish(&self, id: i64, fence: Option<&Fence>) -> Result<()> {
        self.fenced(fence, |tx| {
            tx.execute("UPDATE jobs SET state = 'done', finished_at = ?2 WHERE id = ?1", vals![id, now()])
        })?;
        Ok(())
    }

    /// Back to the queue after `delay_secs`, or to the dead letters once attempts run out.
    pub fn fail(&self, job: &Job, error: &str, delay_secs: i64, fence: Option<&Fence>) -> Result<()> {
        let state = if job.attempts >= MAX_ATTEMPTS { "dead" } else { "queued" };
        self.fenced(fence, |tx| {
            tx.execute(
                "UPDATE jobs SET state = ?2, last_error = ?3, run_after = ?4 WHERE id = ?1",
                vals![job.id, state, error, now() + delay_secs],
            )
        })?;
        Ok(())
    }

    /// Back to the queue at once, the attempt not counted: the job stopped because this
    /// process's lease lapsed (a late renewal on a starved machine, a pause), not for anything
    /// of its own, so it must neither wait out a backoff nor move towards the dead letters.
    pub fn put_back(&self, job: &Job, fence: Option<&Fence>) -> Result<()> {
        self.fenced(fence, |tx| {
            tx.execute(
                "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_after = ?2 WHERE id = ?1",
                vals![job.id, now()],
            )
        })?;
        Ok(())
    }

    /// Jobs a killed process left running go back to the queue (they run at least once).
    pub fn requeue_running(&self) -> Result<usize> {
        let back =
            self.transaction(|tx| tx.execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'", &[]))?;
        Ok(back as usize)
    }

    /// A dead job, queued again by hand (the status page's retry).
    pub fn retry(&self, connection: &str, id: i64) -> Result<bool> {
        let changed = self.transaction(|tx| {
            tx.execute(
                "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?3
                 WHERE id = ?1 AND connection = ?2 AND state = 'dead'",
                vals![id, connection, now()],
            )
        })?;
        Ok(changed == 1)
    }

    /// Jobs waiting or running.
    pub fn depth(&self, connection: &str) -> Result<u64> {
        self.transaction(|tx| {
            let row = tx.query_one(
                "SELECT count(*) FROM jobs WHERE connection = ?1 AND state IN ('queued', 'running')",
                vals![connection],
            )?;
            Ok(row.map_or(Ok(0), |r| r.int(0))? as u64)
        })
    }

    pub fn dead(&self, connection: &str) -> Result<Vec<Job>> {
        self.transaction(|tx| {
            let sql = format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE connection = ?1 AND state = 'dead' ORDER BY id DESC LIMIT 50"
            );
            tx.query(&sql, vals![connection])?.iter().map(job).collect()
        })
    }

    /// When the newest webhook delivery still kept arrived (the status page's own
    /// "sync … now" jobs are not deliveries).
    pub fn last_delivery(&self, connection: &str) -> Result<Option<i64>> {
        self.transaction(|tx| {
            let row = tx.query_one(
                "SELECT MAX(created_at) FROM jobs
                 WHERE connection = ?1 AND topic IS NOT NULL AND topic NOT LIKE '%.sync'
                 AND (delivery_id IS NULL OR delivery_id NOT LIKE 'fortnox:%')",
                vals![connection],
            )?;
            row.map_or(Ok(None), |r| r.opt_int(0))
        })
    }

    pub fn record_run(&self, connection: &str, run: &Run) -> Result<()> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO runs (connection, flow, started_at, seconds, ok, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (connection, flow) DO UPDATE SET started_at = excluded.started_at,
                 seconds = excluded.seconds, ok = excluded.ok, summary = excluded.summary",
                vals![connection, &run.flow, run.started_at, run.seconds, run.ok, &run.summary],
            )
        })?;
        Ok(())
    }

    pub fn runs(&self, connection: &str) -> Result<Vec<Run>> {
        self.transaction(|tx| {
            let rows = tx.query(
                "SELECT flow, started_at, seconds, ok, summary FROM runs WHERE connection = ?1 ORDER BY flow",
                vals![connection],
            )?;
            rows.iter()
                .map(|r| {
                    Ok(Run {
                        flow: r.text(0)?,
                        started_at: r.int(1)?,
                        seconds: r.real(2)?,
                        ok: r.int(3)? != 0,
                        summary: r.text(4)?,
                    })
                })
                .collect()
        })
    }
}

/// Queues an event job within a transaction already open; `None` when its delivery id was
/// queued before (the delivery is a repeat).
pub fn insert_event(
    tx: &mut dyn Tx,
    connection: &str,
    topic: &str,
    body: &str,
    delivery_id: Option<&str>,
) -> Result<Option<i64>> {
    let row = tx.query_one(
        "INSERT INTO jobs (connection, topic, body, delivery_id, run_after, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING RETURNING id",
        vals![connection, topic, body, delivery_id, now()],
    )?;
    row.map(|r| r.int(0)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::each_backend;

    #[test]
    fn a_delivery_is_queued_once_and_jobs_run_oldest_first() {
        each_backend(|store| {
            assert!(matches!(
                store.enqueue_event("shop", "order.created", "{}", Some("d-1")).unwrap(),
                Enqueued::New(_)
            ));
            assert_eq!(store.enqueue_event("shop", "order.created", "{}", Some("d-1")).unwrap(), Enqueued::Duplicate);
            assert!(store.enqueue_flow("shop", "stock").unwrap());
            assert!(!store.enqueue_flow("shop", "stock").unwrap(), "one waiting run per flow is enough");
            assert_eq!(store.depth("shop").unwrap(), 2);
            assert_eq!(store.depth("other").unwrap(), 0);
            let first = store.claim("shop", None).unwrap().unwrap();
            assert!(matches!(first.work, Work::Event { .. }));
            assert_eq!(store.claim("other", None).unwrap(), None);
            store.finish(first.id, None).unwrap();
            assert_eq!(store.claim("shop", None).unwrap().unwrap().work, Work::Flow("stock".into()));
            assert_eq!(store.claim("shop", None).unwrap(), None);
        });
    }

    #[test]
    fn a_failing_job_waits_then_dies_with_its_reason_and_can_be_retried() {
        each_backend(|store| {
            store.enqueue_flow("shop", "orders").unwrap();
            for attempt in 1..=MAX_ATTEMPTS {
                let job = store.claim("shop", None).unwrap().unwrap();
                assert_eq!(job.attempts, attempt);
                store.fail(&job, "Fortnox did not answer", 0, None).unwrap();
            }
            assert_eq!(store.claim("shop", None).unwrap(), None, "a dead job does not run");
            let dead = store.dead("shop").unwrap();
            assert_eq!(dead[0].last_error.as_deref(), Some("Fortnox did not answer"));
            store.enqueue_flow("shop", "stock").unwrap();
            store.fail(&store.claim("shop", None).unwrap().unwrap(), "later", 3600, None).unwrap();
            assert_eq!(store.claim("shop", None).unwrap(), None, "backoff: not due yet");
            assert!(store.retry("shop", dead[0].id).unwrap());
            assert_eq!(store.claim("shop", None).unwrap().unwrap().id, dead[0].id);
        });
    }

    #[test]
    fn an_unusable_delivery_is_dead_at_once_and_old_finished_jobs_are_forgotten() {
        each_backend(|store| {
            store.enqueue_dead("shop", "order.created", "the delivery names no id", Some("d-9")).unwrap();
            assert_eq!(store.claim("shop", None).unwrap(), None, "never run");
            assert_eq!(store.dead("shop").unwrap()[0].last_error.as_deref(), Some("the delivery names no id"));
            store.enqueue_flow("shop", "orders").unwrap();
            let job = store.claim("shop", None).unwrap().unwrap();
            store.finish(job.id, None).unwrap();
            assert_eq!(store.purge_finished(3600).unwrap(), 0, "a job finished just now is kept");
            assert_eq!(store.purge_finished(-1).unwrap(), 1, "past its time it goes");
            assert_eq!(store.dead("shop").unwrap().len(), 1, "dead letters stay until retried");
        });
    }

    #[test]
    fn a_job_cut_off_by_a_lapsed_lease_runs_again_at_once_without_using_an_attempt() {
        each_backend(|store| {
            store.enqueue_flow("shop", "orders").unwrap();
            for _ in 0..MAX_ATTEMPTS + 2 {
                let job = store.claim("shop", None).unwrap().expect("due at once, never dead");
                assert_eq!(job.attempts, 1, "the attempt is not counted");
                store.put_back(&job, None).unwrap();
            }
            assert!(store.dead("shop").unwrap().is_empty());
        });
    }

    #[test]
    fn a_job_left_running_by_a_crash_runs_again() {
        each_backend(|store| {
            store.enqueue_flow("shop", "orders").unwrap();
            let job = store.claim("shop", None).unwrap().unwrap();
            assert_eq!(store.requeue_running().unwrap(), 1);
            assert_eq!(store.claim("shop", None).unwrap().unwrap().id, job.id);
        });
    }
}
