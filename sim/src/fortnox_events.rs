//! Fortnox's WebSocket topics (`wss://ws.fortnox.se/topics-v1`) as the stand-in serves them
//! at `/topics-v1`: `add-tenants-v1` (the client secret and each company's access token),
//! `add-topics-v1` (each topic, with an offset to replay from), `subscribe-v1`, then an
//! event per change the stand-in's API made, in order per topic. Sources: Fortnox's
//! WebSocket guide as the AsyncAPI description and the official clients quote it
//! (../shared/docs/fortnox-api.md §3.9); what they leave open is in ASSUMPTIONS.md.
//!
//! Delivery is at least once, as Fortnox says: a replay starts *at* the offset given, so
//! the event a client stored last comes again. Fault knobs: drop the connection after so
//! many events, send every event twice, pace the events, refuse the app (no WebSocket
//! permission).

use crate::fortnox::State;
use axum::extract::State as Axum;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The topics the stand-in has events for: what its API changes (Fortnox has more; any
/// other is refused).
pub const TOPICS: [&str; 4] = ["articles", "customers", "invoices", "orders"];

#[derive(Clone, Debug)]
pub struct Event {
    pub topic: &'static str,
    pub offset: u64,
    pub kind: &'static str,
    pub entity: String,
    pub at: String,
}

/// Every change, in order, and the knobs.
#[derive(Default)]
pub struct Log {
    pub events: Vec<Event>,
    /// Close the connection after this many more events are sent (once).
    pub drop_after: Option<usize>,
    /// Send every event twice.
    pub duplicate: bool,
    /// Wait this long before each event, so that a test can stop a client mid-stream.
    pub pace: Option<Duration>,
    /// The app lacks the WebSocket permission: `add-tenants-v1` is refused.
    pub denied: bool,
    /// Each command received, without its secrets: its name and, for topics, what was asked.
    pub commands: Vec<Value>,
    /// Connections accepted so far.
    pub connections: usize,
    wake: Arc<tokio::sync::Notify>,
}

impl Log {
    /// Records a change: the next offset of its topic.
    pub fn push(&mut self, topic: &'static str, kind: &'static str, entity: impl Into<String>) {
        let offset = self.next_offset(topic);
        let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        self.events.push(Event { topic, offset, kind, entity: entity.into(), at });
        self.wake.notify_waiters();
    }

    /// The events of `topic` from `offset` on.
    fn from(&self, topic: &str, offset: u64) -> impl Iterator<Item = &Event> {
        self.events.iter().filter(move |e| e.topic == topic && e.offset >= offset)
    }

    fn next_offset(&self, topic: &str) -> u64 {
        self.events.iter().filter(|e| e.topic == topic).count() as u64 + 1
    }
}

type Shared = Arc<Mutex<State>>;

pub async fn upgrade(Axum(state): Axum<Shared>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(state, socket))
}

/// What a connection has been told so far.
#[derive(Default)]
struct Session {
    tenants: Vec<u64>,
    /// Per topic, the next offset to send.
    topics: BTreeMap<&'static str, u64>,
    subscribed: bool,
}

async fn session(state: Shared, mut socket: WebSocket) {
    let wake = {
        let mut s = state.lock().unwrap();
        s.documents.events.connections += 1;
        s.documents.events.wake.clone()
    };
    let mut session = Session::default();
    loop {
        let woken = wake.notified();
        if session.subscribed && !send_new(&state, &mut session, &mut socket).await {
            return;
        }
        let timeout = tokio::time::sleep(Duration::from_millis(200));
        tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    let answer = command(&state, &mut session, text.as_str());
                    if socket.send(Message::Text(answer.to_string().into())).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = woken => {}
            _ = timeout => {}
        }
    }
}

/// Sends what is new on the subscribed topics; false when the connection is to end.
async fn send_new(state: &Shared, session: &mut Session, socket: &mut WebSocket) -> bool {
    let (batch, tenant, duplicate, pace) = {
        let s = state.lock().unwrap();
        let tenant = tenant_of(&s);
        let log = &s.documents.events;
        let batch: Vec<Event> = session
            .topics
            .iter()
            .flat_map(|(topic, next)| log.from(topic, *next).cloned().collect::<Vec<_>>())
            .collect();
        (batch, tenant, log.duplicate, log.pace)
    };
    if !session.tenants.contains(&tenant) {
        return true;
    }
    for event in batch {
        if let Some(pace) = pace {
            tokio::time::sleep(pace).await;
        }
        if take_drop(state) {
            let _ = socket.send(Message::Close(None)).await;
            return false;
        }
        let text = json!({
            "topic": event.topic, "offset": event.offset.to_string(), "type": event.kind,
            "tenantId": tenant, "entityId": event.entity, "timestamp": event.at,
        })
        .to_string();
        for _ in 0..if duplicate { 2 } else { 1 } {
            if socket.send(Message::Text(text.clone().into())).await.is_err() {
                return false;
            }
        }
        session.topics.insert(event.topic, event.offset + 1);
    }
    true
}

/// The stand-in's one company, as events and `tenantIds` name it.
fn tenant_of(s: &State) -> u64 {
    s.tenant_id.parse().unwrap_or_default()
}

/// Counts one event against the drop knob; true when the connection must drop now.
fn take_drop(state: &Shared) -> bool {
    let mut s = state.lock().unwrap();
    let knob = &mut s.documents.events.drop_after;
    match knob {
        Some(0) => {
            *knob = None;
            true
        }
        Some(n) => {
            *n -= 1;
            false
        }
        None => false,
    }
}

fn command(state: &Shared, session: &mut Session, text: &str) -> Value {
    let Ok(asked) = serde_json::from_str::<Value>(text) else {
        return json!({ "type": "command-response", "result": "error", "error": "the command is not JSON" });
    };
    let name = asked["command"].as_str().unwrap_or_default().to_owned();
    let mut s = state.lock().unwrap();
    s.documents.events.commands.push(json!({ "command": name, "topics": asked["topics"] }));
    let answer = match name.as_str() {
        "add-tenants-v1" => add_tenants(&s, session, &asked),
        "add-topics-v1" if session.tenants.is_empty() => Err("add tenants first".to_owned()),
        "add-topics-v1" => add_topics(&s.documents.events, session, &asked),
        "subscribe-v1" if session.topics.is_empty() => Err("add topics first".to_owned()),
        "subscribe-v1" => {
            session.subscribed = true;
            Ok(json!({}))
        }
        _ => Err(format!("unknown command {name:?}")),
    };
    let mut answer = match answer {
        Ok(Value::Object(extra)) => extra,
        Ok(_) => serde_json::Map::new(),
        Err(why) => serde_json::Map::from_iter([("error".to_owned(), json!(why))]),
    };
    let result = if answer.contains_key("error") { "error" } else { "ok" };
    answer.insert("result".into(), json!(result));
    answer.insert("type".into(), json!("command-response"));
    answer.insert("response".into(), json!(name));
    Value::Object(answer)
}

fn add_tenants(s: &State, session: &mut Session, asked: &Value) -> Result<Value, String> {
    if asked["clientSecret"] != crate::FORTNOX_CLIENT_SECRET {
        return Err("invalid client secret".into());
    }
    if s.documents.events.denied {
        return Err("the integration has no permission to use WebSockets".into());
    }
    let tokens: Vec<&str> = asked["accessTokens"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let tenant = tenant_of(s);
    let (mut ids, mut invalid) = (serde_json::Map::new(), Vec::new());
    for token in tokens {
        if s.access_token_valid(token.strip_prefix("Bearer ").unwrap_or(token)) {
            ids.insert(token.to_owned(), json!(tenant));
            if !session.tenants.contains(&tenant) {
                session.tenants.push(tenant);
            }
        } else {
            invalid.push(json!(token));
        }
    }
    match ids.is_empty() {
        true => Err(format!("no valid access token ({} invalid)", invalid.len())),
        false => Ok(json!({ "tenantIds": ids, "invalidTokens": invalid })),
    }
}

/// Each topic from its offset (replayed from there, inclusive), or from now.
fn add_topics(log: &Log, session: &mut Session, asked: &Value) -> Result<Value, String> {
    let mut invalid = Vec::new();
    for wanted in asked["topics"].as_array().ok_or("topics must be a list")? {
        let name = wanted["topic"].as_str().unwrap_or_default();
        let Some(topic) = TOPICS.iter().find(|t| **t == name) else {
            invalid.push(json!(name));
            continue;
        };
        let from = match &wanted["offset"] {
            Value::Null => log.next_offset(topic),
            Value::String(offset) => offset.parse().map_err(|_| format!("offset {offset:?} of {name} is not one"))?,
            other => return Err(format!("the offset of {name} must be a string, not {other}")),
        };
        session.topics.insert(topic, from);
    }
    match invalid.is_empty() {
        true => Ok(json!({ "invalidTopics": [] })),
        false => Err(format!("unknown topics: {}", Value::Array(invalid))),
    }
}
