//! What must agree between the real store's answer and the stand-in's: the status, the
//! error code, the keys of the body (and of the nested entries that matter), the values
//! that matter, and the paging headers. Each difference comes back as one line of text.

use super::{Answer, Ids, Kind};
use serde_json::Value;
use std::collections::BTreeSet;

/// Nested entries whose keys and values are compared too.
const DEEP: [&str; 20] = [
    "data",
    "params",
    "details",
    "line_items",
    "shipping_lines",
    "fee_lines",
    "coupon_lines",
    "tax_lines",
    "taxes",
    "refunds",
    "billing",
    "shipping",
    "meta_data",
    "create",
    "update",
    "delete",
    "error",
    "attributes",
    "default_attributes",
    "dimensions",
];

/// Values that matter wherever they appear: money, taxes, names, stock, classes, codes.
const VALUES: [&str; 62] = [
    "name",
    "sku",
    "type",
    "status",
    "price",
    "regular_price",
    "sale_price",
    "on_sale",
    "tax_status",
    "tax_class",
    "manage_stock",
    "stock_quantity",
    "stock_status",
    "total_sales",
    "currency",
    "prices_include_tax",
    "total",
    "total_tax",
    "subtotal",
    "subtotal_tax",
    "discount_total",
    "discount_tax",
    "shipping_total",
    "shipping_tax",
    "cart_tax",
    "quantity",
    "method_id",
    "method_title",
    "code",
    "discount",
    "rate_id",
    "rate_code",
    "label",
    "tax_total",
    "shipping_tax_total",
    "rate_percent",
    "compound",
    "amount",
    "reason",
    "refunded_payment",
    "note",
    "customer_note",
    "email",
    "first_name",
    "last_name",
    "company",
    "role",
    "username",
    "slug",
    "rate",
    "class",
    "country",
    "key",
    "value",
    "topic",
    "resource",
    "event",
    "discount_type",
    "individual_use",
    "payment_method",
    "message",
    "option",
];

/// Ids that point at other resources, compared through the id map.
const ID_REFS: [(&str, Kind); 5] = [
    ("product_id", Kind::Post),
    ("variation_id", Kind::Post),
    ("parent_id", Kind::Post),
    ("customer_id", Kind::User),
    ("resource_id", Kind::Post),
];

/// Dates whose presence (set or null) matters, not their value.
const SET_OR_NULL: [&str; 3] = ["date_paid", "date_paid_gmt", "date_completed"];

pub struct Check<'a> {
    pub ids: &'a Ids,
    /// What the top-level `id`s of this route are (posts, users, webhooks).
    pub kind: Option<Kind>,
    pub out: Vec<String>,
}

/// The query of a `Link` URL as a set of parameters, without the ones that cannot agree:
/// credentials (`oauth_*`, `consumer_*`) and `modified_after`, a moment of the recording.
fn link_query(link: Option<&str>, rel: &str) -> BTreeSet<(String, String)> {
    let part = link.unwrap_or("").split(',').find(|p| p.contains(&format!("rel=\"{rel}\"")));
    let url = part.and_then(|p| p.split('<').nth(1)?.split('>').next()).unwrap_or("");
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| !k.starts_with("oauth_") && !k.starts_with("consumer_") && k != "modified_after")
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

impl Check<'_> {
    pub fn status(&mut self, recorded: &Value, ours: &Answer) {
        if recorded["status"].as_u64() != Some(ours.status as u64) {
            self.out.push(format!("status {} (real {})", ours.status, recorded["status"]));
        }
    }

    /// `X-WP-Total`, `X-WP-TotalPages` (present or not, and equal) and the `Link` rels.
    pub fn paging(&mut self, recorded: &Value, ours: &Answer) {
        let headers = &recorded["headers"];
        for name in ["X-WP-Total", "X-WP-TotalPages"] {
            let real = headers[name].as_str();
            if real != ours.header(name) {
                self.out.push(format!("header {name} {:?} (real {real:?})", ours.header(name)));
            }
        }
        let rels = |link: Option<&str>| {
            let link = link.unwrap_or("");
            [r#"rel="next""#, r#"rel="prev""#].map(|r| link.contains(r))
        };
        let (real, got) = (rels(headers["Link"].as_str()), rels(ours.header("Link")));
        if real != got {
            self.out.push(format!("Link next/prev {got:?} (real {real:?})"));
        }
        for rel in ["next", "prev"] {
            let (real, got) = (link_query(headers["Link"].as_str(), rel), link_query(ours.header("Link"), rel));
            if real != got {
                self.out.push(format!("Link rel={rel} query {got:?} (real {real:?})"));
            }
        }
    }

    pub fn body(&mut self, recorded: &Value, ours: &Value) {
        self.walk("", recorded, ours, 0);
    }

    fn walk(&mut self, at: &str, real: &Value, ours: &Value, depth: usize) {
        match (real, ours) {
            (Value::Array(r), Value::Array(o)) => {
                if r.len() != o.len() {
                    self.out.push(format!("{at}: {} entries (real {})", o.len(), r.len()));
                }
                let (r, o) = self.tie_free(at, r, o);
                for (i, (a, b)) in r.iter().zip(o.iter()).enumerate() {
                    self.walk(&format!("{at}[{i}]"), a, b, depth);
                }
            }
            (Value::Object(_), Value::Object(_)) => self.object(at, real, ours, depth),
            // A whole answer, or a deleted id, that is not an object: it must be the same.
            _ if (at.ends_with("delete]") || at.is_empty())
                && real != ours
                && !(real.is_number() && ours.is_number()) =>
            {
                self.out.push(format!("{at}: {ours} (real {real})"));
            }
            _ => {}
        }
    }

    /// The store orders a list by date; among equal dates the order is the database's and
    /// not defined (exchanges 31 and 36 list products created in one second; 60 and 94
    /// notes). So a top-level list is compared group by group of equal recorded dates, each
    /// group in a fixed order (by id, or by text for notes, whose ids the client never saw).
    fn tie_free(&self, at: &str, r: &[Value], o: &[Value]) -> (Vec<Value>, Vec<Value>) {
        let (mut r, mut o) = (r.to_vec(), o.to_vec());
        if !at.is_empty() || r.len() != o.len() {
            return (r, o);
        }
        let key = |x: &Value, mapped: bool| -> String {
            match (x.get("note"), self.kind) {
                (Some(n), _) => self.note_text(n).to_string(),
                (None, Some(kind)) => {
                    let id = x["id"].as_u64().unwrap_or(0);
                    format!("{:020}", if mapped { self.ids.get(kind, id) } else { id })
                }
                _ => String::new(),
            }
        };
        let mut start = 0;
        while start < r.len() {
            let date = r[start]["date_created_gmt"].clone();
            let end = (start..r.len()).find(|i| r[*i]["date_created_gmt"] != date).unwrap_or(r.len());
            if !date.is_null() {
                r[start..end].sort_by_key(|x| key(x, true));
                o[start..end].sort_by_key(|x| key(x, false));
            }
            start = end;
        }
        (r, o)
    }

    /// A recorded note with the product ids it names ("Item #13 stock increased…") mapped.
    fn note_text(&self, note: &Value) -> Value {
        let text = note.as_str().unwrap_or("");
        match text.strip_prefix("Item #").and_then(|rest| rest.split_once(' ')) {
            Some((id, rest)) if id.parse::<u64>().is_ok() => {
                Value::from(format!("Item #{} {rest}", self.ids.get(Kind::Post, id.parse().unwrap())))
            }
            _ => note.clone(),
        }
    }

    fn object(&mut self, at: &str, real: &Value, ours: &Value, depth: usize) {
        let (rk, ok) = (keys(real), keys(ours));
        if rk != ok {
            let missing: Vec<&String> = rk.difference(&ok).collect();
            let extra: Vec<&String> = ok.difference(&rk).collect();
            self.out.push(format!("{at}: keys missing {missing:?}, extra {extra:?}"));
        }
        let in_taxes = at.contains("taxes[");
        for (k, rv) in real.as_object().into_iter().flatten() {
            let Some(ov) = ours.get(k) else { continue };
            let here = format!("{at}.{k}");
            if k == "note" {
                self.same(&here, &self.note_text(rv), ov);
            } else if VALUES.contains(&k.as_str()) && !(k == "value" && at.contains("line")) {
                self.same(&here, rv, ov);
            } else if let Some((_, kind)) = ID_REFS.iter().find(|(name, _)| name == k) {
                self.same(&here, &self.ids.value(*kind, rv), ov);
            } else if SET_OR_NULL.contains(&k.as_str()) && rv.is_null() != ov.is_null() {
                self.out.push(format!("{here}: {ov} (real {rv})"));
            } else if k == "id" && (in_taxes || at.ends_with("tax_lines")) {
                self.same(&here, rv, ov);
            } else if k == "id" && depth == 0 && !at.contains('.') {
                if let Some(kind) = self.kind {
                    self.same(&here, &self.ids.value(kind, rv), ov);
                }
            } else if k == "data" && !rv.is_object() {
                // A too-large refund's bare-number `data` (exchanges 55, 92).
                self.same(&here, rv, ov);
            }
            if DEEP.contains(&k.as_str()) && depth < 3 {
                self.walk(&here, rv, ov, depth + 1);
            }
        }
    }

    fn same(&mut self, at: &str, real: &Value, ours: &Value) {
        let equal = match (real, ours) {
            // Line prices are floats: the store's 296.320755 is our 296.320755 to 1e-6.
            (Value::Number(a), Value::Number(b)) => (a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-6,
            _ => real == ours,
        };
        if !equal {
            self.out.push(format!("{at}: {ours} (real {real})"));
        }
    }
}
