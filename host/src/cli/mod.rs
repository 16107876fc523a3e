//! The command line's pieces; `main.rs` declares the commands and dispatches here.

pub mod bench;
pub mod bench_cluster;
pub mod bench_events;
pub mod bench_serve;
pub mod bench_timeline;
pub mod check;
pub mod connect;
pub mod demo;
pub mod doctor;
pub mod map_io;
pub mod map_many;
pub mod progress;
pub mod sim;
pub mod stand_ins;
pub mod sync;

/// A connection opened for one command: its config, state, services and the component.
pub struct Opened {
    pub config: woonox::connections::config::Config,
    pub state: std::sync::Arc<woonox::state::store::Store>,
    pub connection: woonox::connections::connection::Opened,
    pub runtime: woonox::runtime::Runtime,
}

impl Opened {
    /// What is wrong with the connection's set-up is the user's to fix (exit 2).
    pub fn new(
        paths: &woonox::connections::connection::Paths,
        source: &woonox::runtime::Source,
        name: &str,
    ) -> anyhow::Result<Opened> {
        let config = woonox::connections::config::Config::load(&paths.config_file()).map_err(bad)?;
        let state = std::sync::Arc::new(woonox::state::store::Store::for_paths(paths).map_err(bad)?);
        let connection =
            woonox::connections::connection::open(paths, &config, name, state.clone(), &Default::default())
                .map_err(bad)?;
        let limits = woonox::runtime::Limits::default();
        let runtime = woonox::runtime::Runtime::new(source, Some(&paths.cache_dir()), limits)?;
        Ok(Opened { config, state, connection, runtime })
    }
}

/// The input, the settings or the connection need the user: exit 2.
#[derive(Debug)]
pub struct BadInput(pub String);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadInput {}

/// Any error as "the user must act": exit 2.
pub fn bad<E: std::fmt::Display>(e: E) -> anyhow::Error {
    BadInput(format!("{e:#}")).into()
}
