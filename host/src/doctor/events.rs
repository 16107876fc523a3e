//! The doctor's check of Fortnox's push events, when serve is to take them: the socket
//! opens and Fortnox takes the company's login on it. Nothing is subscribed.

use super::{Finding, Verdict};
use crate::connections::config::Config;
use crate::connections::connection::Opened;

/// The events address serve would use outside the command line: `WOONOX_FORTNOX_EVENTS`,
/// else woonox.toml's `[serve] fortnox-events`.
pub fn configured(config: &Config) -> Option<String> {
    std::env::var("WOONOX_FORTNOX_EVENTS").ok().filter(|u| !u.is_empty()).or(config.serve.fortnox_events.clone())
}

pub async fn check(url: &str, opened: &Opened) -> Finding {
    let finding = |verdict, detail: String, fix: &str| Finding {
        side: "fortnox".into(),
        check: "push events".into(),
        verdict,
        detail,
        fix: fix.into(),
    };
    let tokens = &opened.fortnox_tokens;
    let probed = match tokens.access_token().await {
        Ok(token) => crate::serve::fortnox_events::probe(url, &tokens.app().client_secret, &token).await,
        Err(e) => Err(e.into()),
    };
    match probed {
        Ok(()) => finding(Verdict::Ok, format!("Fortnox takes this company's events at {url}"), ""),
        Err(e) => finding(
            Verdict::Failing,
            format!("{url}: {e:#}"),
            "Turn on the WebSocket permission of your app in Fortnox's developer portal; if it is on, check the \
             address (Fortnox's is wss://ws.fortnox.se/topics-v1). Until then serve polls only.",
        ),
    }
}
