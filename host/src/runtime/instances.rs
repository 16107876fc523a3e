//! The wasmtime runtime: one engine, the component compiled once (and cached on disk),
//! a fresh store per call with an epoch deadline and a memory cap. A store is dropped
//! after every call, so nothing a trapped call left behind is ever reused.

use crate::runtime::bindings::{Mapper, MapperPre};
use crate::runtime::component_cache;
use crate::runtime::connector_bindings::{Connector, ConnectorPre};
use crate::runtime::memory_peak::Limiter;
use crate::state::store::{Namespace, Store as StateStore};
use crate::wire::http_hooks::{ConnectionNet, PolicyHooks};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// The components built from `guest/` by the build script: the `mapper` world, and the
/// whole `connector` world.
pub static BUILT_IN: &[u8] = include_bytes!(env!("WOONOX_GUEST_WASM"));
pub static BUILT_IN_CONNECTOR: &[u8] = include_bytes!(env!("WOONOX_CONNECTOR_WASM"));

/// How often the epoch advances; deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(10);
/// The most a guest may print to stderr (a panic message) before it is cut.
const STDERR_CAPACITY: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall time one mapping call may run before it is stopped.
    pub deadline: Duration,
    /// Wall time one flow run may take, waiting on the APIs included.
    pub sync_deadline: Duration,
    /// Linear memory one store may grow to.
    pub memory_bytes: usize,
    /// Instances from wasmtime's pooling allocator (slots kept warm between jobs) rather
    /// than fresh mappings per job. `woonox bench`'s instantiation figures chose the default.
    pub pooling: bool,
    /// Instances alive at once; a call past them waits for one to end. `serve` makes room
    /// for each of its connections to run a job at the same time.
    pub instances: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_secs(10),
            sync_deadline: Duration::from_secs(3600),
            memory_bytes: 256 << 20,
            pooling: POOLING_BY_DEFAULT,
            instances: 64,
        }
    }
}

/// Where the component comes from.
pub enum Source {
    BuiltIn,
    BuiltInConnector,
    Plugin(PathBuf),
}

pub struct Runtime {
    engine: Engine,
    pre: MapperPre<HostState>,
    /// Present when the component also exports `sync` (the connector world).
    connector: Option<ConnectorPre<HostState>>,
    limits: Limits,
    /// One permit per instance slot: past the pool's size an instantiation would fail,
    /// so a call waits for a slot instead.
    slots: tokio::sync::Semaphore,
    stop_ticker: Arc<AtomicBool>,
}

/// Told each progress step a flow reports, e.g. "orders 12/340".
pub type ProgressSink = Arc<dyn Fn(&str) + Send + Sync>;

/// What one call may use of one connection: its network policy, its state, and where its
/// progress goes.
#[derive(Default, Clone)]
pub struct ConnectionContext {
    pub name: String,
    pub net: Arc<ConnectionNet>,
    pub store: Option<Arc<StateStore>>,
    pub progress: Option<ProgressSink>,
}

/// What a store holds: an empty WASI context (no environment, no files, no sockets),
/// outgoing HTTP through the connection's policy, the guest's stderr, and limits.
pub struct HostState {
    wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    http: WasiHttpCtx,
    hooks: PolicyHooks,
    pub(crate) connection: Arc<ConnectionContext>,
    limits: Limiter,
    stderr: MemoryOutputPipe,
}

impl HostState {
    /// Runs `f` on this connection's namespace of the state.
    pub(crate) fn namespace<R>(&self, f: impl FnOnce(&Namespace<'_>) -> Result<R>) -> Result<R> {
        let store = self.connection.store.as_ref().context("this call has no state store")?;
        let fence = self.connection.net.lease.get().map(|lease| lease.fence());
        f(&store.namespace_fenced(&self.connection.name, fence))
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// See BENCHMARKS.md (instantiation per job, pooling against on-demand).
pub const POOLING_BY_DEFAULT: bool = true;

pub fn engine() -> Result<Engine> {
    engine_for(&Limits { pooling: false, ..Limits::default() })
}

pub fn engine_for(limits: &Limits) -> Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    #[cfg(feature = "profiling")]
    if std::env::var_os("WOONOX_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if limits.pooling {
        let mut pool = wasmtime::PoolingAllocationConfig::default();
        let instances = limits.instances.max(1);
        pool.total_component_instances(instances)
            .total_core_instances(instances * 10)
            .total_memories(instances * 2)
            .total_tables(instances * 10)
            .max_memory_size(limits.memory_bytes);
        config.allocation_strategy(wasmtime::InstanceAllocationStrategy::Pooling(pool));
    }
    Ok(Engine::new(&config)?)
}

impl Runtime {
    pub fn new(source: &Source, cache_dir: Option<&Path>, limits: Limits) -> Result<Runtime> {
        let engine = engine_for(&limits)?;
        let component = load(&engine, source, cache_dir)?;
        let linker = linker(&engine)?;
        let instance_pre = linker.instantiate_pre(&component)?;
        let pre = MapperPre::new(instance_pre.clone())
            .map_err(anyhow::Error::from)
            .context("the component does not provide the woonox mapper world")?;
        let connector = ConnectorPre::new(instance_pre).ok();
        let stop_ticker = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop_ticker.clone());
        let slots = tokio::sync::Semaphore::new(limits.instances.max(1) as usize);
        Ok(Runtime { engine, pre, connector, limits, slots, stop_ticker })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs a mapping against a fresh instance with no network and no state.
    pub async fn call<R, F>(&self, f: F) -> Result<R>
    where
        F: for<'a> AsyncFnOnce(&'a Mapper, &'a mut Store<HostState>) -> Result<R>,
    {
        let pre = &self.pre;
        let context = Arc::new(ConnectionContext::default());
        self.run(context, self.limits.deadline, async move |store| {
            let mapper = pre.instantiate_async(&mut *store).await?;
            f(&mapper, store).await
        })
        .await
    }

    /// Runs a flow against a fresh instance that may use the connection's services and state.
    pub async fn call_sync<R, F>(&self, context: Arc<ConnectionContext>, f: F) -> Result<R>
    where
        F: for<'a> AsyncFnOnce(&'a Connector, &'a mut Store<HostState>) -> Result<R>,
    {
        let pre = self.connector.as_ref().context("this plugin exports only the mappings (world mapper), not sync")?;
        self.run(context, self.limits.sync_deadline, async move |store| {
            let connector = pre.instantiate_async(&mut *store).await?;
            f(&connector, store).await
        })
        .await
    }

    /// A fresh store with the call's deadline and memory cap. A trap, the deadline or the
    /// cap ends the call with an error that says what happened and what the guest printed.
    async fn run<R, F>(&self, connection: Arc<ConnectionContext>, deadline: Duration, f: F) -> Result<R>
    where
        F: for<'a> AsyncFnOnce(&'a mut Store<HostState>) -> Result<R>,
    {
        // Declared before the store, so the slot is given back only once the store is gone.
        let _slot = self.slots.acquire().await?;
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let state = HostState {
            wasi: WasiCtx::builder().stderr(stderr.clone()).build(),
            table: ResourceTable::new(),
            http: WasiHttpCtx::new(),
            hooks: PolicyHooks { net: connection.net.clone() },
            connection,
            limits: Limiter(
                StoreLimitsBuilder::new()
                    .memory_size(self.limits.memory_bytes)
                    .instances(4)
                    .trap_on_grow_failure(true)
                    .build(),
            ),
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(ticks(deadline));
        store.epoch_deadline_trap();
        // A guest blocked in a host call is not interrupted by epochs; this outer bound is.
        let outer = deadline + Duration::from_secs(1);
        let result = match tokio::time::timeout(outer, f(&mut store)).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("the plugin did not answer within {deadline:?}")),
        };
        result.map_err(|e| explain_trap(e, &store.data().stderr, deadline, &self.limits))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

/// Everything a component may import: WASI (empty context), HTTP through the policy,
/// the key-value store and logging. A mapper component simply uses none of the last three.
fn linker(engine: &Engine) -> Result<Linker<HostState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    crate::runtime::connector_bindings::wasi::keyvalue::store::add_to_linker::<_, HasSelf<HostState>>(
        &mut linker,
        |s| s,
    )?;
    crate::runtime::connector_bindings::wasi::logging::logging::add_to_linker::<_, HasSelf<HostState>>(
        &mut linker,
        |s| s,
    )?;
    Ok(linker)
}

fn ticks(deadline: Duration) -> u64 {
    (deadline.as_millis() / TICK.as_millis()).max(1) as u64
}

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("woonox-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawn the epoch ticker thread");
}

fn load(engine: &Engine, source: &Source, cache_dir: Option<&Path>) -> Result<Component> {
    let bytes = match source {
        Source::BuiltIn => BUILT_IN.to_vec(),
        Source::BuiltInConnector => BUILT_IN_CONNECTOR.to_vec(),
        Source::Plugin(path) => {
            std::fs::read(path).with_context(|| format!("cannot read the plugin {}", path.display()))?
        }
    };
    match cache_dir {
        Some(dir) => component_cache::load(engine, &bytes, dir),
        None => Component::new(engine, &bytes)
            .map_err(anyhow::Error::from)
            .context("the plugin is not a valid WebAssembly component"),
    }
}

/// Turns a wasmtime trap into a sentence a user can act on.
fn explain_trap(error: anyhow::Error, stderr: &MemoryOutputPipe, deadline: Duration, limits: &Limits) -> anyhow::Error {
    let printed = String::from_utf8_lossy(&stderr.contents()).trim().to_owned();
    let what = match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => format!("it ran past its deadline of {deadline:?}"),
        Some(wasmtime::Trap::UnreachableCodeReached) if !printed.is_empty() => "it panicked".to_owned(),
        Some(trap) => format!("it trapped: {trap}"),
        None if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() => {
            format!("it tried to end the process (exit code {})", exit.0)
        }
        None if is_memory_limit(&error) => {
            format!("it needed more than the {} MiB memory limit", limits.memory_bytes >> 20)
        }
        None => return error,
    };
    let mut message = format!("the plugin failed: {what}");
    if !printed.is_empty() {
        message.push_str(&format!("; it said: {printed}"));
    }
    anyhow::Error::new(PluginFailure(message))
}

fn is_memory_limit(error: &anyhow::Error) -> bool {
    error.chain().any(|e| e.to_string().starts_with("forcing trap when growing memory"))
}

/// The component itself failed (trap, deadline, memory): not the user's input.
#[derive(Debug)]
pub struct PluginFailure(pub String);

impl std::fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PluginFailure {}
