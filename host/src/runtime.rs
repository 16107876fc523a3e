//! The wasmtime runtime: one engine, the component compiled once (and cached on disk),
//! a fresh store per call with an epoch deadline and a memory cap. A store is dropped
//! after every call, so nothing a trapped call left behind is ever reused.

use crate::bindings::{Mapper, MapperPre};
use crate::component_cache;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// The component built from `guest/` by the build script.
pub static BUILT_IN: &[u8] = include_bytes!(env!("WOONOX_GUEST_WASM"));

/// How often the epoch advances; deadlines are counted in these ticks.
const TICK: Duration = Duration::from_millis(10);
/// The most a guest may print to stderr (a panic message) before it is cut.
const STDERR_CAPACITY: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall time one call may run inside the guest before it is stopped.
    pub deadline: Duration,
    /// Linear memory one store may grow to.
    pub memory_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { deadline: Duration::from_secs(10), memory_bytes: 256 << 20 }
    }
}

/// Where the component comes from.
pub enum Source {
    BuiltIn,
    Plugin(PathBuf),
}

pub struct Runtime {
    engine: Engine,
    pre: MapperPre<HostState>,
    limits: Limits,
    stop_ticker: Arc<AtomicBool>,
}

/// What a store holds: an empty WASI context (no environment, no files, no network),
/// the guest's stderr, and the store's limits.
pub struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
    stderr: MemoryOutputPipe,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

pub fn engine() -> Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    Ok(Engine::new(&config)?)
}

impl Runtime {
    pub fn new(source: &Source, cache_dir: Option<&Path>, limits: Limits) -> Result<Runtime> {
        let engine = engine()?;
        let component = load(&engine, source, cache_dir)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        let pre = MapperPre::new(linker.instantiate_pre(&component)?)
            .map_err(anyhow::Error::from)
            .context("the component does not provide the woonox mapper world")?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop_ticker.clone());
        Ok(Runtime { engine, pre, limits, stop_ticker })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs `f` against a fresh instance. A trap, a deadline or the memory cap ends the
    /// call with an error that says what happened and what the guest printed.
    pub async fn call<R, F>(&self, f: F) -> Result<R>
    where
        F: for<'a> AsyncFnOnce(&'a Mapper, &'a mut Store<HostState>) -> Result<R>,
    {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let state = HostState {
            wasi: WasiCtx::builder().stderr(stderr.clone()).build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_bytes)
                .instances(4)
                .trap_on_grow_failure(true)
                .build(),
            stderr,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(ticks(self.limits.deadline));
        store.epoch_deadline_trap();
        // A guest blocked in a host call is not interrupted by epochs; this outer bound is.
        let outer = self.limits.deadline + Duration::from_secs(1);
        let run = async {
            let mapper = self.pre.instantiate_async(&mut store).await?;
            f(&mapper, &mut store).await
        };
        let result = match tokio::time::timeout(outer, run).await {
            Ok(result) => result,
            Err(_) => Err(anyhow::anyhow!("the plugin did not answer within {:?}", self.limits.deadline)),
        };
        result.map_err(|e| explain_trap(e, &store.data().stderr, &self.limits))
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
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
fn explain_trap(error: anyhow::Error, stderr: &MemoryOutputPipe, limits: &Limits) -> anyhow::Error {
    let printed = String::from_utf8_lossy(&stderr.contents()).trim().to_owned();
    let what = match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => format!("it ran past its deadline of {:?}", limits.deadline),
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
