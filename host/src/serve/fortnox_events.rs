//! Fortnox's push events for `woonox serve`: one WebSocket (`wss://ws.fortnox.se/topics-v1`)
//! per Fortnox app carries every company served. It adds each company's access token
//! (`add-tenants-v1`), asks for the `articles` and `invoices` topics from the offsets
//! stored last (`add-topics-v1`), and subscribes. Each event becomes a job of its
//! company's connection, queued in the same transaction that moves the topic's offset
//! (state/event_offsets.rs): a drop or a crash resumes from the last event taken, and
//! Fortnox's at-least-once replays queue nothing twice. A dropped socket is opened again
//! with backoff; while it is down the polls run at their full pace.

use super::worker::Worker;
use crate::state::event_offsets::{EventJob, Taken};
use crate::state::store::Store;
use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

/// Fortnox's documented address.
pub const DEFAULT_URL: &str = "wss://ws.fortnox.se/topics-v1";

/// The topics woonox acts on.
const TOPICS: [&str; 2] = ["articles", "invoices"];

/// How long a command's answer may take before the socket is given up as stuck.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);

/// A quiet socket is pinged after this long, and given up when the ping has no answer in
/// as long again: a connection that died without a close must not leave the polls slowed.
const QUIET: Duration = Duration::from_secs(30);

/// Connections sharing one Fortnox app, and so one socket.
pub struct Socket {
    pub url: String,
    pub client_id: String,
    pub client_secret: String,
    pub members: Vec<Arc<Worker>>,
}

/// Groups the workers by their Fortnox app: one socket each.
pub fn sockets(url: &str, workers: &BTreeMap<String, Arc<Worker>>) -> Result<Vec<Socket>> {
    let http_like = url.replacen("wss://", "https://", 1).replacen("ws://", "http://", 1);
    if !url.starts_with("ws://") && !url.starts_with("wss://") {
        bail!("fortnox-events must be a wss:// address, such as {DEFAULT_URL}: got {url}");
    }
    crate::wire::destination::require_https_beyond_loopback("fortnox-events", &http_like)
        .map_err(|e| anyhow!(e.replace("https://", "wss://").replace("plain http", "plain ws")))?;
    let mut by_app: BTreeMap<String, Socket> = BTreeMap::new();
    for worker in workers.values() {
        let app = worker.fortnox_tokens().app();
        let socket = by_app.entry(app.client_id.clone()).or_insert_with(|| Socket {
            url: url.to_owned(),
            client_id: app.client_id.clone(),
            client_secret: app.client_secret.clone(),
            members: Vec::new(),
        });
        let _ = worker.events_url.set(url.to_owned());
        socket.members.push(worker.clone());
    }
    Ok(by_app.into_values().collect())
}

/// Holds the socket open until serve stops, opening it again after each drop.
pub async fn run(socket: Socket, store: Arc<Store>, mut shutdown: watch::Receiver<bool>) {
    let mut failures = 0u32;
    while !*shutdown.borrow() {
        let opened = Instant::now();
        let ended = tokio::select! {
            ended = session(&socket, &store) => ended,
            _ = shutdown.changed() => Ok(()),
        };
        live(&socket.members, false);
        match ended {
            Ok(()) => tracing::info!(app = %socket.client_id, "Fortnox's event socket closed; opening it again"),
            Err(e) => tracing::warn!(app = %socket.client_id, "Fortnox's event socket: {e:#}"),
        }
        // A socket that stayed up a minute was healthy: start the backoff over.
        failures = if opened.elapsed() > Duration::from_secs(60) { 0 } else { failures + 1 };
        tokio::select! {
            _ = tokio::time::sleep(backoff(failures)) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// 0.5 s doubling per failure to at most a minute, with up to a quarter of jitter.
fn backoff(failures: u32) -> Duration {
    let base = (500u64 << failures.min(7)).min(60_000);
    Duration::from_millis(base + rand::random_range(0..=base / 4))
}

fn live<'a>(workers: impl IntoIterator<Item = &'a Arc<Worker>>, on: bool) {
    for worker in workers {
        worker.events_live.store(on, Ordering::Relaxed);
    }
}

/// A socket's byte stream, plain (loopback only) or TLS.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// Opens the WebSocket at `url` (`wss://`, or `ws://` on this machine).
async fn open(url: &str) -> Result<Ws> {
    let uri: http::Uri = url.parse().context("the events address")?;
    let host = uri.host().context("the events address names no host")?.trim_matches(['[', ']']).to_owned();
    let tls = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.with_context(|| format!("{host}:{port}"))?;
    let io: Box<dyn Io> = match tls {
        false => Box::new(tcp),
        true => {
            let name = rustls::pki_types::ServerName::try_from(host.clone())?;
            Box::new(tokio_rustls::TlsConnector::from(crate::wire::tls::platform()).connect(name, tcp).await?)
        }
    };
    Ok(tokio_tungstenite::client_async(url, io).await?.0)
}

/// Whether Fortnox takes a company's events on `url`: the socket opens and
/// `add-tenants-v1` takes its token. Nothing is subscribed.
pub async fn probe(url: &str, client_secret: &str, access_token: &str) -> Result<()> {
    let mut ws = tokio::time::timeout(ANSWER_WITHIN, open(url)).await.context("no answer")??;
    let token = format!("Bearer {access_token}");
    let asked = json!({ "command": "add-tenants-v1", "clientSecret": client_secret, "accessTokens": [token] });
    let answer = command(&mut ws, asked).await?;
    let _ = ws.close(None).await;
    match answer["tenantIds"].as_object().is_some_and(|ids| ids.contains_key(&token)) {
        true => Ok(()),
        false => bail!("Fortnox did not take this company's login"),
    }
}

/// One socket from opening to its end: `Ok` when Fortnox closed it.
async fn session(socket: &Socket, store: &Store) -> Result<()> {
    let mut ws = open(&socket.url).await?;
    let tenants = add_tenants(socket, &mut ws).await?;
    let offsets = store.event_offsets(&socket.client_id)?;
    let topics: Vec<Value> = TOPICS
        .iter()
        .map(|t| match offsets.get(*t) {
            Some(offset) => json!({ "topic": t, "offset": offset }),
            None => json!({ "topic": t }),
        })
        .collect();
    command(&mut ws, json!({ "command": "add-topics-v1", "topics": topics })).await?;
    command(&mut ws, json!({ "command": "subscribe-v1" })).await?;
    // Said on every (re)subscription, as serve says where it listens: it is what an operator
    // looks for after a drop.
    let resumed: Vec<String> = offsets.iter().map(|(topic, offset)| format!("{topic} at {offset}")).collect();
    println!(
        "woonox serve: Fortnox's events flow from {} for {} company(ies) ({})",
        socket.url,
        tenants.len(),
        if resumed.is_empty() { "from now on".to_owned() } else { format!("resumed: {}", resumed.join(", ")) }
    );
    // Only the companies Fortnox took: a refused login leaves its connection's polls as they are.
    live(tenants.values(), true);
    let mut pinged = false;
    loop {
        let message = match tokio::time::timeout(QUIET, ws.next()).await {
            Err(_) if pinged => bail!("no answer to a ping within {QUIET:?}"),
            Err(_) => {
                ws.send(Message::Ping(Default::default())).await?;
                pinged = true;
                continue;
            }
            Ok(None) => return Ok(()),
            Ok(Some(message)) => message?,
        };
        pinged = false;
        match message {
            Message::Text(text) => take(socket, store, &tenants, text.as_str())?,
            Message::Close(_) => return Ok(()),
            // tungstenite answers a ping itself.
            _ => {}
        }
    }
}

/// Adds every member's company; answers which connection each tenant id is.
async fn add_tenants(socket: &Socket, ws: &mut Ws) -> Result<BTreeMap<u64, Arc<Worker>>> {
    let mut by_token = BTreeMap::new();
    for worker in &socket.members {
        match worker.fortnox_tokens().access_token().await {
            Ok(token) => drop(by_token.insert(format!("Bearer {token}"), worker.clone())),
            Err(e) => tracing::warn!(connection = %worker.name, "no events for this connection: {e}"),
        }
    }
    if by_token.is_empty() {
        bail!("no connection has a Fortnox login to add");
    }
    let tokens: Vec<&String> = by_token.keys().collect();
    let asked = json!({ "command": "add-tenants-v1", "clientSecret": socket.client_secret, "accessTokens": tokens });
    let answer = command(ws, asked).await?;
    for invalid in answer["invalidTokens"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if let Some(worker) = by_token.get(invalid) {
            tracing::warn!(connection = %worker.name, "Fortnox refused this connection's login for events");
        }
    }
    let ids = answer["tenantIds"].as_object().cloned().unwrap_or_default();
    Ok(ids.iter().filter_map(|(token, id)| Some((id.as_u64()?, by_token.get(token)?.clone()))).collect())
}

/// Sends a command and waits for its answer; an error answer ends the socket.
async fn command(ws: &mut Ws, asked: Value) -> Result<Value> {
    let name = asked["command"].as_str().unwrap_or_default().to_owned();
    ws.send(Message::Text(asked.to_string().into())).await?;
    let answer = tokio::time::timeout(ANSWER_WITHIN, async {
        while let Some(message) = ws.next().await {
            if let Message::Text(text) = message? {
                let answer: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                if answer["response"] == name.as_str() {
                    return Ok(answer);
                }
            }
        }
        bail!("Fortnox closed the socket before answering {name}")
    })
    .await
    .with_context(|| format!("Fortnox did not answer {name} within {ANSWER_WITHIN:?}"))??;
    if answer["result"] != "ok" {
        // The answer names no secret: tokens come back only as keys of `tenantIds`.
        let why = answer["error"].as_str().or(answer["message"].as_str()).unwrap_or("no reason given");
        bail!("Fortnox refused {name}: {why}");
    }
    Ok(answer)
}

/// Takes one event: its job (if woonox acts on it) queued and the offset moved together.
fn take(socket: &Socket, store: &Store, tenants: &BTreeMap<u64, Arc<Worker>>, text: &str) -> Result<()> {
    let event: Value = serde_json::from_str(text).with_context(|| "an event that is not JSON")?;
    let (Some(topic), Some(offset)) = (event["topic"].as_str(), text_of(&event["offset"])) else {
        tracing::warn!("an event without topic or offset, passed over: {}", event["type"]);
        return Ok(());
    };
    let worker = event["tenantId"].as_u64().and_then(|id| tenants.get(&id));
    let job = worker.and_then(|w| {
        let (job_topic, body) = job_for(&event)?;
        Some(EventJob { connection: &w.name, topic: job_topic, body })
    });
    let queued = store.take_event(&Taken { socket: &socket.client_id, topic, offset: &offset, job })?;
    if let Some(worker) = worker {
        worker.last_event_at.store(crate::state::queue::now(), Ordering::Relaxed);
        if queued {
            worker.wake.notify_one();
        }
    }
    Ok(())
}

/// An offset or an entity id: a string in Fortnox's examples; a number is taken as written.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The job an event asks for, if any: an article's product, price and stock; an invoice
/// or a payment's invoice. A deleted article deletes nothing in the store.
pub fn job_for(event: &Value) -> Option<(&'static str, String)> {
    let entity = text_of(&event["entityId"])?;
    let kind = event["type"].as_str().unwrap_or_default();
    match event["topic"].as_str()? {
        "articles" if kind.starts_with("article-created") || kind.starts_with("article-updated") => {
            Some(("article.updated", json!({ "sku": entity }).to_string()))
        }
        "invoices" if kind.starts_with("invoicepayment-") => {
            Some(("invoicepayment.updated", json!({ "payment": entity }).to_string()))
        }
        "invoices" if kind.starts_with("invoice-") => {
            Some(("invoice.updated", json!({ "invoice": entity }).to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_event_woonox_acts_on_becomes_its_job_and_the_rest_none() {
        let event = |topic: &str, kind: &str| json!({ "topic": topic, "type": kind, "entityId": "42", "offset": "7" });
        let article = job_for(&event("articles", "article-updated-v1")).unwrap();
        assert_eq!(article, ("article.updated", r#"{"sku":"42"}"#.to_owned()));
        assert_eq!(job_for(&event("articles", "article-created-v1")).unwrap().0, "article.updated");
        assert_eq!(job_for(&event("articles", "article-deleted-v1")), None);
        assert_eq!(job_for(&event("invoices", "invoice-bookkeep-v1")).unwrap().0, "invoice.updated");
        let payment = job_for(&event("invoices", "invoicepayment-bookkeep-v1")).unwrap();
        assert_eq!(payment, ("invoicepayment.updated", r#"{"payment":"42"}"#.to_owned()));
        assert_eq!(job_for(&event("vouchers", "voucher-created-v1")), None);
        assert_eq!(job_for(&json!({ "topic": "articles", "type": "article-updated-v1" })), None, "no entity");
    }

    #[test]
    fn backoff_grows_to_a_minute_and_no_further() {
        assert!(backoff(0) < Duration::from_secs(1));
        assert!(backoff(3) >= Duration::from_secs(4));
        assert!(backoff(30) <= Duration::from_millis(75_000));
    }
}
