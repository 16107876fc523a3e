//! Writes product bodies as they stream in, holding at most a hundred of each kind: a
//! hundred SKUs are looked up in one call, a hundred creates or simple-product updates go
//! in one batch, and each variable product's variations wait for their own batch. Only
//! full batches go out before the end, so the calls stay at the minimum while memory stays
//! flat whatever the catalog's size.

use super::report::{Outcome, Report};
use super::state;
use super::{Ctx, SyncError, api::encode, woo_batch, woo_client};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

const BATCH: usize = woo_batch::BATCH_LIMIT;

/// What was last written for a SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Written {
    pub hash: String,
    pub price: Option<Decimal>,
}

pub fn written(ctx: &Ctx, sku: &str) -> Result<Option<Written>, SyncError> {
    state::load(ctx.kv, &format!("product:{sku}"))
}

pub fn hash(body: &Map<String, Value>) -> String {
    let digest = Sha256::digest(Value::Object(body.clone()).to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A product body to write, before the WooCommerce side is known.
pub struct Candidate {
    pub sku: String,
    pub body: Map<String, Value>,
    pub price: Option<Decimal>,
    /// Only a price changed: update an existing product, never create one.
    pub price_only: bool,
}

type Item = (Candidate, Value);

pub struct Writer<'a> {
    ctx: &'a Ctx<'a>,
    unmatched: Vec<Candidate>,
    creates: Vec<Item>,
    /// Per batch route: "products/batch" or a parent's variations.
    updates: BTreeMap<String, Vec<Item>>,
    pub report: Report,
    done: u64,
}

impl<'a> Writer<'a> {
    pub fn new(ctx: &'a Ctx<'a>) -> Writer<'a> {
        Writer {
            ctx,
            unmatched: Vec::new(),
            creates: Vec::new(),
            updates: BTreeMap::new(),
            report: Report::default(),
            done: 0,
        }
    }

    pub fn push(&mut self, candidate: Candidate) -> Result<(), SyncError> {
        self.unmatched.push(candidate);
        if self.unmatched.len() == BATCH { self.place() } else { Ok(()) }
    }

    /// Everything still held goes out.
    pub fn finish(mut self) -> Result<Report, SyncError> {
        self.place()?;
        let creates = std::mem::take(&mut self.creates);
        self.send("products/batch", "create", creates, Outcome::Created)?;
        for (route, items) in std::mem::take(&mut self.updates) {
            self.send(&route, "update", items, Outcome::Updated)?;
        }
        Ok(self.report)
    }

    /// Looks the held SKUs up (one call) and sorts them into creates and updates; sends
    /// whatever batch is full.
    fn place(&mut self) -> Result<(), SyncError> {
        let candidates = std::mem::take(&mut self.unmatched);
        if candidates.is_empty() {
            return Ok(());
        }
        let skus: Vec<&str> = candidates.iter().map(|c| c.sku.as_str()).collect();
        let found = woo_by_sku(self.ctx, &skus)?;
        for c in candidates {
            let mut body = c.body.clone();
            match found.get(&c.sku) {
                Some(&(id, parent)) => {
                    body.insert("id".into(), json!(id));
                    let route = match parent {
                        Some(parent) => {
                            body.remove("name");
                            format!("products/{parent}/variations/batch")
                        }
                        None => "products/batch".to_owned(),
                    };
                    let held = self.updates.entry(route.clone()).or_default();
                    held.push((c, Value::Object(body)));
                    if held.len() == BATCH {
                        let full = std::mem::take(held);
                        self.send(&route, "update", full, Outcome::Updated)?;
                    }
                }
                None if c.price_only => self.report.add(format!("SKU {}", c.sku), Outcome::Skipped),
                None => {
                    body.insert("type".into(), json!("simple"));
                    self.creates.push((c, Value::Object(body)));
                    if self.creates.len() == BATCH {
                        let full = std::mem::take(&mut self.creates);
                        self.send("products/batch", "create", full, Outcome::Created)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn send(&mut self, route: &str, op: &str, items: Vec<Item>, outcome: Outcome) -> Result<(), SyncError> {
        if items.is_empty() {
            return Ok(());
        }
        if self.ctx.dry_run {
            for (c, _) in items {
                self.report.add(format!("article {}", c.sku), outcome.clone());
            }
            return Ok(());
        }
        let bodies: Vec<Value> = items.iter().map(|(_, b)| b.clone()).collect();
        let results = woo_batch::send(self.ctx.net, &self.ctx.endpoints.woocommerce, route, op, &bodies)?;
        for ((candidate, _), result) in items.iter().zip(results) {
            self.done += 1;
            self.ctx.progress.step("products", self.done, self.done.max(self.report.changes.len() as u64 + 1));
            match result {
                Ok(_) => {
                    remember(self.ctx, candidate)?;
                    self.report.add(format!("article {}", candidate.sku), outcome.clone());
                }
                Err(why) => self.report.add(format!("article {}", candidate.sku), Outcome::Failed(why)),
            }
        }
        Ok(())
    }
}

/// WooCommerce's product or variation per SKU: (id, parent for a variation). An exact
/// SKU search finds variations too; up to a hundred SKUs a call.
fn woo_by_sku(ctx: &Ctx, skus: &[&str]) -> Result<BTreeMap<String, (u64, Option<u64>)>, SyncError> {
    let mut found = BTreeMap::new();
    let searchable: Vec<String> = skus.iter().filter(|s| !s.contains(',')).map(|s| encode(s)).collect();
    if searchable.is_empty() {
        return Ok(found);
    }
    let route = format!("products?sku={}", searchable.join(","));
    woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &route, |p| {
        let parent = p["parent_id"].as_u64().filter(|id| *id != 0);
        if let (Some(sku), Some(id)) = (p["sku"].as_str(), p["id"].as_u64()) {
            found.insert(sku.to_owned(), (id, parent));
        }
    })?;
    Ok(found)
}

fn remember(ctx: &Ctx, c: &Candidate) -> Result<(), SyncError> {
    let key = format!("product:{}", c.sku);
    let mut written: Written = state::load(ctx.kv, &key)?.unwrap_or_default();
    if !c.price_only {
        written.hash = hash(&c.body);
    }
    written.price = c.price.or(written.price);
    state::save(ctx.kv, &key, &written)
}
