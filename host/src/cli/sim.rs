//! `woonox sim`: the Fortnox and WooCommerce stand-ins on loopback, until Ctrl-C.

use anyhow::Result;
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

pub async fn run(config: SimConfig) -> Result<()> {
    let articles = config.articles;
    let sim = Sim::start(config).await?;
    println!("Fortnox stand-in      {}   ({articles} articles)", sim.fortnox_url);
    println!("WooCommerce stand-in  {}", sim.woo_url);
    println!();
    println!("Connect to them (nothing real is behind these credentials):");
    println!(
        "  woonox connect woocommerce --url {} --consumer-key {WOO_CONSUMER_KEY} --consumer-secret {WOO_CONSUMER_SECRET}",
        sim.woo_url
    );
    println!(
        "  WOONOX_FORTNOX_CLIENT_SECRET={FORTNOX_CLIENT_SECRET} woonox connect fortnox --client-id {FORTNOX_CLIENT_ID} \\\n      --fortnox-api {0} --fortnox-auth {0}",
        sim.fortnox_url
    );
    println!("  woonox check");
    println!("Take the Fortnox stand-in's push events:");
    println!("  woonox serve --fortnox-events {}/topics-v1", sim.fortnox_url.replacen("http://", "ws://", 1));
    println!("\nCtrl-C stops them.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
