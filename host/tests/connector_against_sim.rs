//! The connector component talking to the stand-ins through the host: every page on both
//! sides read, credentials added by the host alone, and a destination outside the
//! connection's allow-list refused before any connection is made.

use base64::Engine as _;
use std::collections::HashMap;
use std::sync::Arc;
use woonox::connections::connection::{WooKeys, woo_service};
use woonox::runtime::bindings::wit::Settings as WitSettings;
use woonox::runtime::connector_bindings::wit_sync::{ConnectionCheck, Endpoints, SyncError};
use woonox::runtime::wit_settings::to_wit;
use woonox::runtime::{ConnectionContext, Limits, Runtime, Source};
use woonox::state::store::Store;
use woonox::wire::http_hooks::ConnectionNet;
use woonox::wire::http_policy::{AllowList, Credential, Origin, Service};
use woonox::wire::rate_limit::SlidingWindow;
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig, WOO_CONSUMER_KEY, WOO_CONSUMER_SECRET};

async fn access_token(sim: &Sim) -> String {
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let url = format!("{}/oauth-v1/token", sim.fortnox_url);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{FORTNOX_CLIENT_ID}:{FORTNOX_CLIENT_SECRET}"));
    let body = tokio::task::spawn_blocking(move || {
        let mut r = ureq::post(&url)
            .header("Authorization", &format!("Basic {basic}"))
            .send_form([
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://127.0.0.1:9/cb"),
            ])
            .unwrap();
        r.body_mut().read_to_string().unwrap()
    })
    .await
    .unwrap();
    serde_json::from_str::<serde_json::Value>(&body).unwrap()["access_token"].as_str().unwrap().to_owned()
}

fn sim_keys() -> WooKeys {
    WooKeys { consumer_key: WOO_CONSUMER_KEY.into(), consumer_secret: WOO_CONSUMER_SECRET.into() }
}

async fn context(sim: &Sim) -> Arc<ConnectionContext> {
    let services = vec![
        Service {
            name: "fortnox",
            origin: Origin::parse(&sim.fortnox_url).unwrap(),
            credential: Credential::Bearer(access_token(sim).await),
            reach: Default::default(),
        },
        woo_service(&sim.woo_url, sim_keys()).unwrap(),
    ];
    let limiters = HashMap::from([("fortnox", Arc::new(SlidingWindow::fortnox()))]);
    Arc::new(ConnectionContext {
        name: "shop".into(),
        net: Arc::new(ConnectionNet {
            name: "shop".into(),
            allow: AllowList::new(services),
            limiters,
            ..Default::default()
        }),
        store: Some(Arc::new(Store::in_memory().unwrap())),
        progress: None,
    })
}

fn settings() -> WitSettings {
    to_wit(&woonox_guest::Settings::default())
}

async fn check(context: Arc<ConnectionContext>, endpoints: Endpoints) -> Result<ConnectionCheck, SyncError> {
    check_with(Source::BuiltInConnector, settings(), context, endpoints).await
}

async fn check_with(
    source: Source,
    s: WitSettings,
    context: Arc<ConnectionContext>,
    endpoints: Endpoints,
) -> Result<ConnectionCheck, SyncError> {
    let runtime = Runtime::new(&source, None, Limits::default()).unwrap();
    runtime
        .call_sync(context, async |c, store| Ok(c.woonox_connector_sync().call_check(store, &endpoints, &s).await?))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_is_read_through_the_host() {
    let sim = Sim::start(SimConfig { articles: 1203, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    sim.log.clear();
    let endpoints = Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() };
    let counts = check(ctx.clone(), endpoints).await.unwrap();
    // 1203 articles in pages of 500; the store holds every other one (602) and 60 variable
    // products (every twentieth article is a variation), in pages of 100.
    assert_eq!((counts.fortnox_articles, counts.woocommerce_products), (1203, 602 + 60));
    let log = sim.log.entries();
    assert_eq!(log.iter().filter(|e| e.service == "fortnox").count(), 3);
    assert_eq!(log.iter().filter(|e| e.service == "woocommerce").count(), 7);
    assert!(log.iter().all(|e| e.status == 200), "{log:?}");
    // The host recorded the same calls, without queries.
    let recorded = ctx.net.record.lock().unwrap().clone();
    assert_eq!(recorded.len(), 10);
    assert!(recorded.iter().all(|r| !r.path.contains('?')));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_never_holds_a_secret_the_sim_sees_the_injected_one() {
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    let Credential::Bearer(token) = ctx.net.allow.route(&sim.fortnox_url.parse().unwrap()).unwrap().credential.clone()
    else {
        unreachable!()
    };
    sim.log.clear();
    check(ctx, Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() }).await.unwrap();
    for entry in sim.log.entries() {
        match entry.service {
            "fortnox" => assert_eq!(entry.authorization.as_deref(), Some(format!("Bearer {token}").as_str())),
            _ => assert!(entry.query.contains("oauth_signature=") && !entry.query.contains(WOO_CONSUMER_SECRET)),
        }
    }
    // Nothing secret ever went into the component: its whole input was endpoints and settings.
    let input = format!(
        "{:?}{:?}",
        settings(),
        Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() }
    );
    assert!(!input.contains(&token) && !input.contains(WOO_CONSUMER_SECRET));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_destination_outside_the_allow_list_is_refused_without_a_connection() {
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let elsewhere = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    let err = check(ctx, Endpoints { fortnox: elsewhere.fortnox_url.clone(), woocommerce: sim.woo_url.clone() })
        .await
        .unwrap_err();
    assert!(matches!(&err, SyncError::Connection(m) if m.contains("refused")), "{err:?}");
    assert_eq!(elsewhere.log.entries().len(), 0, "the other server saw a request");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_renewed_once_on_401_and_the_flow_goes_on() {
    use woonox::wire::fortnox_auth::{FortnoxApp, FortnoxTokens};
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let app = FortnoxApp {
        client_id: FORTNOX_CLIENT_ID.into(),
        client_secret: FORTNOX_CLIENT_SECRET.into(),
        auth_base: sim.fortnox_url.clone(),
    };
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/cb");
    let form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", code),
        ("redirect_uri", "http://127.0.0.1:9/cb".to_owned()),
    ];
    let first = woonox::wire::fortnox_auth::request_token(&app, form, None).await.unwrap();
    let dir = std::env::temp_dir().join(format!("woonox-conn-{}", std::process::id()));
    let secrets = Arc::new(woonox::state::secrets::Secrets::Files { dir });
    let tokens = Arc::new(FortnoxTokens::load(app, secrets, "shop").unwrap());
    tokens.store(first).await.unwrap();
    let mut ctx = Arc::try_unwrap(context(&sim).await).ok().unwrap();
    let mut services = vec![Service {
        name: "fortnox",
        origin: Origin::parse(&sim.fortnox_url).unwrap(),
        credential: Credential::Fortnox(tokens),
        reach: Default::default(),
    }];
    services.push(ctx.net.allow.route(&sim.woo_url.parse().unwrap()).unwrap().clone());
    ctx.net = Arc::new(ConnectionNet { name: "shop".into(), allow: AllowList::new(services), ..Default::default() });
    // Fortnox forgets every access token; the stored one is now refused.
    sim.fortnox.lock().unwrap().expire_access_tokens();
    let counts = check(Arc::new(ctx), Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() })
        .await
        .unwrap();
    assert_eq!(counts.fortnox_articles, 3);
    assert_eq!(sim.fortnox.lock().unwrap().refreshes, 1);
}

/// Connection context whose Fortnox limiter allows `limit` calls per `window`, with quick retries.
async fn paced(sim: &Sim, limit: usize, window: std::time::Duration) -> Arc<ConnectionContext> {
    let base = Arc::try_unwrap(context(sim).await).ok().unwrap();
    let allow = base.net.allow.clone();
    let limiters = HashMap::from([("fortnox", Arc::new(SlidingWindow::new(limit, window)))]);
    let net = ConnectionNet {
        name: "shop".into(),
        allow,
        limiters,
        retry_base: std::time::Duration::from_millis(20),
        ..Default::default()
    };
    Arc::new(ConnectionContext { net: Arc::new(net), ..base })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_storm_is_absorbed_within_the_limit() {
    let sim = Sim::start(SimConfig { articles: 2000, ..SimConfig::default() }).await.unwrap();
    let window = std::time::Duration::from_millis(400);
    let ctx = paced(&sim, 3, window).await;
    sim.log.clear();
    sim.fortnox_faults.lock().unwrap().rate_limited = 5;
    let counts = check(ctx.clone(), Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() })
        .await
        .unwrap();
    assert_eq!(counts.fortnox_articles, 2000);
    let fortnox: Vec<_> = sim.log.entries().into_iter().filter(|e| e.service == "fortnox").collect();
    assert_eq!(fortnox.iter().filter(|e| e.status == 429).count(), 5);
    assert_eq!(fortnox.iter().filter(|e| e.status == 200).count(), 4);
    // Retries count against the limiter too: the host never sent more than 3 in any 400 ms.
    let sent: Vec<_> =
        ctx.net.record.lock().unwrap().iter().filter(|r| r.service == "fortnox").map(|r| r.sent).collect();
    assert_eq!(sent.len(), 9);
    for first in &sent {
        let in_window = sent.iter().filter(|t| **t >= *first && t.duration_since(*first) < window).count();
        assert!(in_window <= 3, "{in_window} calls within {window:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_get_is_retried() {
    let sim = Sim::start(SimConfig { articles: 10, ..SimConfig::default() }).await.unwrap();
    let ctx = paced(&sim, 25, std::time::Duration::from_secs(5)).await;
    sim.log.clear();
    sim.woo_faults.lock().unwrap().server_errors = 2;
    let counts =
        check(ctx, Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() }).await.unwrap();
    assert_eq!(counts.woocommerce_products, 5 + 1, "five simple products and one variable product");
    let statuses: Vec<u16> =
        sim.log.entries().iter().filter(|e| e.service == "woocommerce").map(|e| e.status).collect();
    assert_eq!(statuses, [503, 503, 200]);
}

/// The misbehaving test plugin, told its misdeed through the store id.
async fn misdeed(sim: &Sim, ctx: Arc<ConnectionContext>, what: &str) -> Result<ConnectionCheck, SyncError> {
    let mut s = settings();
    s.store_id = what.into();
    let plugin = Source::Plugin(env!("WOONOX_TEST_PLUGIN_WASM").into());
    check_with(plugin, s, ctx, Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() }).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_cannot_set_authorization() {
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    sim.log.clear();
    let err = misdeed(&sim, ctx, "set-authorization").await.unwrap_err();
    assert!(matches!(&err, SyncError::Connection(m) if m.contains("Forbidden")), "{err:?}");
    assert!(sim.log.entries().is_empty(), "a request with guest credentials left the host");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_guest_request_gets_the_host_credentials() {
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    sim.log.clear();
    let status = misdeed(&sim, ctx, "fetch").await.unwrap().fortnox_articles;
    assert_eq!(status, 200);
    let auth = sim.log.entries()[0].authorization.clone().unwrap();
    assert!(auth.starts_with("Bearer ") && auth != "Bearer guest-made");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guest_store_is_the_connection_namespace() {
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    let store = ctx.store.clone().unwrap();
    assert_eq!(misdeed(&sim, ctx, "keyvalue").await.unwrap().fortnox_articles, 4);
    assert_eq!(store.namespace("shop").get("probe").unwrap().as_deref(), Some(&b"four"[..]));
    assert_eq!(store.namespace("other").get("probe").unwrap(), None);
}

/// An upstream that never answers is cut by the call's outer timeout, and the same
/// runtime then serves the next call normally.
#[tokio::test(flavor = "multi_thread")]
async fn a_hung_upstream_is_cut_and_the_runtime_goes_on() {
    let sim = Sim::start(SimConfig { articles: 3, ..SimConfig::default() }).await.unwrap();
    let ctx = context(&sim).await;
    let limits = Limits { sync_deadline: std::time::Duration::from_secs(2), ..Limits::default() };
    let runtime = Runtime::new(&Source::BuiltInConnector, None, limits).unwrap();
    let endpoints = Endpoints { fortnox: sim.fortnox_url.clone(), woocommerce: sim.woo_url.clone() };
    let s = settings();
    let call = |ctx: Arc<ConnectionContext>| {
        let (runtime, endpoints, s) = (&runtime, &endpoints, &s);
        async move {
            runtime
                .call_sync(ctx, async |c, store| Ok(c.woonox_connector_sync().call_check(store, endpoints, s).await?))
                .await
        }
    };
    sim.fortnox_faults.lock().unwrap().delay = std::time::Duration::from_secs(120);
    let started = std::time::Instant::now();
    let hung = call(ctx.clone()).await;
    assert!(hung.is_err(), "a hung upstream must not hang the call");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "cut after {:?}", started.elapsed());
    sim.fortnox_faults.lock().unwrap().delay = std::time::Duration::ZERO;
    let counts = call(ctx).await.unwrap().unwrap();
    assert_eq!(counts.fortnox_articles, 3);
}
