//! What a flow run did, counted per outcome, with a reason for every failure.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub skipped: u32,
    /// (item, reason), e.g. ("SKU TS-1", "WooCommerce refused: Invalid ID.").
    pub failed: Vec<(String, String)>,
}
