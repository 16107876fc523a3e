//! The WooCommerce stand-in proven against the real store (issue 12, point 9): every
//! exchange recorded from a real WooCommerce 10.0.2 store, 01 to 98, replayed in order
//! against the stand-in set up in the same state, each request signed afresh with the
//! stand-in's keys (the auth exchanges reproduce the same kind of fault). The recording is
//! the oracle: same status, same error code, same keys, same values where they matter,
//! same paging headers. What the stand-in cannot reproduce is listed below, with why.

mod replay;

use replay::compare::Check;
use replay::{Answer, Client, Clock, Exchange, Ids, Kind, Signing, learn_ids, setup};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::mpsc;
use woonox_sim::{Sim, SimConfig, woo};

/// How an exchange falls short of a full replay.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Gap {
    /// Not replayed at all.
    Skipped,
    /// Its HTTPS authentication (Basic, query-string keys, an https OAuth base URL) is not
    /// reproduced; its answer does not depend on how the request was authenticated, so it
    /// is replayed over HTTP with OAuth and the answer (status, paging, body) is checked.
    HttpsAuth,
}

/// The exchanges the stand-in does not reproduce in full, and why. Keep it short: make the
/// stand-in behave like the real store instead.
const EXCEPTIONS: &[(u32, Gap, &str)] = &[
    (5, Gap::Skipped, "probe only, not a client pattern: a rest_route URL carrying `wp-json/wc/` in another parameter"),
    (70, Gap::HttpsAuth, "Basic auth over HTTPS: needs the HTTPS stand-in (branch tls-webhooks)"),
    (71, Gap::HttpsAuth, "Basic auth over HTTPS: needs the HTTPS stand-in (branch tls-webhooks)"),
    (72, Gap::Skipped, "Basic auth with a wrong secret over HTTPS: needs the HTTPS stand-in (branch tls-webhooks)"),
    (73, Gap::Skipped, "Basic auth with an unknown key over HTTPS: needs the HTTPS stand-in (branch tls-webhooks)"),
    (74, Gap::HttpsAuth, "query-string keys over HTTPS: needs the HTTPS stand-in (branch tls-webhooks)"),
    (75, Gap::HttpsAuth, "OAuth with an https base URL: needs the HTTPS stand-in (branch tls-webhooks)"),
    (
        76,
        Gap::Skipped,
        "OAuth over HTTPS signed with an http:// base URL: needs the HTTPS stand-in (branch tls-webhooks)",
    ),
    (77, Gap::Skipped, "over HTTPS (needs the HTTPS stand-in, branch tls-webhooks), and the recorder trimmed the body"),
];

fn gap(n: u32) -> Option<Gap> {
    EXCEPTIONS.iter().find(|e| e.0 == n).map(|e| e.1)
}

#[test]
fn every_exception_says_why() {
    for (n, _, why) in EXCEPTIONS {
        assert!(why.len() > 20, "exchange {n} needs a reason");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_recorded_exchange_replays_against_the_stand_in() {
    let sim = Sim::start(SimConfig::default()).await.expect("the stand-in starts");
    *sim.woo.lock().unwrap() = woo::State::blank();
    let (url, state) = (sim.woo_url.clone(), sim.woo.clone());
    let failures = tokio::task::spawn_blocking(move || Replay::new(&url, state).run()).await.expect("replay ran");
    // A skipped exchange counts as differing; one whose HTTPS part is substituted must
    // agree in everything else.
    let mut report = String::new();
    for (n, problems) in &failures {
        if gap(*n) != Some(Gap::Skipped) {
            report.push_str(&format!("\n{n:02}: {}", problems.join(&format!("\n    {n:02} "))));
        }
    }
    assert!(report.is_empty(), "exchanges differing from the real store:{report}");
    drop(sim);
}

struct Replay {
    client: Client,
    state: std::sync::Arc<std::sync::Mutex<woo::State>>,
    ids: Ids,
    clock: Clock,
    hooks: Hooks,
    /// Our answers by exchange, for the ones that follow up on an earlier one (32).
    answers: BTreeMap<u32, Answer>,
    /// The signing of 08, used again by 09.
    nonce_08: Option<Signing>,
}

impl Replay {
    fn new(url: &str, state: std::sync::Arc<std::sync::Mutex<woo::State>>) -> Replay {
        Replay {
            client: Client::new(url),
            state,
            ids: Ids::default(),
            clock: Clock::default(),
            hooks: Hooks::start(),
            answers: BTreeMap::new(),
            nonce_08: None,
        }
    }

    fn run(mut self) -> BTreeMap<u32, Vec<String>> {
        let mut failures = BTreeMap::new();
        for ex in replay::load_all() {
            if ex.n == 78 {
                // The second store (see setup::second_store).
                *self.state.lock().unwrap() = woo::State::blank();
                self.ids.forget_all();
                setup::second_store(&self.client, &mut self.ids);
            }
            if ex.n == 80 {
                setup::prices_include_tax(&self.client, false);
            }
            self.clock.before(ex.date());
            let problems = self.exchange(&ex);
            self.clock.after();
            if ex.n == 80 {
                setup::prices_include_tax(&self.client, true);
            }
            if !problems.is_empty() {
                failures.insert(ex.n, problems);
            }
        }
        failures
    }

    /// Replays one exchange and answers what differs from the recording.
    fn exchange(&mut self, ex: &Exchange) -> Vec<String> {
        match ex.n {
            n if gap(n) == Some(Gap::Skipped) => return vec!["not replayed".into()],
            68 => return self.hooks.check_ping(ex, &self.ids),
            69 => return self.hooks.check_delivery(ex, &self.ids),
            _ => {}
        }
        let answer = match ex.n {
            32 => self.follow_link_verbatim(),
            _ => self.send(ex),
        };
        let path = ex.request()["path"].as_str().unwrap_or("").to_owned();
        if answer.status == 201 || path.ends_with("/batch") {
            learn_ids(&mut self.ids, &path, &ex.response()["body"], &answer.body);
        }
        let kind = if path.contains("/notes") {
            None
        } else if path.contains("/customers") {
            Some(Kind::User)
        } else if path.contains("/webhooks") {
            Some(Kind::Hook)
        } else if path.contains("/settings") || path.contains("/taxes") {
            None
        } else {
            Some(Kind::Post)
        };
        let mut check = Check { ids: &self.ids, kind, out: Vec::new() };
        check.status(ex.response(), &answer);
        check.paging(ex.response(), &answer);
        check.body(&ex.response()["body"], &answer.body);
        let out = check.out;
        self.answers.insert(ex.n, answer);
        out
    }

    /// The request as recorded, with the stand-in's ids, moments and signature.
    fn send(&mut self, ex: &Exchange) -> Answer {
        let req = ex.request();
        let method = req["method"].as_str().unwrap_or("GET");
        let recorded_path = req["path"].as_str().map(str::to_owned).unwrap_or_else(|| path_of(req));
        let path = self.ids.path(&recorded_path);
        let query = self.query(req);
        let body = req["body"].as_object().map(|_| self.body(ex.n, &path, &req["body"]));
        let signing = self.signing(ex);
        let mut headers = Vec::new();
        if ex.n == 14 {
            use base64::Engine as _;
            let pair = format!("{}:{}", woonox_sim::WOO_CONSUMER_KEY, woonox_sim::WOO_CONSUMER_SECRET);
            headers
                .push(("Authorization", format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))));
        }
        self.client.signed(method, &path, &query, body.as_ref(), signing.as_ref(), &headers)
    }

    fn body(&self, n: u32, path: &str, body: &Value) -> Value {
        let mut body = self.ids.body(path, body);
        if n == 64 {
            body["delivery_url"] = json!(self.hooks.url.clone());
        }
        body
    }

    /// The recorded query without its `oauth_*`, `modified_after` moved to the replay's time.
    fn query(&self, req: &Value) -> Vec<(String, String)> {
        let mut query: Vec<(String, String)> = req["query"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| !k.starts_with("oauth_") && !k.starts_with("consumer_"))
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect();
        if query.is_empty()
            && let Some(q) = req["url"].as_str().and_then(|u| u.split_once('?')).map(|(_, q)| q)
        {
            query =
                form_urlencoded::parse(q.as_bytes()).into_owned().filter(|(k, _)| !k.starts_with("oauth_")).collect();
        }
        for (k, v) in query.iter_mut() {
            if k == "modified_after"
                && let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S")
            {
                *v = self.clock.moment(t.and_utc()).format("%Y-%m-%dT%H:%M:%S").to_string();
            }
        }
        query
    }

    /// A fresh signature in the recorded style, or the recorded exchange's fault.
    fn signing(&mut self, ex: &Exchange) -> Option<Signing> {
        let req = ex.request();
        let auth_header = req["headers"]["Authorization"].as_str().unwrap_or("");
        let in_header = auth_header.starts_with("OAuth");
        let sig_method = if req["url"].as_str().unwrap_or("").contains("HMAC-SHA1") || auth_header.contains("HMAC-SHA1")
        {
            "HMAC-SHA1"
        } else {
            "HMAC-SHA256"
        };
        let mut s = Signing::fresh(sig_method, in_header);
        match ex.n {
            6 => s.tamper = true,
            7 => s.secret = "cs_wrong".into(),
            8 => {
                s.nonce = format!("fixednonce{}", s.timestamp);
                self.nonce_08 = Some(s.clone());
            }
            9 => return self.nonce_08.clone(),
            10 => s.timestamp -= 16 * 60,
            11 => s.timestamp += 16 * 60,
            12 => s.key = "ck_0000000000000000000000000000000000000000".into(),
            13 => s.omit = Some("oauth_nonce"),
            14 => return None,
            n if gap(n) == Some(Gap::HttpsAuth) => return Some(Signing::fresh("HMAC-SHA256", false)),
            _ => {}
        }
        Some(s)
    }

    /// Exchange 32: the `rel="next"` URL of our answer to 31, requested as it stands.
    fn follow_link_verbatim(&self) -> Answer {
        let link = self.answers.get(&31).and_then(|a| a.header("Link")).unwrap_or("").to_owned();
        let next = link
            .split(',')
            .find(|part| part.contains(r#"rel="next""#))
            .and_then(|part| part.split('<').nth(1)?.split('>').next())
            .unwrap_or("")
            .to_owned();
        assert!(!next.is_empty(), "31 must give a next link");
        self.client.raw("GET", &next, None, &[])
    }
}

/// The path of a request recorded with only a URL (14, 32).
fn path_of(req: &Value) -> String {
    let url = req["url"].as_str().unwrap_or("");
    let after_host = url.splitn(4, '/').nth(3).unwrap_or("");
    format!("/{}", after_host.split('?').next().unwrap_or(""))
}

/// A local receiver for webhook deliveries: every request it gets, raw.
struct Hooks {
    url: String,
    received: mpsc::Receiver<String>,
    got: Vec<String>,
}

impl Hooks {
    fn start() -> Hooks {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(request) = read_request(stream) {
                    let _ = tx.send(request);
                }
            }
        });
        Hooks { url, received: rx, got: Vec::new() }
    }

    /// Requests received so far, waiting a little for `want` of them.
    fn wait_for(&mut self, want: usize) -> &[String] {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while self.got.len() < want && std::time::Instant::now() < deadline {
            if let Ok(r) = self.received.recv_timeout(std::time::Duration::from_millis(100)) {
                self.got.push(r);
            }
        }
        &self.got
    }

    /// 68: the ping on creating the webhook of 64: form body `webhook_id=N`, unsigned.
    fn check_ping(&mut self, ex: &Exchange, ids: &Ids) -> Vec<String> {
        let Some(ping) = self.wait_for(1).first().cloned() else { return vec!["no ping received".into()] };
        let recorded_id: u64 =
            ex.request()["body_raw"].as_str().and_then(|b| b.strip_prefix("webhook_id=")?.parse().ok()).unwrap_or(0);
        let mut out = Vec::new();
        let (head, body) = ping.split_once("\r\n\r\n").unwrap_or((&ping, ""));
        if body != format!("webhook_id={}", ids.get(Kind::Hook, recorded_id)) {
            out.push(format!("ping body {body:?} (real {:?})", ex.request()["body_raw"]));
        }
        if head.to_ascii_lowercase().contains("x-wc-webhook-signature") {
            out.push("the ping is signed (the real one is not)".into());
        }
        if !head.to_ascii_lowercase().contains("content-type: application/x-www-form-urlencoded") {
            out.push(format!("ping is not form-encoded: {head}"));
        }
        out
    }

    /// 69: the order.created delivery for the order of 67: headers, and a body signed as
    /// base64 HMAC-SHA256 of the raw bytes with the webhook's secret.
    fn check_delivery(&mut self, ex: &Exchange, ids: &Ids) -> Vec<String> {
        let Some(delivery) = self.wait_for(2).get(1).cloned() else {
            return vec!["no order.created delivery received".into()];
        };
        let (head, body) = delivery.split_once("\r\n\r\n").unwrap_or((&delivery, ""));
        let header = |name: &str| {
            head.lines()
                .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
        };
        let mut out = Vec::new();
        let recorded = &ex.request()["headers"];
        for name in ["X-WC-Webhook-Topic", "X-WC-Webhook-Resource", "X-WC-Webhook-Event"] {
            if header(name) != recorded[name].as_str() {
                out.push(format!("{name} {:?} (real {})", header(name), recorded[name]));
            }
        }
        let secret = ex.raw["webhook_secret"].as_str().unwrap_or("");
        if header("X-WC-Webhook-Signature") != Some(woonox_sim::webhooks::signature(secret, body.as_bytes()).as_str()) {
            out.push("signature is not base64 HMAC-SHA256 of the raw body".into());
        }
        // The delivered order itself: the same keys and values as the store's.
        let real: Value = serde_json::from_str(ex.request()["body_raw"].as_str().unwrap_or("{}")).unwrap_or_default();
        let ours: Value = serde_json::from_str(body).unwrap_or_default();
        let mut check = Check { ids, kind: Some(Kind::Post), out };
        check.body(&real, &ours);
        check.out
    }
}

/// One HTTP request read off a connection (head and a `Content-Length` body), answered 200.
fn read_request(mut stream: std::net::TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().ok()))
                .flatten()
                .unwrap_or(0);
            if body.len() >= length {
                break;
            }
        }
    }
    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    Some(String::from_utf8_lossy(&got).into_owned())
}
