//! Fortnox's rotating, single-use refresh tokens against the stand-in: concurrent needs
//! make one refresh, the chain survives a restart, a 401 renews once, and a broken chain
//! tells the merchant to reconnect.

use std::path::PathBuf;
use std::sync::Arc;
use woonox::wire::fortnox_auth::{AuthError, FortnoxApp, FortnoxTokens, TokenSet, request_token};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig};

fn app(sim: &Sim) -> FortnoxApp {
    FortnoxApp {
        client_id: FORTNOX_CLIENT_ID.into(),
        client_secret: FORTNOX_CLIENT_SECRET.into(),
        auth_base: sim.fortnox_url.clone(),
    }
}

fn token_file(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("woonox-tokens-{}-{name}", std::process::id())).join("fortnox.json")
}

/// Connects as `woonox connect fortnox` would, then marks the access token expired.
async fn connected(sim: &Sim, file: &std::path::Path) -> TokenSet {
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", "http://127.0.0.1:9/cb".to_owned()),
    ];
    let mut set = request_token(&app(sim), form, None).await.unwrap();
    set.expires_at = 0;
    FortnoxTokens::load(app(sim), file.to_path_buf()).unwrap().store(set.clone()).await.unwrap();
    set
}

#[tokio::test(flavor = "multi_thread")]
async fn two_jobs_needing_a_refresh_cause_one_refresh_call() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let file = token_file("single-flight");
    let first = connected(&sim, &file).await;
    let tokens = Arc::new(FortnoxTokens::load(app(&sim), file.clone()).unwrap());
    let (a, b) = tokio::join!(
        {
            let t = tokens.clone();
            async move { t.access_token().await }
        },
        {
            let t = tokens.clone();
            async move { t.access_token().await }
        }
    );
    assert_eq!(a.clone().unwrap(), b.unwrap());
    assert_ne!(a.unwrap(), first.access_token);
    assert_eq!(sim.fortnox.lock().unwrap().refreshes, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_survives_a_restart() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let file = token_file("restart");
    connected(&sim, &file).await;
    let before = FortnoxTokens::load(app(&sim), file.clone()).unwrap().access_token().await.unwrap();
    // A new process: only the file carries the chain on. Force one more refresh.
    let mut saved: TokenSet = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    saved.expires_at = 0;
    std::fs::write(&file, serde_json::to_vec(&saved).unwrap()).unwrap();
    let after = FortnoxTokens::load(app(&sim), file.clone()).unwrap().access_token().await.unwrap();
    assert_ne!(before, after);
    assert_eq!(sim.fortnox.lock().unwrap().refreshes, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_refresh_token_asks_for_a_reconnect() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let file = token_file("spent");
    let first = connected(&sim, &file).await;
    FortnoxTokens::load(app(&sim), file.clone()).unwrap().access_token().await.unwrap();
    // Put the already used refresh token back, as a second process with a stale copy would.
    FortnoxTokens::load(app(&sim), file.clone()).unwrap().store(first).await.unwrap();
    let err = FortnoxTokens::load(app(&sim), file.clone()).unwrap().access_token().await.unwrap_err();
    assert!(matches!(err, AuthError::NeedsReconnect(_)));
    assert!(err.to_string().contains("woonox connect fortnox"), "{err}");
    // The connection is marked: a later start knows at once and asks Fortnox nothing.
    let refreshes_before = sim.log.count("fortnox");
    let again = FortnoxTokens::load(app(&sim), file.clone()).unwrap();
    assert_eq!(again.needs_reconnect().await.as_deref(), Some("Invalid refresh token"));
    assert!(matches!(again.access_token().await, Err(AuthError::NeedsReconnect(_))));
    assert_eq!(sim.log.count("fortnox"), refreshes_before);
}

/// Two processes (two token holders over one file) both find the token expired: the
/// second adopts what the first renewed instead of spending the rotated refresh token.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_adopts_the_renewed_pair() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let file = token_file("two-processes");
    connected(&sim, &file).await;
    let one = FortnoxTokens::load(app(&sim), file.clone()).unwrap();
    let two = FortnoxTokens::load(app(&sim), file.clone()).unwrap();
    let a = one.access_token().await.unwrap();
    let b = two.access_token().await.unwrap();
    assert_eq!(a, b);
    assert_eq!(sim.fortnox.lock().unwrap().refreshes, 1);
}
