//! Replaying the real store's recorded exchanges against the stand-in: the recordings, a
//! client that signs each request afresh with the stand-in's keys, the map from the real
//! store's ids to the stand-in's, and the clock that keeps `modified_after` meaning the
//! same moment.

pub mod compare;
pub mod setup;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;
use std::collections::HashMap;

pub const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/specs/woocommerce/real-10.0.2/transcripts");

pub struct Exchange {
    pub n: u32,
    pub raw: Value,
}

impl Exchange {
    pub fn request(&self) -> &Value {
        &self.raw["request"]
    }

    pub fn response(&self) -> &Value {
        &self.raw["response"]
    }

    /// When the real store answered (its `Date` header), to the second.
    pub fn date(&self) -> Option<DateTime<Utc>> {
        let date = self.response()["headers"]["Date"].as_str()?;
        DateTime::parse_from_rfc2822(date).ok().map(|d| d.with_timezone(&Utc))
    }
}

pub fn load_all() -> Vec<Exchange> {
    let mut names: Vec<String> = std::fs::read_dir(DIR)
        .unwrap_or_else(|e| panic!("{DIR}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(format!("{DIR}/{name}")).expect("readable recording");
            Exchange { n: name[..2].parse().expect("numbered"), raw: serde_json::from_str(&text).expect("JSON") }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Signing and sending.

const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, ENCODE).to_string()
}

/// OAuth 1.0a one-legged: the signature over method, base URL and the sorted parameters,
/// keyed with `secret&` (RFC 5849, as WooCommerce checks it).
pub fn signature(method: &str, sig_method: &str, base_url: &str, params: &[(String, String)], secret: &str) -> String {
    let mut sorted: Vec<(String, String)> = params.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    sorted.sort();
    let joined: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = format!("{method}&{}&{}", enc(base_url), enc(&joined.join("&")));
    let key = format!("{secret}&");
    let digest = if sig_method == "HMAC-SHA1" {
        Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap().chain_update(&base).finalize().into_bytes().to_vec()
    } else {
        Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
            .unwrap()
            .chain_update(&base)
            .finalize()
            .into_bytes()
            .to_vec()
    };
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// How a replayed request is signed; each field a fault an auth exchange reproduces.
#[derive(Clone)]
pub struct Signing {
    pub key: String,
    pub secret: String,
    pub sig_method: String,
    pub in_header: bool,
    pub timestamp: i64,
    pub nonce: String,
    pub omit: Option<&'static str>,
    pub tamper: bool,
}

impl Signing {
    pub fn fresh(sig_method: &str, in_header: bool) -> Signing {
        Signing {
            key: woonox_sim::WOO_CONSUMER_KEY.into(),
            secret: woonox_sim::WOO_CONSUMER_SECRET.into(),
            sig_method: sig_method.into(),
            in_header,
            timestamp: Utc::now().timestamp(),
            nonce: format!("{:032x}", rand_u128()),
            omit: None,
            tamper: false,
        }
    }
}

fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed) as u128;
    (Utc::now().timestamp_nanos_opt().unwrap_or(0) as u128) << 16 | n
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub struct Client {
    pub base: String,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).build().into();
        Client { base: base.into(), agent }
    }

    /// Sends `method path?query` signed as `signing` says (none: anonymous).
    pub fn signed(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        signing: Option<&Signing>,
        extra_headers: &[(&str, String)],
    ) -> Answer {
        let mut query = query.to_vec();
        let mut headers: Vec<(&str, String)> = extra_headers.to_vec();
        if let Some(s) = signing {
            let mut oauth = vec![
                ("oauth_consumer_key".to_owned(), s.key.clone()),
                ("oauth_nonce".to_owned(), s.nonce.clone()),
                ("oauth_signature_method".to_owned(), s.sig_method.clone()),
                ("oauth_timestamp".to_owned(), s.timestamp.to_string()),
            ];
            oauth.retain(|(k, _)| Some(k.as_str()) != s.omit);
            let all: Vec<(String, String)> = query.iter().chain(oauth.iter()).cloned().collect();
            let mut sig = signature(method, &s.sig_method, &format!("{}{path}", self.base), &all, &s.secret);
            if s.tamper {
                // Always a different first character: replacing it with a fixed one
                // left one signature in 64 unchanged, and the exchange then passed.
                let first = if sig.starts_with('A') { 'B' } else { 'A' };
                sig = format!("{first}{}", &sig[1..]);
            }
            oauth.push(("oauth_signature".to_owned(), sig));
            if s.in_header {
                let parts: Vec<String> = oauth.iter().map(|(k, v)| format!("{k}=\"{}\"", enc(v))).collect();
                headers.push(("Authorization", format!("OAuth {}", parts.join(", "))));
            } else {
                query.extend(oauth);
            }
        }
        let qs: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        let url = if qs.is_empty() {
            format!("{}{path}", self.base)
        } else {
            format!("{}{path}?{}", self.base, qs.join("&"))
        };
        self.raw(method, &url, body, &headers)
    }

    pub fn raw(&self, method: &str, url: &str, body: Option<&Value>, headers: &[(&str, String)]) -> Answer {
        let response = match method {
            "GET" | "DELETE" | "OPTIONS" => {
                let mut r = if method == "GET" { self.agent.get(url) } else { self.agent.delete(url) };
                for (k, v) in headers {
                    r = r.header(*k, v);
                }
                r.call()
            }
            _ => {
                let mut r = if method == "PUT" { self.agent.put(url) } else { self.agent.post(url) };
                for (k, v) in headers {
                    r = r.header(*k, v);
                }
                r.header("Content-Type", "application/json").send(body.map(Value::to_string).unwrap_or_default())
            }
        };
        let mut response = response.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        Answer {
            status: response.status().as_u16(),
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Ids: the real store's (WordPress posts, users, order items, webhooks) to the stand-in's.

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Kind {
    Post,
    User,
    Item,
    Hook,
}

#[derive(Default)]
pub struct Ids {
    map: HashMap<(Kind, u64), u64>,
}

impl Ids {
    pub fn learn(&mut self, kind: Kind, recorded: &Value, ours: &Value) {
        if let (Some(r), Some(o)) = (recorded.as_u64(), ours.as_u64())
            && r != 0
        {
            self.map.insert((kind, r), o);
        }
    }

    /// The stand-in's id for a recorded one; an id never created (999999) stays.
    pub fn get(&self, kind: Kind, recorded: u64) -> u64 {
        self.map.get(&(kind, recorded)).copied().unwrap_or(recorded)
    }

    pub fn value(&self, kind: Kind, v: &Value) -> Value {
        match v.as_u64() {
            Some(id) => Value::from(self.get(kind, id)),
            None => v.clone(),
        }
    }

    pub fn forget_all(&mut self) {
        self.map.clear();
    }

    /// Ids in a request path: after `products`, `variations`, `orders`, `refunds` a post,
    /// after `customers` a user, after `webhooks` a webhook.
    pub fn path(&self, path: &str) -> String {
        let parts: Vec<&str> = path.split('/').collect();
        let mut out = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            let kind = match i.checked_sub(1).map(|j| parts[j]) {
                Some("products" | "variations" | "orders" | "refunds" | "coupons") => Some(Kind::Post),
                Some("customers") => Some(Kind::User),
                Some("webhooks") => Some(Kind::Hook),
                _ => None,
            };
            match (kind, part.parse::<u64>()) {
                (Some(k), Ok(id)) => out.push(self.get(k, id).to_string()),
                _ => out.push(part.to_string()),
            }
        }
        out.join("/")
    }

    /// Ids in a request body: product, variation, parent and customer ids, batch ids and
    /// refund line ids (order items).
    pub fn body(&self, path: &str, body: &Value) -> Value {
        let mut b = body.clone();
        self.rewrite(&mut b, path.ends_with("/refunds"));
        if let Some(list) = b.get_mut("delete").and_then(Value::as_array_mut) {
            for id in list {
                *id = self.value(Kind::Post, id);
            }
        }
        if let Some(list) = b.get_mut("update").and_then(Value::as_array_mut) {
            for item in list {
                item["id"] = self.value(Kind::Post, &item["id"]);
            }
        }
        b
    }

    fn rewrite(&self, v: &mut Value, refund: bool) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    match k.as_str() {
                        "product_id" | "variation_id" | "parent_id" => *val = self.value(Kind::Post, val),
                        "customer_id" => *val = self.value(Kind::User, val),
                        "line_items" if refund => {
                            for line in val.as_array_mut().into_iter().flatten() {
                                line["id"] = self.value(Kind::Item, &line["id"]);
                            }
                        }
                        _ => self.rewrite(val, refund),
                    }
                }
            }
            Value::Array(list) => list.iter_mut().for_each(|x| self.rewrite(x, refund)),
            _ => {}
        }
    }
}

/// Learns ids from a create's answer: the resource's own id and, on orders and refunds,
/// the item ids of its lines (matched by position).
pub fn learn_ids(ids: &mut Ids, path: &str, recorded: &Value, ours: &Value) {
    let kind = if path.contains("/customers") {
        Kind::User
    } else if path.contains("/webhooks") {
        Kind::Hook
    } else {
        Kind::Post
    };
    if let (Some(r), Some(o)) = (recorded.as_object(), ours.as_object()) {
        if r.contains_key("id") && !r.contains_key("error") {
            ids.learn(kind, &r["id"], &o["id"]);
        }
        for lines in ["line_items", "shipping_lines", "fee_lines", "coupon_lines", "tax_lines"] {
            let (rl, ol) = (r.get(lines).and_then(Value::as_array), o.get(lines).and_then(Value::as_array));
            for (a, b) in rl.into_iter().flatten().zip(ol.into_iter().flatten()) {
                ids.learn(Kind::Item, &a["id"], &b["id"]);
            }
        }
        for group in ["create", "update"] {
            let (rl, ol) = (r.get(group).and_then(Value::as_array), o.get(group).and_then(Value::as_array));
            for (a, b) in rl.into_iter().flatten().zip(ol.into_iter().flatten()) {
                if a.get("error").is_none() {
                    ids.learn(Kind::Post, &a["id"], &b["id"]);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Time: `modified_after` names a moment of the recording; the replay asks for the same
// moment of its own run.

#[derive(Default)]
pub struct Clock {
    /// (recorded answer time, replay time when that exchange was answered), in order.
    seen: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Clock {
    /// Marks the exchange just sent as answered now: the stand-in may have stamped it in
    /// a later second than it was sent in, and the next exchange must come after that.
    pub fn after(&mut self) {
        if let Some(last) = self.seen.last_mut() {
            last.1 = Utc::now();
        }
    }

    /// Waits until the wall clock's second differs from the last exchange's when the
    /// recording's did, so that what was modified later is later here too.
    pub fn before(&mut self, recorded: Option<DateTime<Utc>>) {
        let Some(recorded) = recorded else { return };
        if let Some((last_recorded, last_ours)) = self.seen.last().copied()
            && recorded.timestamp() > last_recorded.timestamp()
        {
            while Utc::now().timestamp() <= last_ours.timestamp() {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        }
        self.seen.push((recorded, Utc::now()));
    }

    /// The replay's moment for a recorded one: the time the first exchange answered at or
    /// after it was replayed, less the same distance; past the end, now plus the distance.
    pub fn moment(&self, recorded: DateTime<Utc>) -> DateTime<Utc> {
        match self.seen.iter().find(|(r, _)| r.timestamp() >= recorded.timestamp()) {
            Some((r, ours)) => *ours - (*r - recorded),
            None => {
                let (r, ours) = self.seen.last().copied().unwrap_or((recorded, Utc::now()));
                ours + (recorded - r)
            }
        }
    }
}
