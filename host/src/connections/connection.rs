//! One connection opened for work: its services with their credentials, its limiters, its
//! state namespace, and where everything lives in the data directory.

use crate::connections::config::{Config, ConnectionConfig};
use crate::runtime::ConnectionContext;
use crate::state::secrets::{FORTNOX_APP, Secrets, WOO_KEYS};
use crate::state::store::Store;
use crate::wire::fortnox_auth::{FortnoxApp, FortnoxTokens};
use crate::wire::http_hooks::ConnectionNet;
use crate::wire::http_policy::{AllowList, Credential, Origin, Service};
use crate::wire::rate_limit::SlidingWindow;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Where woonox keeps things under its data directory.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    /// The connections file when not `woonox.toml` in the data directory (`--config`).
    pub config: Option<PathBuf>,
    /// The state's address from `--state` or `WOONOX_STATE`: a `postgres://` URL or a
    /// SQLite file; it wins over the connections file's `[state] url`.
    pub state: Option<String>,
}

impl Paths {
    pub fn new(data_dir: PathBuf) -> Paths {
        Paths { data_dir, config: None, state: None }
    }
    pub fn config_file(&self) -> PathBuf {
        self.config.clone().unwrap_or_else(|| self.data_dir.join("woonox.toml"))
    }
    pub fn state_file(&self) -> PathBuf {
        self.data_dir.join("state.sqlite")
    }
    pub fn cache_dir(&self) -> PathBuf {
        self.data_dir.join("cache")
    }
}

#[derive(Clone, Serialize, Deserialize)]
pub struct WooKeys {
    pub consumer_key: String,
    pub consumer_secret: String,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct FortnoxAppSecret {
    pub client_id: String,
    pub client_secret: String,
}

pub fn woo_service(store_url: &str, keys: WooKeys) -> Result<Service> {
    Ok(Service {
        name: "woocommerce",
        origin: Origin::parse(store_url).map_err(anyhow::Error::msg)?,
        credential: Credential::WooKeys {
            consumer_key: keys.consumer_key,
            consumer_secret: keys.consumer_secret,
            home_url: store_url.trim_end_matches('/').to_owned(),
        },
        reach: Default::default(),
    })
}

pub fn fortnox_app(secrets: &Secrets, name: &str, c: &ConnectionConfig) -> Result<FortnoxApp> {
    let secret: FortnoxAppSecret = secrets.read(name, FORTNOX_APP)?.with_context(|| {
        format!("Fortnox is not connected for {name:?}; run `woonox connect fortnox --connection {name}`")
    })?;
    Ok(FortnoxApp {
        client_id: secret.client_id,
        client_secret: secret.client_secret,
        auth_base: c.fortnox_auth.clone(),
    })
}

/// Everything a flow run needs for connection `name`.
pub struct Opened {
    pub context: Arc<ConnectionContext>,
    pub fortnox_api: String,
    pub store_url: String,
    pub secrets: Arc<Secrets>,
    /// The company's login, for what is not a REST call (Fortnox's event socket).
    pub fortnox_tokens: Arc<FortnoxTokens>,
}

pub fn open(paths: &Paths, config: &Config, name: &str, state: Arc<Store>, windows: &FortnoxWindows) -> Result<Opened> {
    let c = config.connection(name)?;
    let store_url = c.store_url.clone().with_context(|| {
        format!("WooCommerce is not connected for {name:?}; run `woonox connect woocommerce --connection {name} …`")
    })?;
    let secrets = Arc::new(Secrets::new(paths, &state)?);
    let keys: WooKeys = secrets.read(name, WOO_KEYS)?.with_context(|| {
        format!("the WooCommerce keys of {name:?} are missing; run `woonox connect woocommerce` again")
    })?;
    for (what, url) in [("fortnox-api", &c.fortnox_api), ("fortnox-auth", &c.fortnox_auth)] {
        crate::wire::destination::require_https_beyond_loopback(what, url).map_err(anyhow::Error::msg)?;
    }
    let tokens = Arc::new(FortnoxTokens::load(fortnox_app(&secrets, name, c)?, secrets.clone(), name)?);
    let services = vec![
        Service {
            name: "fortnox",
            origin: Origin::parse(&c.fortnox_api).map_err(anyhow::Error::msg)?,
            credential: Credential::Fortnox(tokens.clone()),
            reach: Default::default(),
        },
        Service { reach: c.store_reach(), ..woo_service(&store_url, keys)? },
    ];
    let woo_rate = c.woo_requests_per_second.max(1) as usize;
    let limiters = HashMap::from([
        ("fortnox", windows.of(&state, name, c)),
        ("woocommerce", Arc::new(SlidingWindow::new(woo_rate, Duration::from_secs(1)))),
    ]);
    let tls = HashMap::from([("woocommerce", crate::wire::tls::for_store(&c.store_trust())?)]);
    let net =
        ConnectionNet { name: name.to_owned(), allow: AllowList::new(services), limiters, tls, ..Default::default() };
    let context = ConnectionContext { name: name.to_owned(), net: Arc::new(net), store: Some(state), progress: None };
    Ok(Opened {
        context: Arc::new(context),
        fortnox_api: c.fortnox_api.clone(),
        store_url,
        secrets,
        fortnox_tokens: tokens,
    })
}

/// Fortnox's rate windows in this process, one per company. Fortnox counts calls per
/// company, so connections naming the same `fortnox-company` pace through one window (a
/// shared state leases them to one process together, see serve/cluster.rs).
#[derive(Default)]
pub struct FortnoxWindows(std::sync::Mutex<HashMap<String, Arc<SlidingWindow>>>);

impl FortnoxWindows {
    /// The window connection `name` paces Fortnox through.
    pub fn of(&self, state: &Arc<Store>, name: &str, c: &ConnectionConfig) -> Arc<SlidingWindow> {
        // ':' is in no connection name, so a company's key is never a connection's.
        let key = match &c.fortnox_company {
            Some(company) => format!("fortnox:company:{company}"),
            None => format!("fortnox:{name}"),
        };
        let mut windows = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        windows.entry(key.clone()).or_insert_with(|| Arc::new(kept_fortnox_window(state, key))).clone()
    }
}

/// Fortnox's window under `key`, continued from the calls the last process made (kept in
/// the state under a namespace no connection name can have).
fn kept_fortnox_window(state: &Arc<Store>, key: String) -> SlidingWindow {
    const NAMESPACE: &str = "host:rate-window";
    let earlier: Vec<u64> = state
        .namespace(NAMESPACE)
        .get(&key)
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let state = state.clone();
    let record = move |calls: &[u64]| {
        let json = serde_json::to_vec(calls).unwrap_or_default();
        if let Err(e) = state.namespace(NAMESPACE).set(&key, &json) {
            tracing::warn!("cannot keep Fortnox's rate window: {e:#}");
        }
    };
    SlidingWindow::fortnox().kept(&earlier, Box::new(record))
}

/// The data directory: `--data-dir`, else the platform's (e.g. `~/.local/share/woonox`).
pub fn data_dir(flag: Option<&Path>) -> PathBuf {
    flag.map(Path::to_path_buf)
        .or_else(|| dirs::data_dir().map(|d| d.join("woonox")))
        .unwrap_or_else(|| PathBuf::from(".woonox"))
}
