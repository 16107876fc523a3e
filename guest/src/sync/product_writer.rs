//! Writes product bodies as they stream in, holding at most a hundred of each kind: a
//! hundred SKUs are looked up in one call, a hundred creates or simple-product updates go
//! in one batch, and each variable product's variations wait for their own batch. Only
//! full batches go out before the end, so the calls stay at the minimum while memory stays
//! flat whatever the catalog's size.

use super::report::{FieldChange, Outcome, Report};
use super::state;
use super::tax_classes::{TaxClasses, product_slug};
use super::{Ctx, SyncError, api::encode, woo_batch, woo_client};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

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

/// The hash of what is written for an article: its body and, when the tax class is kept in
/// step, its VAT rate (the class itself is only known once the store's classes are read).
pub fn hash(body: &Map<String, Value>, vat: Option<Decimal>) -> String {
    let mut hashed = body.clone();
    if let Some(vat) = vat {
        hashed.insert("vat".into(), json!(vat.normalize().to_string()));
    }
    let digest = Sha256::digest(Value::Object(hashed).to_string().as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A product body to write, before the WooCommerce side is known.
pub struct Candidate {
    pub sku: String,
    pub body: Map<String, Value>,
    pub price: Option<Decimal>,
    /// The article's VAT in percent, which picks the product's tax class.
    pub vat: Option<Decimal>,
    /// Only a price changed: update an existing product, never create one.
    pub price_only: bool,
}

impl Candidate {
    /// The VAT rate that goes into the hash: only when updates keep the class in step.
    pub fn hashed_vat(&self, ctx: &Ctx) -> Option<Decimal> {
        self.vat.filter(|_| ctx.settings.flows.writes("tax_class"))
    }
}

/// A body to send, and for an update what it changes.
type Item = (Candidate, Value, Vec<FieldChange>);

/// The store's product or variation holding a SKU.
struct Found {
    id: u64,
    parent: Option<u64>,
    current: Value,
}

/// Variations wait for their parents' classes until a hundred parents can be read at once.
const PARENTS_PER_READ: usize = 100;

pub struct Writer<'a> {
    ctx: &'a Ctx<'a>,
    unmatched: Vec<Candidate>,
    /// Variations whose class depends on their parent's, not yet read.
    awaiting_parent: Vec<(Candidate, Found)>,
    creates: Vec<Item>,
    /// Per batch route: "products/batch" or a parent's variations.
    updates: BTreeMap<String, Vec<Item>>,
    pub report: Report,
    done: u64,
    /// Read on first need, once per run.
    tax_classes: Option<TaxClasses>,
}

impl<'a> Writer<'a> {
    pub fn new(ctx: &'a Ctx<'a>) -> Writer<'a> {
        Writer {
            ctx,
            unmatched: Vec::new(),
            awaiting_parent: Vec::new(),
            creates: Vec::new(),
            updates: BTreeMap::new(),
            report: Report::default(),
            done: 0,
            tax_classes: None,
        }
    }

    pub fn push(&mut self, candidate: Candidate) -> Result<(), SyncError> {
        self.unmatched.push(candidate);
        if self.unmatched.len() == BATCH { self.place() } else { Ok(()) }
    }

    /// Everything still held goes out.
    pub fn finish(mut self) -> Result<Report, SyncError> {
        self.place()?;
        self.place_awaiting()?;
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
        let mut found = woo_by_sku(self.ctx, &skus)?;
        let classes_kept = self.ctx.settings.flows.writes("tax_class");
        for c in candidates {
            match found.remove(&c.sku) {
                Some(f) if f.parent.is_some() && classes_kept && !c.price_only => self.await_parent(c, f)?,
                Some(f) => self.place_update(c, &f, &BTreeMap::new())?,
                None if c.price_only => {
                    let sku = c.sku.clone();
                    self.report.skip(format!("SKU {sku}"), "its price changed, but no WooCommerce product has the SKU")
                }
                None => self.place_create(c)?,
            }
        }
        Ok(())
    }

    fn place_create(&mut self, c: Candidate) -> Result<(), SyncError> {
        let mut body = c.body.clone();
        match self.tax_class(&c, None)? {
            Ok(class) => insert_class(&mut body, class),
            Err(why) => {
                self.report.add(format!("article {}", c.sku), Outcome::Failed(why));
                return Ok(());
            }
        }
        body.insert("type".into(), json!("simple"));
        self.creates.push((c, Value::Object(body), Vec::new()));
        if self.creates.len() == BATCH {
            let full = std::mem::take(&mut self.creates);
            self.send("products/batch", "create", full, Outcome::Created)?;
        }
        Ok(())
    }

    fn place_update(&mut self, c: Candidate, f: &Found, parents: &BTreeMap<u64, String>) -> Result<(), SyncError> {
        let mut body = c.body.clone();
        body.insert("id".into(), json!(f.id));
        if self.ctx.settings.flows.writes("tax_class") && !c.price_only {
            match self.tax_class(&c, f.parent.and_then(|p| parents.get(&p)))? {
                Ok(class) => insert_class(&mut body, class),
                Err(why) => {
                    self.report.add(format!("article {}", c.sku), Outcome::Failed(why));
                    return Ok(());
                }
            }
        }
        let route = match f.parent {
            Some(parent) => {
                body.remove("name");
                format!("products/{parent}/variations/batch")
            }
            None => "products/batch".to_owned(),
        };
        let fields = changed_fields(&body, &f.current);
        let held = self.updates.entry(route.clone()).or_default();
        held.push((c, Value::Object(body), fields));
        if held.len() == BATCH {
            let full = std::mem::take(held);
            self.send(&route, "update", full, Outcome::Updated)?;
        }
        Ok(())
    }

    /// The class for the candidate's VAT, "parent" for a variation whose parent has that
    /// class already; `None` when the article names no VAT.
    fn tax_class(
        &mut self,
        c: &Candidate,
        parent_class: Option<&String>,
    ) -> Result<Result<Option<String>, String>, SyncError> {
        let Some(vat) = c.vat else { return Ok(Ok(None)) };
        if self.tax_classes.is_none() {
            self.tax_classes = Some(TaxClasses::load(self.ctx)?);
        }
        let classes = self.tax_classes.as_ref().expect("just loaded");
        Ok(classes.class_for(vat).map(|class| match parent_class {
            Some(p) if product_slug(p) == class => Some("parent".to_owned()),
            _ => Some(class),
        }))
    }

    /// Holds a variation until its parent's class is read, with a hundred parents' a call.
    fn await_parent(&mut self, c: Candidate, f: Found) -> Result<(), SyncError> {
        self.awaiting_parent.push((c, f));
        let parents: BTreeSet<u64> = self.awaiting_parent.iter().filter_map(|(_, f)| f.parent).collect();
        if parents.len() >= PARENTS_PER_READ { self.place_awaiting() } else { Ok(()) }
    }

    /// Reads the held variations' parents' classes (one call) and places the variations.
    fn place_awaiting(&mut self) -> Result<(), SyncError> {
        let awaiting = std::mem::take(&mut self.awaiting_parent);
        if awaiting.is_empty() {
            return Ok(());
        }
        let ids: BTreeSet<u64> = awaiting.iter().filter_map(|(_, f)| f.parent).collect();
        let parents = self.parent_classes(&ids)?;
        for (c, f) in awaiting {
            self.place_update(c, &f, &parents)?;
        }
        Ok(())
    }

    /// The tax class of each of the parents `ids` (at most a hundred: one call).
    fn parent_classes(&self, ids: &BTreeSet<u64>) -> Result<BTreeMap<u64, String>, SyncError> {
        let mut classes = BTreeMap::new();
        let list: Vec<String> = ids.iter().map(u64::to_string).collect();
        let route = format!("products?include={}", list.join(","));
        woo_client::for_each(self.ctx.net, &self.ctx.endpoints.woocommerce, &route, |p| {
            if let (Some(id), Some(class)) = (p["id"].as_u64(), p["tax_class"].as_str()) {
                classes.insert(id, class.to_owned());
            }
        })?;
        Ok(classes)
    }

    fn send(&mut self, route: &str, op: &str, items: Vec<Item>, outcome: Outcome) -> Result<(), SyncError> {
        if items.is_empty() {
            return Ok(());
        }
        if self.ctx.dry_run {
            for (c, body, fields) in items {
                self.record(&c, &outcome, fields, &body);
            }
            return Ok(());
        }
        let bodies: Vec<Value> = items.iter().map(|(_, b, _)| b.clone()).collect();
        let results = woo_batch::send(self.ctx.net, &self.ctx.endpoints.woocommerce, route, op, &bodies)?;
        for ((candidate, _, fields), result) in items.into_iter().zip(results) {
            self.done += 1;
            self.ctx.progress.step("products", self.done, self.done.max(self.report.changes.len() as u64 + 1));
            match result {
                Ok(product) => {
                    remember(self.ctx, &candidate)?;
                    self.record(&candidate, &outcome, fields, &product);
                }
                Err(why) => self.report.add(format!("article {}", candidate.sku), Outcome::Failed(why)),
            }
        }
        Ok(())
    }

    /// `product`: the product as WooCommerce answered (or, in a dry run, the body sent),
    /// whose id names the item's other side.
    fn record(&mut self, c: &Candidate, outcome: &Outcome, fields: Vec<FieldChange>, product: &Value) {
        let item = format!("article {}", c.sku);
        let target = product["id"].as_u64().map(|id| format!("product {id}")).unwrap_or_default();
        match outcome {
            Outcome::Updated => self.report.updated_to(item, target, fields),
            Outcome::Created => self.report.add(item, Outcome::Made(target)),
            other => self.report.add(item, other.clone()),
        }
    }
}

fn insert_class(body: &mut Map<String, Value>, class: Option<String>) {
    if let Some(class) = class {
        body.insert("tax_class".into(), json!(class));
    }
}

/// What an update body changes against the store's current product, field by field as
/// the merchant would read them. A variation following its parent shows its class as "".
fn changed_fields(body: &Map<String, Value>, current: &Value) -> Vec<FieldChange> {
    let shown = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    body.iter()
        .filter(|(k, _)| !matches!(k.as_str(), "id" | "sku" | "meta_data" | "type"))
        .filter_map(|(k, new)| {
            let old = &current[k.as_str()];
            let same = old == new
                || shown(old) == shown(new)
                || (k == "tax_class" && new == "parent" && matches!(old.as_str(), Some("" | "parent")));
            (!same).then(|| FieldChange { field: k.clone(), old: shown(old), new: shown(new) })
        })
        .collect()
}

/// WooCommerce's product or variation per SKU: (id, parent for a variation). An exact
/// SKU search finds variations too; up to a hundred SKUs a call.
fn woo_by_sku(ctx: &Ctx, skus: &[&str]) -> Result<BTreeMap<String, Found>, SyncError> {
    let mut found = BTreeMap::new();
    let searchable: Vec<String> = skus.iter().filter(|s| !s.contains(',')).map(|s| encode(s)).collect();
    if searchable.is_empty() {
        return Ok(found);
    }
    let route = format!("products?sku={}", searchable.join(","));
    woo_client::for_each(ctx.net, &ctx.endpoints.woocommerce, &route, |p| {
        let parent = p["parent_id"].as_u64().filter(|id| *id != 0);
        if let (Some(sku), Some(id)) = (p["sku"].as_str(), p["id"].as_u64()) {
            found.insert(sku.to_owned(), Found { id, parent, current: p.clone() });
        }
    })?;
    Ok(found)
}

fn remember(ctx: &Ctx, c: &Candidate) -> Result<(), SyncError> {
    let key = format!("product:{}", c.sku);
    let mut written: Written = state::load(ctx.kv, &key)?.unwrap_or_default();
    if !c.price_only {
        written.hash = hash(&c.body, c.hashed_vat(ctx));
    }
    written.price = c.price.or(written.price);
    state::save(ctx.kv, &key, &written)
}
