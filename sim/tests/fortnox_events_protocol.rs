//! The stand-in's WebSocket topics answer as Fortnox documents them: commands in their
//! order (tenants, topics, subscribe), the client secret and each access token checked,
//! unknown topics refused, events in the documented shape, and a replay from an offset
//! starting at that offset (at least once).

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use woonox_sim::{FORTNOX_CLIENT_ID, FORTNOX_CLIENT_SECRET, Sim, SimConfig};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(sim: &Sim) -> Ws {
    let url = format!("{}/topics-v1", sim.fortnox_url.replacen("http://", "ws://", 1));
    tokio_tungstenite::connect_async(url).await.expect("the socket opens").0
}

async fn next(ws: &mut Ws) -> Value {
    let wait = std::time::Duration::from_secs(5);
    loop {
        let message = tokio::time::timeout(wait, ws.next()).await.expect("an answer in time").unwrap().unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

async fn ask(ws: &mut Ws, command: Value) -> Value {
    ws.send(Message::Text(command.to_string().into())).await.unwrap();
    next(ws).await
}

/// A live access token, through the authorization-code grant as a client gets one.
async fn access_token(sim: &Sim) -> String {
    let code = sim.fortnox.lock().unwrap().issue_code("http://127.0.0.1:9/callback");
    let url = format!("{}/oauth-v1/token", sim.fortnox_url);
    tokio::task::spawn_blocking(move || {
        use base64::Engine as _;
        let basic =
            base64::engine::general_purpose::STANDARD.encode(format!("{FORTNOX_CLIENT_ID}:{FORTNOX_CLIENT_SECRET}"));
        let form =
            [("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", "http://127.0.0.1:9/callback")];
        let mut answer = ureq::post(&url).header("Authorization", &format!("Basic {basic}")).send_form(form).unwrap();
        let tokens: Value = serde_json::from_str(&answer.body_mut().read_to_string().unwrap()).unwrap();
        tokens["access_token"].as_str().unwrap().to_owned()
    })
    .await
    .unwrap()
}

fn add_tenants(secret: &str, tokens: &[String]) -> Value {
    json!({ "command": "add-tenants-v1", "clientSecret": secret, "accessTokens": tokens })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_checked_and_taken_in_their_order() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let token = format!("Bearer {}", access_token(&sim).await);
    let mut ws = open(&sim).await;
    let early = ask(&mut ws, json!({ "command": "add-topics-v1", "topics": [{ "topic": "articles" }] })).await;
    assert_eq!((early["response"].as_str(), early["result"].as_str()), (Some("add-topics-v1"), Some("error")));
    let wrong = ask(&mut ws, add_tenants("not-the-secret", std::slice::from_ref(&token))).await;
    assert_eq!(wrong["result"], "error", "a wrong client secret is refused: {wrong}");
    let stale = "Bearer no-such-token".to_owned();
    let added = ask(&mut ws, add_tenants(FORTNOX_CLIENT_SECRET, &[token.clone(), stale.clone()])).await;
    assert_eq!(added["result"], "ok", "{added}");
    assert_eq!(added["tenantIds"][&token], 1234567, "each valid token names its tenant: {added}");
    assert_eq!(added["invalidTokens"], json!([stale]));
    let unknown = ask(&mut ws, json!({ "command": "add-topics-v1", "topics": [{ "topic": "nonsense" }] })).await;
    assert_eq!(unknown["result"], "error", "{unknown}");
    let early = ask(&mut ws, json!({ "command": "subscribe-v1" })).await;
    assert_eq!(early["result"], "error", "no subscription before a topic: {early}");
    let topics = ask(&mut ws, json!({ "command": "add-topics-v1", "topics": [{ "topic": "articles" }] })).await;
    assert_eq!(topics["result"], "ok", "{topics}");
    assert_eq!(ask(&mut ws, json!({ "command": "subscribe-v1" })).await["result"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_come_in_the_documented_shape_and_replay_from_an_offset() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let token = format!("Bearer {}", access_token(&sim).await);
    let skus: Vec<String> = sim.fortnox.lock().unwrap().articles.keys().take(3).cloned().collect();
    let subscribe = async |offset: Option<&str>| {
        let mut ws = open(&sim).await;
        assert_eq!(
            ask(&mut ws, add_tenants(FORTNOX_CLIENT_SECRET, std::slice::from_ref(&token))).await["result"],
            "ok"
        );
        let topic = match offset {
            Some(offset) => json!({ "topic": "articles", "offset": offset }),
            None => json!({ "topic": "articles" }),
        };
        assert_eq!(ask(&mut ws, json!({ "command": "add-topics-v1", "topics": [topic] })).await["result"], "ok");
        assert_eq!(ask(&mut ws, json!({ "command": "subscribe-v1" })).await["result"], "ok");
        ws
    };
    let mut ws = subscribe(None).await;
    for (i, sku) in skus.iter().enumerate() {
        assert!(sim.fortnox.lock().unwrap().set_stock(sku, 40.0 + i as f64));
    }
    let mut seen = Vec::new();
    for sku in &skus {
        let event = next(&mut ws).await;
        for field in ["topic", "offset", "type", "tenantId", "entityId", "timestamp"] {
            assert!(!event[field].is_null(), "{field} in {event}");
        }
        assert_eq!((event["topic"].as_str(), event["type"].as_str()), (Some("articles"), Some("article-updated-v1")));
        assert_eq!(event["entityId"], sku.as_str());
        assert!(event["offset"].is_string(), "offsets are strings: {event}");
        seen.push(event["offset"].as_str().unwrap().to_owned());
    }
    // From the second event's offset: the second and the third again, nothing before.
    let mut again = subscribe(Some(&seen[1])).await;
    assert_eq!(next(&mut again).await["offset"], seen[1].as_str());
    assert_eq!(next(&mut again).await["offset"], seen[2].as_str());
}
