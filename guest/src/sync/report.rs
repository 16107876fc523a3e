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
    /// Every write made, or planned in a dry run.
    pub changes: Vec<Change>,
}

/// One write: the item, "create" or "update", and for an update what it changes where that
/// is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub item: String,
    pub action: &'static str,
    pub fields: Vec<FieldChange>,
    /// What the item is on the other side, e.g. "Fortnox invoice 17"; empty when not known.
    pub target: String,
}

/// A field an update changes, as the merchant would read the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub old: String,
    pub new: String,
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// Created, and this is what it became on the other side ("Fortnox invoice 17").
    Made(String),
    Updated,
    Unchanged,
    Skipped,
    /// Skipped, and the merchant is told why.
    SkippedBecause(String),
    Failed(String),
}

/// A skip that a dry run explains; a real run counts it quietly (it happens every run).
pub fn skipped(dry_run: bool, reason: impl Into<String>) -> Outcome {
    if dry_run { Outcome::SkippedBecause(reason.into()) } else { Outcome::Skipped }
}

impl Report {
    pub fn add(&mut self, item: impl Into<String>, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.add(item, Outcome::Made(String::new())),
            Outcome::Made(target) => {
                self.created += 1;
                self.changes.push(Change { item: item.into(), action: "create", fields: Vec::new(), target });
            }
            Outcome::Updated => self.updated(item, Vec::new()),
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::SkippedBecause(why) => self.skip(item, why),
            Outcome::Failed(why) => self.failed.push((item.into(), why)),
        }
    }

    /// An update of `item` that changes `fields`.
    pub fn updated(&mut self, item: impl Into<String>, fields: Vec<FieldChange>) {
        self.updated_to(item, String::new(), fields);
    }

    /// An update of `item`, which is `target` on the other side ("product 88").
    pub fn updated_to(&mut self, item: impl Into<String>, target: String, fields: Vec<FieldChange>) {
        self.updated += 1;
        self.changes.push(Change { item: item.into(), action: "update", fields, target });
    }

    /// Skips `item` and says why, so the merchant sees it is meant, not lost.
    pub fn skip(&mut self, item: impl Into<String>, reason: impl Into<String>) {
        self.skipped += 1;
        self.skipped_items.push((item.into(), reason.into()));
    }
}
