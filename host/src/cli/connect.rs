//! `woonox connect woocommerce|fortnox`.

use super::bad;
use anyhow::Result;
use std::io::{BufRead, IsTerminal};
use woonox::connections::connect::{self, FortnoxMode};
use woonox::connections::connection::{FortnoxAppSecret, Paths, WooKeys};
use woonox::wire::tls::StoreTrust;

pub struct WooArgs<'a> {
    pub url: &'a str,
    pub keys: WooKeys,
    pub trust: StoreTrust,
    pub webhook_url: Option<&'a str>,
    pub private_network: bool,
}

pub async fn woocommerce(paths: &Paths, name: &str, args: WooArgs<'_>) -> Result<()> {
    let url = args.url.trim_end_matches('/');
    let access = connect::StoreAccess { trust: args.trust, private_network: args.private_network };
    let verified = connect::woocommerce(paths, name, url, args.keys.clone(), access).await.map_err(bad)?;
    println!("WooCommerce store {url} is connected as {name:?} (keys verified with a real call).");
    if let Some(fingerprint) = verified.fingerprint {
        println!("The store's certificate has the SHA-256 fingerprint {fingerprint}.");
    }
    if let Some(webhook_url) = args.webhook_url {
        let config = woonox::connections::config::Config::load(&paths.config_file())?;
        let tls = woonox::wire::tls::for_store(&config.connection(name)?.store_trust())?;
        let done = woonox::connections::webhook_setup::register(paths, name, url, args.keys, &tls, webhook_url)
            .await
            .map_err(bad)?;
        println!(
            "Webhooks for {} → {}: {} created, {} moved there, {} re-enabled, {} already in place, {} extra removed.",
            woonox::connections::webhook_setup::TOPICS.join(", "),
            done.delivery_url,
            done.created,
            done.updated,
            done.reenabled,
            done.unchanged,
            done.removed
        );
    }
    Ok(())
}

pub struct FortnoxArgs {
    pub client_id: String,
    pub service_account: Option<String>,
    pub redirect_port: u16,
    pub fortnox_api: Option<String>,
    pub fortnox_auth: Option<String>,
}

pub async fn fortnox(paths: &Paths, name: &str, args: FortnoxArgs) -> Result<()> {
    let urls = connect::FortnoxUrls { api: args.fortnox_api, auth: args.fortnox_auth };
    let client_secret = client_secret()?;
    let app = FortnoxAppSecret { client_id: args.client_id, client_secret };
    let mode = match args.service_account {
        Some(tenant_id) => FortnoxMode::ServiceAccount { tenant_id },
        None => FortnoxMode::Consent {
            redirect_port: args.redirect_port,
            on_url: Box::new(|url| {
                eprintln!(
                    "Open this address in a browser, log in as the integration user and approve woonox:\n\n  {url}\n"
                );
                eprintln!("Waiting for Fortnox to send you back here…");
            }),
        },
    };
    connect::fortnox(paths, name, app, mode, urls).await.map_err(bad)?;
    let place = woonox::state::secrets::Secrets::for_paths(paths).map_err(bad)?;
    println!("Fortnox is connected as {name:?}. Tokens are kept in {}.", place.describe(name));
    Ok(())
}

/// From `WOONOX_FORTNOX_CLIENT_SECRET`, or typed in: never a command-line argument, which
/// other users can read in the process list.
fn client_secret() -> Result<String> {
    if let Ok(secret) = std::env::var("WOONOX_FORTNOX_CLIENT_SECRET") {
        return Ok(secret);
    }
    if std::io::stdin().is_terminal() {
        eprint!("Fortnox client secret: ");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let secret = line.trim().to_owned();
    if secret.is_empty() {
        return Err(bad("give the Fortnox client secret in WOONOX_FORTNOX_CLIENT_SECRET or on standard input"));
    }
    Ok(secret)
}
