//! `woonox serve`: one process for many connections. Each connection gets its own worker
//! (its own rate limiters, state namespace and component instances) that runs scheduled
//! polls and webhook jobs from the durable queue one at a time; the HTTP side takes
//! webhooks and serves the status page, `/metrics` and `/healthz`, behind the limits in
//! `limits` (the webhook port faces the internet) and the checks in `guard`.

pub mod activity_view;
pub mod cluster;
pub mod cluster_view;
pub mod doctor_view;
pub mod fortnox_events;
pub mod guard;
pub mod limits;
pub mod login;
pub mod metrics;
pub mod schedule;
pub mod status_page;
pub mod webhooks;
pub mod worker;

use crate::connections::config::Config;
use crate::connections::connection::{FortnoxWindows, Paths, open};
use crate::runtime::{Limits, Runtime, Source};
use crate::state::store::Store;
use anyhow::{Context, Result, bail};
use guard::{Guard, GuardOptions};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::watch;

pub struct ServeOptions {
    /// Where to listen, and who may see the status page (the token, the public URL).
    pub guard: GuardOptions,
    /// Finished jobs are forgotten after this many days.
    pub keep_days: u32,
    /// Fortnox's event socket (`--fortnox-events`); unset, woonox.toml's `[serve]` decides.
    pub fortnox_events: Option<String>,
}

/// What the HTTP side shares.
pub struct Shared {
    pub store: Arc<Store>,
    pub paths: Paths,
    pub connections: BTreeMap<String, Arc<worker::Worker>>,
    pub metrics: Arc<metrics::Metrics>,
    pub guard: Guard,
    /// With a shared state: this process's place among the others.
    pub cluster: Option<Arc<cluster::Cluster>>,
}

pub async fn run(
    paths: &Paths,
    source: &Source,
    settings: &woonox_guest::Settings,
    options: ServeOptions,
    shutdown: watch::Receiver<bool>,
) -> Result<()> {
    let config = Config::load(&paths.config_file())?;
    let mut place = options.guard;
    // The command line wins; woonox.toml's [serve] fills in what it leaves out.
    place.public_url = place.public_url.or_else(|| config.serve.public_url.clone());
    place.behind_proxy |= config.serve.behind_proxy;
    let bind = place.bind;
    let proxied = place.behind_proxy || place.public_url.is_some();
    let guard = Guard::new(place)?;
    let mut limits = limits::Limits::from_env()?;
    if proxied {
        limits.per_address = None;
    }
    if config.connections.is_empty() {
        bail!("no connection is set up yet: run `woonox connect woocommerce` and `woonox connect fortnox` first");
    }
    let store = Arc::new(Store::for_paths(paths)?);
    // A shared state's jobs are requeued by whoever takes their lease over; an embedded
    // one has no other process, so whatever was running was cut off by the last stop.
    let cluster = match store.is_shared() {
        true => Some(Arc::new(cluster::Cluster::new(&store, cluster::groups(&config))?)),
        false => None,
    };
    let _only_serve = only_serve_on(&store)?;
    if cluster.is_none() {
        let requeued = store.requeue_running()?;
        if requeued > 0 {
            tracing::warn!(requeued, "jobs cut off by the last stop are queued again");
        }
    }
    tokio::spawn(purge_finished_jobs(store.clone(), options.keep_days, shutdown.clone()));
    // Room for every connection's job at once: each worker runs one at a time.
    let instances = (config.connections.len() as u32).max(Limits::default().instances);
    let runtime = Arc::new(Runtime::new(source, Some(&paths.cache_dir()), Limits { instances, ..Default::default() })?);
    let metrics = Arc::new(metrics::Metrics::default());
    let mut connections = BTreeMap::new();
    let windows = FortnoxWindows::default();
    for (name, entry) in &config.connections {
        let opened =
            open(paths, &config, name, store.clone(), &windows).with_context(|| format!("connection {name:?}"))?;
        if let Some(lease) = cluster.as_ref().and_then(|c| c.lease_of_connection(name)) {
            let _ = opened.context.net.lease.set(lease);
        }
        let settings = match &entry.settings {
            Some(file) => crate::connections::settings_file::load(Some(file))?,
            None => settings.clone(),
        };
        let schedule = schedule::Schedule::from_config(&entry.schedule)?;
        let worker =
            worker::Worker::new(name, opened, settings, schedule, store.clone(), runtime.clone(), metrics.clone());
        connections.insert(name.clone(), Arc::new(worker));
    }
    // Each connection's worker runs on a thread of its own: a guest that spins until its
    // deadline, or a 429 storm, holds up only its own connection.
    let mut threads = Vec::new();
    for worker in connections.values() {
        let (worker, shutdown) = (worker.clone(), shutdown.clone());
        let thread = std::thread::Builder::new().name(format!("woonox-{}", worker.name)).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(worker.run(shutdown)),
                Err(e) => tracing::error!(connection = %worker.name, "cannot start the worker: {e}"),
            }
        })?;
        threads.push(thread);
    }
    if let Some(cluster) = &cluster {
        tokio::spawn(cluster.clone().run(shutdown.clone()));
    }
    // With a shared state every process holds a socket: the queue's delivery ids make
    // their takes of one event one job.
    if let Some(url) = options.fortnox_events.or(config.serve.fortnox_events.clone()) {
        for socket in fortnox_events::sockets(&url, &connections)? {
            tokio::spawn(fortnox_events::run(socket, store.clone(), shutdown.clone()));
        }
    }
    let shared = Arc::new(Shared { store, paths: paths.clone(), connections, metrics, guard, cluster });
    let listener = tokio::net::TcpListener::bind(bind).await.with_context(|| format!("cannot listen on {bind}"))?;
    println!(
        "woonox serve: listening on http://{} ({} connection(s))",
        listener.local_addr()?,
        shared.connections.len()
    );
    limits::serve(listener, router(shared, &limits), &limits, shutdown.clone()).await;
    tokio::task::spawn_blocking(move || threads.into_iter().for_each(|t| drop(t.join()))).await?;
    Ok(())
}

/// An embedded state has no leases, so a second `serve` on it would work every connection
/// twice at once: the first holds a lock beside the state file for as long as it runs.
fn only_serve_on(store: &Store) -> Result<Option<std::fs::File>> {
    let Some(state) = store.embedded_file() else { return Ok(None) };
    let path = state.with_extension("serve-lock");
    let mut options = std::fs::OpenOptions::new();
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.create(true).truncate(false).write(true).open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => bail!(
            "another `woonox serve` is running on {}: stop it first, or share the work between processes \
             through a PostgreSQL state (see the README, \"Several processes on one PostgreSQL\")",
            state.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock {}", path.display())),
    }
}

/// Forgets finished jobs past their time, now and every hour, so the state does not grow
/// with every delivery.
async fn purge_finished_jobs(store: Arc<Store>, keep_days: u32, mut shutdown: watch::Receiver<bool>) {
    let keep_secs = i64::from(keep_days) * 86_400;
    while !*shutdown.borrow() {
        match store.purge_finished(keep_secs).and_then(|jobs| Ok(jobs + store.purge_activity(keep_secs)?)) {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "finished jobs and activity past their time forgotten"),
            Err(e) => tracing::error!("cannot purge finished jobs: {e:#}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// The status page, its actions, the login form and `/metrics` behind the guard; the
/// webhooks behind their own limits (and their HMAC); `/healthz` open.
fn router(shared: Arc<Shared>, limits: &limits::Limits) -> axum::Router {
    use axum::extract::State;
    use axum::routing::{get, post};
    let guarded = axum::Router::new()
        .route("/", get(status_page::page))
        .route("/login", get(login::page).post(login::submit))
        .route("/retry/{connection}/{id}", post(status_page::retry))
        .route("/run/{connection}/{flow}", post(status_page::run_now))
        .route("/doctor/{connection}", post(doctor_view::run))
        .route("/held/{connection}/{action}", post(status_page::held_action))
        .route("/sync/{connection}", post(activity_view::sync_item))
        .route("/metrics", get(metrics::page))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), guard::check));
    let open = axum::Router::new()
        .route("/healthz", get(|State(shared): State<Arc<Shared>>| async move { cluster_view::health(&shared) }))
        .route("/hooks/woocommerce/{connection}", limits::hooks_route(shared.clone(), limits));
    limits::with_request_timeout(guarded.merge(open).with_state(shared), limits)
}
