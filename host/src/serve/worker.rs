//! One connection's worker: enqueues its scheduled polls when due and runs its jobs one
//! at a time (never two flows of a connection at once, so the links and pending markers
//! see every write in order). A job that fails goes back with exponential backoff and
//! jitter; a trap, a timeout or a 429 storm here touches no other connection.

use super::metrics::Metrics;
use super::schedule::{Schedule, flow_by_name, flow_name};
use crate::connections::connection::Opened;
use crate::runtime::Runtime;
use crate::runtime::connector_bindings::wit_sync::{Endpoints, Flow, Report, RunOptions, SyncError};
use crate::runtime::wit_settings::to_wit;
use crate::state::leases::Fence;
use crate::state::queue::{Job, Run, Work, now};
use crate::state::store::Store;
use crate::wire::http_hooks::LEASE_LOST;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

pub struct Worker {
    pub name: String,
    opened: Opened,
    settings: woonox_guest::Settings,
    schedule: Schedule,
    store: Arc<Store>,
    runtime: Arc<Runtime>,
    metrics: Arc<Metrics>,
    /// Woken when a webhook queues a job, so it runs at once.
    pub wake: Notify,
    /// The last job's error, if it failed; `None` after a success.
    pub trouble: Mutex<Option<String>>,
    /// When each scheduled flow was last queued, in the schedule's order.
    queued_at: Mutex<Vec<Option<Instant>>>,
    /// Set while Fortnox's events reach this connection: its Fortnox-side polls then run
    /// less often (see `EVENTS_STRETCH`).
    pub events_live: std::sync::atomic::AtomicBool,
    /// Fortnox's event socket, when serve takes the events for this connection.
    pub events_url: std::sync::OnceLock<String>,
    /// When the last Fortnox event for this connection was taken (Unix seconds; 0: none).
    pub last_event_at: std::sync::atomic::AtomicI64,
    /// The connection's secrets (the webhook secret deliveries are checked with).
    pub secrets: Arc<crate::state::secrets::Secrets>,
    /// The 429s counted when the last job ended, so each job's own can be tallied.
    rate_limited_seen: std::sync::atomic::AtomicU64,
    /// Set while the doctor examines the connection.
    examining: std::sync::atomic::AtomicBool,
}

/// A scheduled poll as the status page shows it.
pub struct Poll {
    pub flow: &'static str,
    pub every: Duration,
    pub next_at: i64,
}

impl Worker {
    pub fn new(
        name: &str,
        opened: Opened,
        settings: woonox_guest::Settings,
        schedule: Schedule,
        store: Arc<Store>,
        runtime: Arc<Runtime>,
        metrics: Arc<Metrics>,
    ) -> Worker {
        let queued_at = Mutex::new(vec![None; schedule.0.len()]);
        Worker {
            name: name.to_owned(),
            secrets: opened.secrets.clone(),
            opened,
            settings,
            schedule,
            store,
            runtime,
            metrics,
            wake: Notify::new(),
            trouble: Mutex::new(None),
            queued_at,
            events_live: Default::default(),
            events_url: Default::default(),
            last_event_at: Default::default(),
            rate_limited_seen: Default::default(),
            examining: Default::default(),
        }
    }

    /// Each scheduled flow, its interval (as stretched while events flow) and when it is
    /// next queued.
    pub fn polls(&self) -> Vec<Poll> {
        let queued_at = self.queued_at.lock().unwrap_or_else(|p| p.into_inner());
        let polls = self.schedule.0.iter().zip(queued_at.iter());
        polls
            .map(|((flow, every), last)| {
                let every = self.interval(*flow, *every);
                let next = last.map(|at| at + every).unwrap_or_else(Instant::now);
                let next_at = now() + next.saturating_duration_since(Instant::now()).as_secs() as i64;
                Poll { flow: flow_name(*flow), every, next_at }
            })
            .collect()
    }

    /// A flow's poll interval now: Fortnox-side flows wait longer while events flow.
    fn interval(&self, flow: Flow, every: Duration) -> Duration {
        let live = self.events_live.load(std::sync::atomic::Ordering::Relaxed);
        if live && fortnox_side(flow) { every * EVENTS_STRETCH } else { every }
    }

    /// The company's login, for Fortnox's event socket.
    pub fn fortnox_tokens(&self) -> &Arc<crate::wire::fortnox_auth::FortnoxTokens> {
        &self.opened.fortnox_tokens
    }

    /// Runs the doctor over this connection, once at a time; the result is kept in the
    /// state, where the status page reads it.
    pub async fn examine(&self, paths: &crate::connections::connection::Paths) {
        use std::sync::atomic::Ordering::SeqCst;
        if self.examining.swap(true, SeqCst) {
            return;
        }
        let examined = async {
            let config = crate::connections::config::Config::load(&paths.config_file())?;
            let patient = crate::doctor::Patient {
                paths,
                config: &config,
                name: &self.name,
                opened: &self.opened,
                state: &self.store,
                settings: &self.settings,
                fortnox_events: self.events_url.get().map(String::as_str),
            };
            crate::doctor::examine(&patient, &self.runtime).await
        };
        if let Err(e) = examined.await {
            tracing::error!(connection = %self.name, "the doctor could not run: {e:#}");
        }
        self.examining.store(false, SeqCst);
    }

    pub fn examining(&self) -> bool {
        self.examining.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The store's home URL, for links to its admin pages.
    pub fn store_url(&self) -> &str {
        &self.opened.store_url
    }

    pub fn net_stats(&self) -> &crate::wire::http_hooks::NetStats {
        &self.opened.context.net.stats
    }

    /// Until `shutdown` turns true; a job in flight is finished first.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        while !*shutdown.borrow() {
            // With a shared state, only the lease holder works the connection, and each job
            // is fenced by the epoch it starts under.
            let lease = self.opened.context.net.lease.get();
            let fence = match lease.map(|lease| lease.begin_job()) {
                Some(None) => {
                    self.wait(&mut shutdown).await;
                    continue;
                }
                Some(fence) => fence,
                None => None,
            };
            self.queue_due_polls();
            let idle = match self.store.claim(&self.name, fence.as_ref()) {
                Ok(Some(job)) => {
                    self.execute(job, fence.as_ref()).await;
                    None
                }
                other => Some(other.map(|_| ())),
            };
            // Idle from here: the lease may be handed to another process meanwhile.
            if let Some(lease) = lease {
                lease.end_job();
            }
            match idle {
                None => {}
                Some(Ok(())) => self.wait(&mut shutdown).await,
                Some(Err(e)) => {
                    tracing::error!(connection = %self.name, "cannot read the queue: {e:#}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Until a webhook wakes the worker, half a second passes, or serve stops.
    async fn wait(&self, shutdown: &mut watch::Receiver<bool>) {
        let woken = self.wake.notified();
        tokio::pin!(woken);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            _ = &mut woken => {}
            _ = shutdown.changed() => {}
        }
    }

    /// Queues each scheduled flow whose time has come.
    fn queue_due_polls(&self) {
        let mut queued_at = self.queued_at.lock().unwrap_or_else(|p| p.into_inner());
        for ((flow, every), last) in self.schedule.0.iter().zip(queued_at.iter_mut()) {
            let every = self.interval(*flow, *every);
            if last.is_none_or(|at| at.elapsed() >= every) {
                *last = Some(Instant::now());
                if let Err(e) = self.store.enqueue_flow(&self.name, flow_name(*flow)) {
                    tracing::error!(connection = %self.name, "cannot queue a poll: {e:#}");
                }
            }
        }
    }

    async fn execute(&self, job: Job, fence: Option<&Fence>) {
        let started = (now(), Instant::now());
        let result = self.call(&job).await;
        let seconds = started.1.elapsed().as_secs_f64();
        let flow = match &job.work {
            Work::Flow(flow) => flow.clone(),
            // What the status page asked for ("sync … now") is told from deliveries.
            Work::Event { topic, .. } if topic.ends_with(".sync") => "sync now".to_owned(),
            Work::Event { topic, .. } if source_of(topic) == "fortnox" => "fortnox events".to_owned(),
            Work::Event { .. } => "webhooks".to_owned(),
        };
        let (ok, summary) = match &result {
            Ok(report) => (true, summary(report)),
            Err(why) => (false, why.clone()),
        };
        self.metrics.job(&self.name, &flow, super::metrics::Outcome::of(&result), seconds);
        let recorded = match &result {
            Ok(_) => self.store.finish(job.id, fence),
            Err(why) if why.contains(LEASE_LOST) => self.store.put_back(&job, fence),
            Err(why) => self.store.fail(&job, why, backoff(job.attempts), fence),
        };
        let entries = result.as_ref().map(|r| crate::state::activity::entries(&flow, r, started.0)).unwrap_or_default();
        let run = Run { flow, started_at: started.0, seconds, ok, summary };
        let recorded = recorded
            .and_then(|()| self.store.record_run(&self.name, &run))
            .and_then(|()| self.store.record_activity(&self.name, &entries, self.new_429s()));
        if let Err(e) = recorded {
            tracing::error!(connection = %self.name, "cannot record job {}: {e:#}", job.id);
        }
        *self.trouble.lock().unwrap_or_else(|p| p.into_inner()) = result.err();
    }

    /// The 429s since the last job ended.
    fn new_429s(&self) -> u64 {
        use std::sync::atomic::Ordering::Relaxed;
        let total = self.net_stats().rate_limited.load(Relaxed);
        total.saturating_sub(self.rate_limited_seen.swap(total, Relaxed))
    }

    /// The job through the component; `Err` is why it must be tried again.
    async fn call(&self, job: &Job) -> Result<Report, String> {
        let endpoints =
            Endpoints { fortnox: self.opened.fortnox_api.clone(), woocommerce: self.opened.store_url.clone() };
        let settings = to_wit(&self.settings);
        let context = self.opened.context.clone();
        let answer = match job.work.clone() {
            Work::Flow(name) => {
                let Some(flow) = flow_by_name(&name) else { return Err(format!("{name:?} is not a flow")) };
                let options = RunOptions { dry_run: false };
                self.runtime
                    .call_sync(context, async move |c, store| {
                        Ok(c.woonox_connector_sync().call_run(store, flow, &endpoints, options, &settings).await?)
                    })
                    .await
            }
            Work::Event { topic, body } => {
                self.runtime
                    .call_sync(context, async move |c, store| {
                        let sync = c.woonox_connector_sync();
                        let source = source_of(&topic);
                        Ok(sync.call_handle_event(store, source, &topic, &body, &endpoints, &settings).await?)
                    })
                    .await
            }
        };
        match answer {
            Ok(Ok(report)) => Ok(report),
            Ok(Err(SyncError::Connection(why) | SyncError::Interrupted(why) | SyncError::NotYetSupported(why))) => {
                Err(why)
            }
            Err(trap) => Err(format!("the component stopped: {trap:#}")),
        }
    }
}

/// How many times longer a Fortnox-side poll waits while Fortnox's events flow: the poll
/// stays the source of truth, catching what no event tells (a price-list change, a
/// warehouse delivery), only less often.
pub const EVENTS_STRETCH: u32 = 6;

/// The flows that read what changed in Fortnox, which its events also tell.
fn fortnox_side(flow: Flow) -> bool {
    matches!(flow, Flow::Products | Flow::Stock | Flow::Invoices | Flow::CreditNotes)
}

/// Which side an event job comes from: the status page's article syncs and Fortnox's
/// events speak for Fortnox; webhooks come from WooCommerce.
pub fn source_of(topic: &str) -> &'static str {
    let fortnox = ["article.", "invoice.", "invoicepayment."];
    if fortnox.iter().any(|p| topic.starts_with(p)) { "fortnox" } else { "woocommerce" }
}

/// Seconds before attempt `attempts + 1`: 5 s doubling per attempt, at most an hour, with
/// up to a quarter of jitter so that many jobs do not come back at once.
pub fn backoff(attempts: u32) -> i64 {
    let base = (5u64 << attempts.min(10)).min(3600);
    (base + rand::random_range(0..=base / 4)) as i64
}

/// A report in one line, then up to five failures.
pub fn summary(r: &Report) -> String {
    let mut text = format!(
        "{} created, {} updated, {} unchanged, {} skipped, {} failed",
        r.created,
        r.updated,
        r.unchanged,
        r.skipped,
        r.failed.len()
    );
    for f in r.failed.iter().take(5) {
        text.push_str(&format!("\n{}: {}", f.item, f.reason));
    }
    text
}
