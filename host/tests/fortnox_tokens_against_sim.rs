//! Fortnox's rotating, single-use refresh tokens against the stand-in: concurrent needs
//! make one refresh, the chain survives a restart, a 401 renews once, and a broken chain
//! tells the merchant to reconnect. Each runs with the tokens in files and sealed in a
//! shared PostgreSQL state, where every holder is a "host" with a connection of its own.

use std::sync::Arc;
use woonox::state::sealed::SecretKey;
use woonox::state::secrets::{FORTNOX_TOKENS, Secrets};
use woonox::state::store::Store;
use woonox::wire::fortnox_auth::{AuthError, FortnoxApp, FortnoxTokens, TokenSet, request_token};
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig};

fn app(sim: &Sim) -> FortnoxApp {
    FortnoxApp {
        client_id: FORTNOX_CLIENT_ID.into(),
        client_secret: FORTNOX_CLIENT_SECRET.into(),
        auth_base: sim.fortnox_url.clone(),
    }
}

/// Where the tests keep the tokens; `holder()` is one more process or host reading them.
#[derive(Clone)]
enum Place {
    Files(std::path::PathBuf),
    Shared(String),
}

impl Place {
    fn both(name: &str) -> [Place; 2] {
        let dir = std::env::temp_dir().join(format!("woonox-tokens-{}-{name}", std::process::id()));
        [Place::Files(dir), Place::Shared(woonox_sim::postgres::fresh_database().unwrap())]
    }

    fn holder(&self) -> Arc<Secrets> {
        Arc::new(match self {
            Place::Files(dir) => Secrets::Files { dir: dir.clone() },
            Place::Shared(url) => {
                Secrets::Shared { store: Arc::new(Store::connect(url).unwrap()), key: SecretKey::from_bytes([3; 32]) }
            }
        })
    }

    fn tokens(&self, sim: &Sim) -> FortnoxTokens {
        FortnoxTokens::load(app(sim), self.holder(), "shop").unwrap()
    }
}

/// Connects as `woonox connect fortnox` would, then marks the access token expired.
async fn connected(sim: &Sim, place: &Place) -> TokenSet {
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", "http://127.0.0.1:9/cb".to_owned()),
    ];
    let mut set = request_token(&app(sim), form, None).await.unwrap();
    set.expires_at = 0;
    place.tokens(sim).store(set.clone()).await.unwrap();
    set
}

#[tokio::test(flavor = "multi_thread")]
async fn two_jobs_needing_a_refresh_cause_one_refresh_call() {
    for place in Place::both("single-flight") {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        let first = connected(&sim, &place).await;
        let tokens = Arc::new(place.tokens(&sim));
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
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chain_survives_a_restart() {
    for place in Place::both("restart") {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        connected(&sim, &place).await;
        let before = place.tokens(&sim).access_token().await.unwrap();
        // A new process: only what was kept carries the chain on. Force one more refresh.
        let kept = place.holder();
        let mut saved: TokenSet = kept.read("shop", FORTNOX_TOKENS).unwrap().unwrap();
        saved.expires_at = 0;
        kept.write("shop", FORTNOX_TOKENS, &saved).unwrap();
        let after = place.tokens(&sim).access_token().await.unwrap();
        assert_ne!(before, after);
        assert_eq!(sim.fortnox.lock().unwrap().refreshes, 2);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_spent_refresh_token_asks_for_a_reconnect() {
    for place in Place::both("spent") {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        let first = connected(&sim, &place).await;
        place.tokens(&sim).access_token().await.unwrap();
        // Put the already used refresh token back, as a second process with a stale copy would.
        place.tokens(&sim).store(first).await.unwrap();
        let err = place.tokens(&sim).access_token().await.unwrap_err();
        assert!(matches!(err, AuthError::NeedsReconnect(_)));
        assert!(err.to_string().contains("woonox connect fortnox"), "{err}");
        // The connection is marked: a later start knows at once and asks Fortnox nothing.
        let refreshes_before = sim.log.count("fortnox");
        let again = place.tokens(&sim);
        assert_eq!(again.needs_reconnect().await.as_deref(), Some("Invalid refresh token"));
        assert!(matches!(again.access_token().await, Err(AuthError::NeedsReconnect(_))));
        assert_eq!(sim.log.count("fortnox"), refreshes_before);
    }
}

/// Two processes (two token holders over one place) both find the token expired at once:
/// one refreshes, the other waits for its lock and adopts the renewed pair instead of
/// spending the rotated refresh token (which would break the chain).
#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_adopts_the_renewed_pair() {
    for place in Place::both("two-processes") {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        connected(&sim, &place).await;
        let one = place.tokens(&sim);
        let two = place.tokens(&sim);
        let (a, b) = tokio::join!(one.access_token(), two.access_token());
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a, b);
        assert_eq!(sim.fortnox.lock().unwrap().refreshes, 1);
    }
}
