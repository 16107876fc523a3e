//! What each connection wrote or refused, item by item ("order 1042 → Fortnox invoice 17"),
//! and hourly tallies of writes, refusals and 429s: what the status page shows and looks
//! items up in. Kept in the state, at most [`KEEP_PER_CONNECTION`] items per connection,
//! and purged with the finished jobs.

use crate::runtime::connector_bindings::wit_sync::Report;
use crate::state::queue::now;
use crate::state::sql::{Row, placeholders};
use crate::state::store::Store;
use crate::vals;
use anyhow::Result;

/// Items kept per connection: the page shows the last 100; lookups reach further back.
pub const KEEP_PER_CONNECTION: i64 = 2000;

/// One item written or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: i64,
    pub flow: String,
    /// "order 1042", "article TS-1", "SKU TS-1", "refund 9", "invoice 17".
    pub item: String,
    /// "created", "updated" or "refused".
    pub outcome: String,
    /// What it is on the other side ("Fortnox invoice 17", "product 88"), or "".
    pub target: String,
    /// The fields an update changed, or why it was refused.
    pub detail: String,
}

impl Entry {
    pub fn refused(&self) -> bool {
        self.outcome == "refused"
    }
}

/// Writes, refusals and 429s over some hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub written: u64,
    pub refused: u64,
    pub rate_limited: u64,
}

/// The columns [`entry`] reads, in its order.
const ENTRY_COLUMNS: &str = "at, flow, item, outcome, target, detail";

fn entry(r: &Row) -> Result<Entry> {
    Ok(Entry {
        at: r.int(0)?,
        flow: r.text(1)?,
        item: r.text(2)?,
        outcome: r.text(3)?,
        target: r.text(4)?,
        detail: r.text(5)?,
    })
}

/// The entries of one run: every write, then every refusal.
pub fn entries(flow: &str, report: &Report, at: i64) -> Vec<Entry> {
    let written = report.changes.iter().map(|c| Entry {
        at,
        flow: flow.to_owned(),
        item: c.item.clone(),
        outcome: if c.action == "create" { "created" } else { "updated" }.to_owned(),
        target: c.target.clone(),
        detail: c.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>().join(", "),
    });
    let refused = report.failed.iter().map(|f| Entry {
        at,
        flow: flow.to_owned(),
        item: f.item.clone(),
        outcome: "refused".to_owned(),
        target: String::new(),
        detail: f.reason.clone(),
    });
    written.chain(refused).collect()
}

impl Store {
    /// Records one run's items and adds them, with the run's 429s, to this hour's tally.
    pub fn record_activity(&self, connection: &str, entries: &[Entry], rate_limited: u64) -> Result<()> {
        let refused = entries.iter().filter(|e| e.refused()).count() as i64;
        let written = entries.len() as i64 - refused;
        self.transaction(|tx| {
            for e in entries {
                tx.execute(
                    "INSERT INTO activity (connection, at, flow, item, outcome, target, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    vals![connection, e.at, &e.flow, &e.item, &e.outcome, &e.target, &e.detail],
                )?;
            }
            tx.execute(
                "DELETE FROM activity WHERE connection = ?1 AND id <= (SELECT id FROM activity WHERE connection = ?1
                 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                vals![connection, KEEP_PER_CONNECTION],
            )?;
            if written + refused + rate_limited as i64 > 0 {
                tx.execute(
                    "INSERT INTO tallies (connection, hour, written, refused, rate_limited) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (connection, hour) DO UPDATE SET written = tallies.written + excluded.written,
                     refused = tallies.refused + excluded.refused,
                     rate_limited = tallies.rate_limited + excluded.rate_limited",
                    vals![connection, now() / 3600, written, refused, rate_limited as i64],
                )?;
            }
            Ok(())
        })
    }

    /// The newest `limit` entries, newest first.
    pub fn recent_activity(&self, connection: &str, limit: usize) -> Result<Vec<Entry>> {
        self.transaction(|tx| {
            let sql = format!("SELECT {ENTRY_COLUMNS} FROM activity WHERE connection = ?1 ORDER BY id DESC LIMIT ?2");
            tx.query(&sql, vals![connection, limit as i64])?.iter().map(entry).collect()
        })
    }

    /// Every kept entry of the items named, newest first.
    pub fn activity_of(&self, connection: &str, items: &[String]) -> Result<Vec<Entry>> {
        if items.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM activity WHERE connection = ?1 AND item IN ({})
             ORDER BY id DESC LIMIT 50",
            placeholders(2, items.len())
        );
        let params: Vec<_> = std::iter::once(connection.into()).chain(items.iter().map(Into::into)).collect();
        self.transaction(|tx| tx.query(&sql, &params)?.iter().map(entry).collect())
    }

    /// Writes, refusals and 429s over the last 24 hours (this hour and the 23 before).
    pub fn last_day(&self, connection: &str) -> Result<Tally> {
        self.transaction(|tx| {
            // PostgreSQL's SUM of BIGINT is NUMERIC; the cast keeps one type on both backends.
            let row = tx.query_one(
                "SELECT CAST(COALESCE(SUM(written), 0) AS BIGINT), CAST(COALESCE(SUM(refused), 0) AS BIGINT),
                 CAST(COALESCE(SUM(rate_limited), 0) AS BIGINT) FROM tallies WHERE connection = ?1 AND hour > ?2",
                vals![connection, now() / 3600 - 24],
            )?;
            let Some(r) = row else { return Ok(Tally::default()) };
            Ok(Tally { written: r.int(0)? as u64, refused: r.int(1)? as u64, rate_limited: r.int(2)? as u64 })
        })
    }

    /// Forgets activity and tallies older than `keep_secs`, as finished jobs are.
    pub fn purge_activity(&self, keep_secs: i64) -> Result<usize> {
        let since = now() - keep_secs;
        self.transaction(|tx| {
            let items = tx.execute("DELETE FROM activity WHERE at < ?1", vals![since])?;
            tx.execute("DELETE FROM tallies WHERE hour < ?1", vals![since / 3600])?;
            Ok(items as usize)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::testing::each_backend;

    fn item(n: usize, outcome: &str) -> Entry {
        let (flow, item) = ("orders".to_owned(), format!("order {n}"));
        Entry { at: now(), flow, item, outcome: outcome.into(), target: String::new(), detail: String::new() }
    }

    #[test]
    fn kept_bounded_newest_first_and_tallied() {
        each_backend(|store| {
            let many: Vec<Entry> = (0..KEEP_PER_CONNECTION as usize + 5).map(|n| item(n, "created")).collect();
            store.record_activity("shop", &many, 2).unwrap();
            store.record_activity("shop", &[item(9999, "refused")], 1).unwrap();
            store.record_activity("other", &[item(1, "created")], 0).unwrap();
            let recent = store.recent_activity("shop", 3).unwrap();
            assert_eq!(
                recent.iter().map(|e| e.item.as_str()).collect::<Vec<_>>(),
                ["order 9999", "order 2004", "order 2003"]
            );
            assert!(store.activity_of("shop", &["order 0".into()]).unwrap().is_empty(), "the oldest went");
            assert_eq!(store.activity_of("shop", &["order 9999".into(), "refund 9999".into()]).unwrap().len(), 1);
            let tally = store.last_day("shop").unwrap();
            assert_eq!(tally, Tally { written: KEEP_PER_CONNECTION as u64 + 5, refused: 1, rate_limited: 3 });
            assert_eq!(store.purge_activity(-7200).unwrap() as i64, KEEP_PER_CONNECTION + 1);
            assert_eq!(store.last_day("shop").unwrap(), Tally::default());
        });
    }
}
