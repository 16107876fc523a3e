//! `woonox check`: reads both sides of a connection end to end through the component.

use super::bad;
use anyhow::Result;
use woonox::connections::connection::Paths;
use woonox::runtime::Source;
use woonox::runtime::connector_bindings::wit_sync::{Endpoints, SyncError};
use woonox::runtime::wit_settings::to_wit;
use woonox::state::held;

pub async fn run(
    paths: &Paths,
    source: &Source,
    name: &str,
    settings: &woonox_guest::Settings,
    json: bool,
) -> Result<()> {
    let super::Opened { state, connection: opened, runtime, .. } = super::Opened::new(paths, source, name)?;
    let endpoints = Endpoints { fortnox: opened.fortnox_api.clone(), woocommerce: opened.store_url.clone() };
    let s = to_wit(settings);
    let answer = runtime
        .call_sync(opened.context.clone(), async |c, store| {
            Ok(c.woonox_connector_sync().call_check(store, &endpoints, &s).await?)
        })
        .await?;
    let counts = match answer {
        Ok(counts) => counts,
        Err(SyncError::Connection(why)) => return Err(bad(why)),
        Err(SyncError::Interrupted(why) | SyncError::NotYetSupported(why)) => anyhow::bail!("{why}"),
    };
    let waiting = held::waiting(&state.namespace(name), None)?;
    if json {
        let calls = opened.context.net.record.lock().map(|r| r.len()).unwrap_or(0);
        let held: Vec<_> = waiting
            .iter()
            .map(|w| serde_json::json!({ "flow": w.held.flow, "item": w.held.item, "reason": w.held.reason }))
            .collect();
        println!(
            "{}",
            serde_json::json!({ "connection": name, "fortnox_articles": counts.fortnox_articles,
                                "woocommerce_products": counts.woocommerce_products, "api_calls": calls,
                                "waiting_for_you": held })
        );
    } else {
        println!("Connection {name:?} works.");
        println!("  Fortnox      {:>7} articles   ({})", counts.fortnox_articles, opened.fortnox_api);
        println!("  WooCommerce  {:>7} products   ({})", counts.woocommerce_products, opened.store_url);
    }
    if !waiting.is_empty() {
        anyhow::bail!("{}", super::sync::waiting_message(&waiting));
    }
    Ok(())
}
