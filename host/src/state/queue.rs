//! The durable job queue of `woonox serve`, in the state file: a job is committed before a
//! webhook is acknowledged, runs at least once (a job found running at start-up was cut
//! off and goes back to the queue), is retried with exponential backoff and jitter, and
//! after [`MAX_ATTEMPTS`] lands in the dead-letter list with its reason. The flows'
//! idempotency keeps the effects exactly once.

use crate::state::store::Store;
use anyhow::Result;
use rusqlite::{OptionalExtension, Row, params};
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

fn job(r: &Row) -> rusqlite::Result<Job> {
    let flow: Option<String> = r.get("flow")?;
    let work = match flow {
        Some(flow) => Work::Flow(flow),
        None => Work::Event {
            topic: r.get::<_, Option<String>>("topic")?.unwrap_or_default(),
            body: r.get::<_, Option<String>>("body")?.unwrap_or_default(),
        },
    };
    Ok(Job {
        id: r.get("id")?,
        connection: r.get("connection")?,
        work,
        attempts: r.get::<_, i64>("attempts")? as u32,
        last_error: r.get("last_error")?,
    })
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
        let inserted = self.conn().execute(
            "INSERT INTO jobs (connection, topic, body, delivery_id, run_after, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT DO NOTHING",
            params![connection, topic, body, delivery_id, now()],
        )?;
        Ok(if inserted == 1 { Enqueued::New(self.conn().last_insert_rowid()) } else { Enqueued::Duplicate })
    }

    /// A delivery that can never be worked (signed, but no order in it) goes straight to
    /// the dead letters with its reason: retrying it would only fail again.
    pub fn enqueue_dead(&self, connection: &str, topic: &str, why: &str, delivery_id: Option<&str>) -> Result<()> {
        self.conn().execute(
            "INSERT INTO jobs (connection, topic, delivery_id, state, last_error, run_after, created_at, finished_at)
             VALUES (?1, ?2, ?3, 'dead', ?4, ?5, ?5, ?5) ON CONFLICT DO NOTHING",
            params![connection, topic, delivery_id, why, now()],
        )?;
        Ok(())
    }

    /// Forgets finished jobs older than `keep_secs`, so deliveries are not kept forever.
    pub fn purge_finished(&self, keep_secs: i64) -> Result<usize> {
        Ok(self
            .conn()
            .execute("DELETE FROM jobs WHERE state = 'done' AND finished_at < ?1", params![now() - keep_secs])?)
    }

    /// Queues a flow run unless one is already waiting.
    pub fn enqueue_flow(&self, connection: &str, flow: &str) -> Result<bool> {
        let conn = self.conn();
        let waiting: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE connection = ?1 AND flow = ?2 AND state = 'queued')",
            params![connection, flow],
            |r| r.get(0),
        )?;
        if !waiting {
            conn.execute(
                "INSERT INTO jobs (connection, flow, run_after, created_at) VALUES (?1, ?2, ?3, ?3)",
                params![connection, flow, now()],
            )?;
        }
        Ok(!waiting)
    }

    /// Takes the connection's oldest due job and marks it running.
    pub fn claim(&self, connection: &str) -> Result<Option<Job>> {
        Ok(self
            .conn()
            .query_row(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1 WHERE id = (
                    SELECT id FROM jobs WHERE connection = ?1 AND state = 'queued' AND run_after <= ?2
                    ORDER BY run_after, id LIMIT 1) RETURNING *",
                params![connection, now()],
                job,
            )
            .optional()?)
    }

    pub fn finish(&self, id: i64) -> Result<()> {
        self.conn().execute("UPDATE jobs SET state = 'done', finished_at = ?2 WHERE id = ?1", params![id, now()])?;
        Ok(())
    }

    /// Back to the queue after `delay_secs`, or to the dead letters once attempts run out.
    pub fn fail(&self, job: &Job, error: &str, delay_secs: i64) -> Result<()> {
        let state = if job.attempts >= MAX_ATTEMPTS { "dead" } else { "queued" };
        self.conn().execute(
            "UPDATE jobs SET state = ?2, last_error = ?3, run_after = ?4 WHERE id = ?1",
            params![job.id, state, error, now() + delay_secs],
        )?;
        Ok(())
    }

    /// Jobs a killed process left running go back to the queue (they run at least once).
    pub fn requeue_running(&self) -> Result<usize> {
        Ok(self.conn().execute("UPDATE jobs SET state = 'queued' WHERE state = 'running'", [])?)
    }

    /// A dead job, queued again by hand (the status page's retry).
    pub fn retry(&self, connection: &str, id: i64) -> Result<bool> {
        let changed = self.conn().execute(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?3 WHERE id = ?1 AND connection = ?2 AND state = 'dead'",
            params![id, connection, now()],
        )?;
        Ok(changed == 1)
    }

    /// Jobs waiting or running.
    pub fn depth(&self, connection: &str) -> Result<u64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM jobs WHERE connection = ?1 AND state IN ('queued', 'running')",
            params![connection],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    pub fn dead(&self, connection: &str) -> Result<Vec<Job>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare("SELECT * FROM jobs WHERE connection = ?1 AND state = 'dead' ORDER BY id DESC LIMIT 50")?;
        let jobs = stmt.query_map(params![connection], job)?.collect::<Result<_, _>>()?;
        Ok(jobs)
    }

    /// When the newest webhook delivery still kept arrived (the status page's own
    /// "sync … now" jobs are not deliveries).
    pub fn last_delivery(&self, connection: &str) -> Result<Option<i64>> {
        Ok(self.conn().query_row(
            "SELECT MAX(created_at) FROM jobs WHERE connection = ?1 AND topic IS NOT NULL AND topic NOT LIKE '%.sync'",
            params![connection],
            |r| r.get(0),
        )?)
    }

    pub fn record_run(&self, connection: &str, run: &Run) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO runs (connection, flow, started_at, seconds, ok, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![connection, run.flow, run.started_at, run.seconds, run.ok, run.summary],
        )?;
        Ok(())
    }

    pub fn runs(&self, connection: &str) -> Result<Vec<Run>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT flow, started_at, seconds, ok, summary FROM runs WHERE connection = ?1 ORDER BY flow")?;
        let runs = stmt
            .query_map(params![connection], |r| {
                Ok(Run {
                    flow: r.get(0)?,
                    started_at: r.get(1)?,
                    seconds: r.get(2)?,
                    ok: r.get(3)?,
                    summary: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_is_queued_once_and_jobs_run_oldest_first() {
        let store = Store::in_memory().unwrap();
        assert!(matches!(store.enqueue_event("shop", "order.created", "{}", Some("d-1")).unwrap(), Enqueued::New(_)));
        assert_eq!(store.enqueue_event("shop", "order.created", "{}", Some("d-1")).unwrap(), Enqueued::Duplicate);
        assert!(store.enqueue_flow("shop", "stock").unwrap());
        assert!(!store.enqueue_flow("shop", "stock").unwrap(), "one waiting run per flow is enough");
        assert_eq!(store.depth("shop").unwrap(), 2);
        assert_eq!(store.depth("other").unwrap(), 0);
        let first = store.claim("shop").unwrap().unwrap();
        assert!(matches!(first.work, Work::Event { .. }));
        assert_eq!(store.claim("other").unwrap(), None);
        store.finish(first.id).unwrap();
        assert_eq!(store.claim("shop").unwrap().unwrap().work, Work::Flow("stock".into()));
        assert_eq!(store.claim("shop").unwrap(), None);
    }

    #[test]
    fn a_failing_job_waits_then_dies_with_its_reason_and_can_be_retried() {
        let store = Store::in_memory().unwrap();
        store.enqueue_flow("shop", "orders").unwrap();
        for attempt in 1..=MAX_ATTEMPTS {
            let job = store.claim("shop").unwrap().unwrap();
            assert_eq!(job.attempts, attempt);
            store.fail(&job, "Fortnox did not answer", 0).unwrap();
        }
        assert_eq!(store.claim("shop").unwrap(), None, "a dead job does not run");
        let dead = store.dead("shop").unwrap();
        assert_eq!(dead[0].last_error.as_deref(), Some("Fortnox did not answer"));
        store.enqueue_flow("shop", "stock").unwrap();
        store.fail(&store.claim("shop").unwrap().unwrap(), "later", 3600).unwrap();
        assert_eq!(store.claim("shop").unwrap(), None, "backoff: not due yet");
        assert!(store.retry("shop", dead[0].id).unwrap());
        assert_eq!(store.claim("shop").unwrap().unwrap().id, dead[0].id);
    }

    #[test]
    fn an_unusable_delivery_is_dead_at_once_and_old_finished_jobs_are_forgotten() {
        let store = Store::in_memory().unwrap();
        store.enqueue_dead("shop", "order.created", "the delivery names no id", Some("d-9")).unwrap();
        assert_eq!(store.claim("shop").unwrap(), None, "never run");
        assert_eq!(store.dead("shop").unwrap()[0].last_error.as_deref(), Some("the delivery names no id"));
        store.enqueue_flow("shop", "orders").unwrap();
        let job = store.claim("shop").unwrap().unwrap();
        store.finish(job.id).unwrap();
        assert_eq!(store.purge_finished(3600).unwrap(), 0, "a job finished just now is kept");
        assert_eq!(store.purge_finished(-1).unwrap(), 1, "past its time it goes");
        assert_eq!(store.dead("shop").unwrap().len(), 1, "dead letters stay until retried");
    }

    #[test]
    fn a_job_left_running_by_a_crash_runs_again() {
        let store = Store::in_memory().unwrap();
        store.enqueue_flow("shop", "orders").unwrap();
        let job = store.claim("shop").unwrap().unwrap();
        assert_eq!(store.requeue_running().unwrap(), 1);
        assert_eq!(store.claim("shop").unwrap().unwrap().id, job.id);
    }
}
