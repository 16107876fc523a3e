//! Where `woonox serve` stands in Fortnox's event topics: per topic, the offset of the last
//! event it took. An event is taken in one transaction that queues its job and moves the
//! offset, so a crash between the two cannot lose the event or take it twice; a replay of
//! an event already taken finds its job by delivery id and queues nothing.

use super::queue::insert_event;
use super::store::{Store, set_in};
use crate::vals;
use anyhow::Result;
use std::collections::BTreeMap;

/// Beside the connections' namespaces; no connection is named with a ':'.
const NAMESPACE: &str = "woonox-host:fortnox-events";

/// What an event asks of one connection: a job topic and its body.
pub struct EventJob<'a> {
    pub connection: &'a str,
    pub topic: &'a str,
    pub body: String,
}

/// One event, as the socket received it.
pub struct Taken<'a> {
    /// The socket's key (the Fortnox app's client id): its offsets are its own.
    pub socket: &'a str,
    pub topic: &'a str,
    pub offset: &'a str,
    pub job: Option<EventJob<'a>>,
}

impl Store {
    /// The offset of the last event taken per topic on `socket`.
    pub fn event_offsets(&self, socket: &str) -> Result<BTreeMap<String, String>> {
        let prefix = format!("{socket}:");
        let keys = self.namespace(NAMESPACE).keys(&prefix)?;
        let mut offsets = BTreeMap::new();
        for key in keys {
            if let Some(value) = self.namespace(NAMESPACE).get(&key)? {
                offsets.insert(key[prefix.len()..].to_owned(), String::from_utf8_lossy(&value).into_owned());
            }
        }
        Ok(offsets)
    }

    /// Queues the event's job, unless the same job already waits or this event was taken
    /// before, and moves its topic's offset; all or nothing. True when a job was queued.
    pub fn take_event(&self, event: &Taken) -> Result<bool> {
        let key = format!("{}:{}", event.socket, event.topic);
        let delivery = format!("fortnox:{}:{}", event.topic, event.offset);
        self.transaction(|tx| {
            let mut queued = false;
            if let Some(job) = &event.job {
                let waiting = tx.query_one(
                    "SELECT count(*) FROM jobs WHERE connection = ?1 AND topic = ?2 AND body = ?3 AND state = 'queued'",
                    vals![job.connection, job.topic, job.body.as_str()],
                )?;
                if waiting.map_or(Ok(0), |r| r.int(0))? == 0 {
                    queued = insert_event(tx, job.connection, job.topic, &job.body, Some(&delivery))?.is_some();
                }
            }
            set_in(tx, NAMESPACE, &key, event.offset.as_bytes())?;
            Ok(queued)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(offset: &'static str, sku: &str) -> Taken<'static> {
        let body = serde_json::json!({ "sku": sku }).to_string();
        let job = EventJob { connection: "shop", topic: "article.updated", body };
        Taken { socket: "app", topic: "articles", offset, job: Some(job) }
    }

    #[test]
    fn an_event_queues_its_job_once_and_moves_the_offset_with_it() {
        let store = Store::in_memory().unwrap();
        assert!(store.event_offsets("app").unwrap().is_empty());
        assert!(store.take_event(&article("7", "TS-1")).unwrap());
        assert_eq!(store.event_offsets("app").unwrap()["articles"], "7");
        assert!(!store.take_event(&article("7", "TS-1")).unwrap(), "a replayed event queues nothing");
        assert!(!store.take_event(&article("8", "TS-1")).unwrap(), "the same job already waits");
        assert!(store.take_event(&article("9", "TS-2")).unwrap());
        assert_eq!(store.event_offsets("app").unwrap()["articles"], "9");
        assert!(store.event_offsets("other-app").unwrap().is_empty(), "each socket has its own offsets");
    }
}
