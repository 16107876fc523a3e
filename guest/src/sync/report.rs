//! What a flow run did, counted per outcome, with a reason for every failure and for
//! every item skipped on purpose.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub skipped: u32,
    /// (item, reason) for the skipped items that deserve a word, e.g. ("customer 1", "no
    /// billing details"). Counted in `skipped` too.
    pub skipped_items: Vec<(String, String)>,
    /// (item, reason), e.g. ("SKU TS-1", "WooCommerce refused: Invalid ID.").
    pub failed: Vec<(String, String)>,
    /// (item, "create" | "update") for every write made, or planned in a dry run.
    pub changes: Vec<(String, &'static str)>,
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Skipped,
    Failed(String),
}

impl Report {
    pub fn add(&mut self, item: impl Into<String>, outcome: Outcome) {
        match outcome {
            Outcome::Created => {
                self.created += 1;
                self.changes.push((item.into(), "create"));
            }
            Outcome::Updated => {
                self.updated += 1;
                self.changes.push((item.into(), "update"));
            }
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Failed(why) => self.failed.push((item.into(), why)),
        }
    }

    /// Skips `item` and says why, so the merchant sees it is meant, not lost.
    pub fn skip(&mut self, item: impl Into<String>, reason: impl Into<String>) {
        self.skipped += 1;
        self.skipped_items.push((item.into(), reason.into()));
    }
}
