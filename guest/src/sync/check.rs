//! `check`: read both sides end to end, counting, to prove a connection works.

use super::error::SyncError;
use super::transport::Transport;
use super::{Endpoints, fortnox_client, woo_client};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionCheck {
    pub fortnox_articles: u32,
    pub woocommerce_products: u32,
}

pub fn check(transport: &dyn Transport, endpoints: &Endpoints) -> Result<ConnectionCheck, SyncError> {
    let mut articles = 0;
    fortnox_client::for_each(transport, &endpoints.fortnox, "articles", "Articles", "articlenumber", |_| {
        articles += 1
    })?;
    let mut products = 0;
    woo_client::for_each(transport, &endpoints.woocommerce, "products", |_| products += 1)?;
    Ok(ConnectionCheck { fortnox_articles: articles, woocommerce_products: products })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::transport::{Request, Response, TransportError};
    use serde_json::json;
    use std::cell::RefCell;

    type Answer = Box<dyn Fn(&Request) -> Result<Response, TransportError>>;

    /// Answers from a script and remembers what was asked.
    struct Scripted {
        answer: Answer,
        seen: RefCell<Vec<String>>,
    }

    impl Transport for Scripted {
        fn send(&self, request: &Request) -> Result<Response, TransportError> {
            self.seen.borrow_mut().push(request.url.clone());
            (self.answer)(request)
        }
    }

    fn ok(body: serde_json::Value, headers: Vec<(&str, &str)>) -> Result<Response, TransportError> {
        Ok(Response {
            status: 200,
            headers: headers.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect(),
            body: body.to_string().into_bytes(),
        })
    }

    fn page_of(url: &str) -> u32 {
        url.split("&page=").nth(1).unwrap().split('&').next().unwrap().parse().unwrap()
    }

    fn endpoints() -> Endpoints {
        Endpoints { fortnox: "https://api.fortnox.se/".into(), woocommerce: "https://shop.example".into() }
    }

    #[test]
    fn every_page_on_both_sides_is_read_once() {
        let t = Scripted {
            answer: Box::new(|r| {
                let page = page_of(&r.url);
                if r.url.contains("/3/articles") {
                    let n = if page < 3 { 500 } else { 7 };
                    ok(
                        json!({ "MetaInformation": { "@TotalPages": 3, "@CurrentPage": page }, "Articles": vec![json!({}); n] }),
                        vec![],
                    )
                } else {
                    let n = if page < 2 { 100 } else { 1 };
                    ok(json!(vec![json!({}); n]), vec![("X-WP-TotalPages", "2")])
                }
            }),
            seen: RefCell::new(Vec::new()),
        };
        let counts = check(&t, &endpoints()).unwrap();
        assert_eq!(counts, ConnectionCheck { fortnox_articles: 1007, woocommerce_products: 101 });
        let seen = t.seen.borrow();
        assert_eq!(seen.len(), 5);
        assert_eq!(
            seen[0],
            "https://api.fortnox.se/3/articles?limit=500&page=1&sortby=articlenumber&sortorder=ascending"
        );
        assert!(seen[3].starts_with("https://shop.example/wp-json/wc/v3/products?per_page=100&page=1"));
    }

    #[test]
    fn a_fortnox_refusal_is_explained_and_a_denial_names_the_connection() {
        let t = Scripted {
            answer: Box::new(|_| {
                Ok(Response {
                    status: 401,
                    headers: vec![],
                    body: br#"{"ErrorInformation":{"error":1,"message":"Ogiltig inloggning","code":2000310}}"#.to_vec(),
                })
            }),
            seen: RefCell::new(Vec::new()),
        };
        let err = check(&t, &endpoints()).unwrap_err();
        assert!(matches!(&err, SyncError::Connection(m) if m.contains("woonox connect fortnox")), "{err}");
        let t = Scripted {
            answer: Box::new(|_| Err(TransportError::Denied("not allowed".into()))),
            seen: RefCell::new(vec![]),
        };
        assert!(matches!(check(&t, &endpoints()).unwrap_err(), SyncError::Connection(_)));
    }

    #[test]
    fn a_store_without_pretty_permalinks_is_told_what_to_do() {
        let t = Scripted {
            answer: Box::new(|r| {
                if r.url.contains("/3/") {
                    ok(json!({ "MetaInformation": { "@TotalPages": 1 }, "Articles": [] }), vec![])
                } else {
                    Ok(Response { status: 404, headers: vec![], body: b"<html>Not Found</html>".to_vec() })
                }
            }),
            seen: RefCell::new(Vec::new()),
        };
        let err = check(&t, &endpoints()).unwrap_err().to_string();
        assert!(err.contains("enable pretty permalinks"), "{err}");
    }
}
