//! Poll cursors: the newest modification time a flow has seen, read back minus an overlap
//! window so that a late commit or a skewed clock never hides a change. What the overlap
//! brings back twice is deduplicated by the links.

use super::error::SyncError;
use super::state::Kv;
use chrono::NaiveDateTime;

const FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

pub struct Cursor {
    key: String,
    seen: Option<NaiveDateTime>,
    start: Option<NaiveDateTime>,
    held: Option<NaiveDateTime>,
}

/// A time in either service's format ("2026-11-26T06:00:00", "2026-11-26 06:00:00").
pub fn parse_time(value: &str) -> Option<NaiveDateTime> {
    let v = value.trim().replace(' ', "T");
    NaiveDateTime::parse_from_str(v.get(..19)?, FORMAT).ok()
}

/// An HTTP `Date` header as "YYYY-MM-DDTHH:MM:SS" (UTC). Fortnox's `lastmodified` is
/// presumably Swedish time, ahead of UTC, so a UTC cursor can only read back more.
pub fn http_date(value: &str) -> Option<String> {
    let t = chrono::DateTime::parse_from_rfc2822(value.trim()).ok()?;
    Some(t.naive_utc().format(FORMAT).to_string())
}

impl Cursor {
    pub fn load(kv: &dyn Kv, flow: &str) -> Result<Cursor, SyncError> {
        let key = format!("cursor:{flow}");
        let start = kv.get(&key)?.as_deref().and_then(parse_time);
        Ok(Cursor { key, seen: start, start, held: None })
    }

    /// The newest time kept by the last run, if any.
    pub fn start(&self) -> Option<NaiveDateTime> {
        self.start
    }

    /// The time to ask for changes after, or `None` for a first, full read.
    pub fn since(&self, overlap_minutes: u32) -> Option<NaiveDateTime> {
        Some(self.start? - chrono::Duration::minutes(overlap_minutes as i64))
    }

    /// `since` in WooCommerce's format ("2026-11-26T06:00:00", GMT).
    pub fn since_woo(&self, overlap_minutes: u32) -> Option<String> {
        self.since(overlap_minutes).map(|t| t.format(FORMAT).to_string())
    }

    /// `since` in Fortnox's `lastmodified` format ("2026-11-26 06:00:00").
    pub fn since_fortnox(&self, overlap_minutes: u32) -> Option<String> {
        self.since(overlap_minutes).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    /// Notes an item's modification time (either format).
    pub fn saw(&mut self, modified: &str) {
        if let Some(t) = parse_time(modified) {
            self.seen = self.seen.max(Some(t));
        }
    }

    /// Keeps the cursor before `modified`, so that an item that failed is read again.
    pub fn hold(&mut self, modified: &str) {
        if let Some(t) = parse_time(modified) {
            let before = t - chrono::Duration::seconds(1);
            self.held = Some(self.held.map_or(before, |h| h.min(before)));
        }
    }

    /// Stores the newest time seen; call only once every item up to it is handled.
    pub fn save(&self, kv: &dyn Kv) -> Result<(), SyncError> {
        let newest = match (self.seen, self.held) {
            (Some(seen), Some(held)) => Some(seen.min(held)),
            (seen, _) => seen,
        };
        match newest {
            Some(t) if newest != self.start => kv.set(&self.key, &t.format(FORMAT).to_string()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::state::MemoryKv;

    #[test]
    fn the_cursor_moves_to_the_newest_time_and_reads_back_with_overlap() {
        let kv = MemoryKv::default();
        let mut c = Cursor::load(&kv, "orders").unwrap();
        assert_eq!(c.since_woo(10), None);
        c.saw("2026-11-26T08:05:00");
        c.saw("2026-11-26 09:30:00");
        c.saw("not a date");
        c.saw("2026-11-26T07:00:00");
        c.save(&kv).unwrap();
        let c = Cursor::load(&kv, "orders").unwrap();
        assert_eq!(c.since_woo(10).as_deref(), Some("2026-11-26T09:20:00"));
        assert_eq!(c.since_fortnox(0).as_deref(), Some("2026-11-26 09:30:00"));
    }

    #[test]
    fn a_held_item_keeps_the_cursor_before_it() {
        let kv = MemoryKv::default();
        let mut c = Cursor::load(&kv, "orders").unwrap();
        c.saw("2026-11-26T08:00:00");
        c.hold("2026-11-26T07:00:00");
        c.saw("2026-11-26T09:00:00");
        c.save(&kv).unwrap();
        assert_eq!(Cursor::load(&kv, "orders").unwrap().since_woo(0).as_deref(), Some("2026-11-26T06:59:59"));
    }
}
