//! The one door to the network. Requests carry no credentials: the host adds them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn get(url: impl Into<String>) -> Request {
        Request {
            method: "GET",
            url: url.into(),
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value, names compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The host refused the destination (not in the connection's allow-list).
    Denied(String),
    /// A write may or may not have happened (timeout, reset after sending); look before
    /// writing again.
    OutcomeUnknown(String),
    /// Nothing was sent or nothing came back; safe to retry later.
    Failed(String),
}

pub trait Transport {
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
}
