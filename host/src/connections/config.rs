//! The connections file (`woonox.toml` in the data directory): where each connection's
//! services live and how fast to go. No secret is ever written here; those live in
//! `secrets/<connection>/`, owner-only.

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_FORTNOX_API: &str = "https://api.fortnox.se";
pub const DEFAULT_FORTNOX_AUTH: &str = "https://apps.fortnox.se";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub connections: BTreeMap<String, ConnectionConfig>,
    /// `woonox serve`'s place on the network, when not given on its command line.
    #[serde(default, skip_serializing_if = "ServeConfig::is_unset")]
    pub serve: ServeConfig,
    /// Where the state lives, when not in the data directory's SQLite file.
    #[serde(default, skip_serializing_if = "StateConfig::is_unset")]
    pub state: StateConfig,
}

/// `[state]`: a shared PostgreSQL database for several `woonox serve` processes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct StateConfig {
    /// `postgres://user@host/database`; a password is better in `PGPASSWORD` or `~/.pgpass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The file holding the key that encrypts secrets kept in a shared state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
}

impl StateConfig {
    fn is_unset(&self) -> bool {
        *self == StateConfig::default()
    }
}

/// `[serve]`: what `--public-url` and `--behind-proxy` say, kept with the connections.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ServeConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub behind_proxy: bool,
    /// Fortnox's event socket, e.g. `wss://ws.fortnox.se/topics-v1`; unset, serve polls only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fortnox_events: Option<String>,
}

impl ServeConfig {
    fn is_unset(&self) -> bool {
        *self == ServeConfig::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ConnectionConfig {
    /// The WooCommerce store's home URL, as WordPress knows it.
    pub store_url: Option<String>,
    #[serde(default = "default_fortnox_api")]
    pub fortnox_api: String,
    #[serde(default = "default_fortnox_auth")]
    pub fortnox_auth: String,
    /// Many WooCommerce hosts throttle; this paces woonox below them.
    #[serde(default = "default_woo_rate")]
    pub woo_requests_per_second: u32,
    /// The merchant's settings for this connection (see examples/woonox.toml).
    #[serde(default)]
    pub settings: Option<PathBuf>,
    /// A CA file (PEM) to trust for the store besides the system's (`--ca-cert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// The store's certificate, pinned by its SHA-256 fingerprint (`--pin-sha256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_sha256: Option<String>,
    /// The store is on the merchant's private network (`--private-network`): woonox may send
    /// its keys to a private address. Link-local and metadata addresses stay refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private_network: bool,
    /// `woonox serve`'s poll interval per flow, e.g. `stock = "5m"`, `products = "off"`;
    /// flows not named keep their defaults (see serve/schedule.rs).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub schedule: std::collections::BTreeMap<String, String>,
    /// Connections that name the same Fortnox company share its rate limit, so `woonox
    /// serve` processes on a shared state lease them together; unset, a connection is its
    /// own group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fortnox_company: Option<String>,
}

fn default_fortnox_api() -> String {
    DEFAULT_FORTNOX_API.into()
}
fn default_fortnox_auth() -> String {
    DEFAULT_FORTNOX_AUTH.into()
}
fn default_woo_rate() -> u32 {
    5
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            store_url: None,
            fortnox_api: default_fortnox_api(),
            fortnox_auth: default_fortnox_auth(),
            woo_requests_per_second: default_woo_rate(),
            settings: None,
            ca_cert: None,
            pin_sha256: None,
            private_network: false,
            schedule: Default::default(),
            fortnox_company: None,
        }
    }
}

impl ConnectionConfig {
    /// Whom the store's certificate must come from.
    pub fn store_trust(&self) -> crate::wire::tls::StoreTrust {
        crate::wire::tls::StoreTrust { ca_cert: self.ca_cert.clone(), pin_sha256: self.pin_sha256.clone() }
    }

    /// Which addresses the store may have.
    pub fn store_reach(&self) -> crate::wire::destination::Reach {
        if self.private_network {
            crate::wire::destination::Reach::PrivateToo
        } else {
            crate::wire::destination::Reach::Public
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let config: Config = toml::from_str(&text)
                    .with_context(|| format!("the connections file {} is not valid", path.display()))?;
                // A name becomes a folder under secrets/: "../x" would read secrets elsewhere.
                for name in config.connections.keys() {
                    check_name(name).with_context(|| format!("in the connections file {}", path.display()))?;
                }
                Ok(config)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            crate::state::permissions::create_dir(dir)?;
        }
        let tmp = path.with_extension("toml.tmp");
        std::fs::write(&tmp, toml::to_string_pretty(self)?)?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    pub fn connection(&self, name: &str) -> Result<&ConnectionConfig> {
        match self.connections.get(name) {
            Some(c) => Ok(c),
            None if self.connections.is_empty() => {
                bail!("there is no connection yet; start with `woonox connect woocommerce --connection {name} …`")
            }
            None => bail!(
                "there is no connection {name:?}; the connections are: {}",
                self.connections.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// A connection name becomes a directory and a storage namespace: keep it plain.
pub fn check_name(name: &str) -> Result<()> {
    let ok =
        !name.is_empty() && name.len() <= 40 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !ok {
        bail!("a connection name is 1 to 40 letters, digits, '-' or '_' (got {name:?})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_with_defaults_filled_in() {
        let c: Config = toml::from_str("[connections.shop]\nstore-url = \"https://shop.example\"\n").unwrap();
        let shop = c.connection("shop").unwrap();
        assert_eq!(shop.fortnox_api, DEFAULT_FORTNOX_API);
        assert_eq!(shop.woo_requests_per_second, 5);
        let again: Config = toml::from_str(&toml::to_string_pretty(&c).unwrap()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn unknown_connections_and_names_are_explained() {
        let c = Config::default();
        assert!(c.connection("shop").unwrap_err().to_string().contains("woonox connect woocommerce"));
        assert!(check_name("my shop").is_err());
        assert!(check_name("../etc").is_err());
        assert!(check_name("shop-1").is_ok());
    }

    #[test]
    fn a_name_that_leaves_the_data_directory_is_refused_at_load() {
        let dir = std::env::temp_dir().join(format!("woonox-config-names-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("woonox.toml");
        std::fs::write(&file, "[connections.\"../../outside/x\"]\nstore-url = \"https://shop.example\"\n").unwrap();
        let err = format!("{:#}", Config::load(&file).unwrap_err());
        assert!(err.contains("../../outside/x") && err.contains("letters, digits"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }
}
