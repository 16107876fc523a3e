//! Connecting woonox to in-process stand-ins (for `demo` and `bench`), the way a user
//! connects to real services: config, verified WooCommerce keys, a Fortnox service account.

use anyhow::Result;
use woonox::connections::config::Config;
use woonox::connections::connect::{self, FortnoxMode};
use woonox::connections::connection::{FortnoxAppSecret, Paths, WooKeys};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

/// Connects `name` under `paths` to `sim`, pacing WooCommerce at `woo_rate` requests a
/// second; other connections and the `[state]` already in the config stay.
pub async fn connect(paths: &Paths, sim: &Sim, name: &str, woo_rate: u32) -> Result<()> {
    let mut config = Config::load(&paths.config_file())?;
    let entry = config.connections.entry(name.to_owned()).or_default();
    entry.fortnox_api = sim.fortnox_url.clone();
    entry.fortnox_auth = sim.fortnox_url.clone();
    entry.woo_requests_per_second = woo_rate;
    config.save(&paths.config_file())?;
    let keys = WooKeys { consumer_key: WOO_CONSUMER_KEY.into(), consumer_secret: WOO_CONSUMER_SECRET.into() };
    connect::woocommerce(paths, name, &sim.woo_url, keys, Default::default()).await?;
    let app = FortnoxAppSecret { client_id: FORTNOX_CLIENT_ID.into(), client_secret: FORTNOX_CLIENT_SECRET.into() };
    let tenant_id = sim.fortnox.lock().map(|f| f.tenant_id.clone()).unwrap_or_default();
    connect::fortnox(paths, name, app, FortnoxMode::ServiceAccount { tenant_id }, Default::default()).await
}
