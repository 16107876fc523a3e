//! Checks one JSON body against a schema of Fortnox's spec the way Fortnox answers: the
//! first field that breaks a rule is named in a Swedish message with Fortnox's error code.
//! Rules: unknown fields, read-only fields, JSON types, `maxLength`/`minLength`, `enum`,
//! `minimum`/`maximum`, `int32` and `date` formats. `required` is left to the handlers
//! (an update is a partial merge, and Fortnox answers each missing field with its own code).
//!
//! Everything here that the spec does not say itself — the read-only fields the spec
//! leaves unflagged, and every place the stand-in is looser than the spec — is in the two
//! tables at the end of this file, each row with its source, and in `ASSUMPTIONS.md`.

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use std::str::FromStr;

/// A refusal: Fortnox's error code and a message naming the field.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub code: u64,
    pub message: String,
}

/// Fortnox's codes (`docs/fortnox-api.md` §2.5): 2001399 invalid field name,
/// 2000106/2000108/2000134 value must be alphanumeric/numeric/boolean, 2001392 empty or
/// incorrect body. 2000588 for a value outside what the spec allows is the stand-in's
/// choice (documented for invalid parameters; see `ASSUMPTIONS.md`).
const INVALID_FIELD: u64 = 2001399;
const NOT_TEXT: u64 = 2000106;
const NOT_NUMERIC: u64 = 2000108;
const NOT_BOOLEAN: u64 = 2000134;
const INVALID_VALUE: u64 = 2000588;
const BAD_BODY: u64 = 2001392;

fn refuse(code: u64, message: String) -> Result<(), Violation> {
    Err(Violation { code, message })
}

/// Where a value sits: its path for messages, and the definition and field holding it
/// (what the tables below are keyed by).
struct At<'s> {
    path: String,
    owner: &'s str,
    field: &'s str,
}

pub struct Checker<'d> {
    definitions: &'d Map<String, Value>,
}

impl<'d> Checker<'d> {
    pub fn new(definitions: &'d Map<String, Value>) -> Checker<'d> {
        Checker { definitions }
    }

    pub fn body(&self, schema: &'d Value, body: &Value) -> Result<(), Violation> {
        if !body.is_object() {
            return refuse(BAD_BODY, "Felaktig eller tom request body".into());
        }
        self.value(schema, body, &At { path: String::new(), owner: "", field: "" })
    }

    fn value(&self, schema: &'d Value, value: &Value, at: &At) -> Result<(), Violation> {
        let (schema, name) = self.resolve(schema);
        if value == API_BLANK {
            return Ok(());
        }
        if let Some(properties) = schema["properties"].as_object() {
            return self.object(properties, name.unwrap_or(at.owner), value, at);
        }
        match schema["type"].as_str() {
            Some("array") => self.array(&schema["items"], value, at),
            Some("string") => text(schema, value, at),
            Some("number" | "integer") => number(schema, value, at),
            Some("boolean") if value.is_boolean() => Ok(()),
            Some("boolean") => refuse(NOT_BOOLEAN, format!("Värdet för {} måste vara true eller false", at.path)),
            // A schema the spec leaves open.
            _ => Ok(()),
        }
    }

    /// Follows `$ref`s, answering the schema and the name of the last definition reached.
    fn resolve(&self, mut schema: &'d Value) -> (&'d Value, Option<&'d str>) {
        let mut name = None;
        while let Some(target) = schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/definitions/")) {
            let Some((key, found)) = self.definitions.get_key_value(target) else { break };
            (schema, name) = (found, Some(key.as_str()));
        }
        (schema, name)
    }

    fn object(&self, properties: &'d Map<String, Value>, owner: &str, value: &Value, at: &At) -> Result<(), Violation> {
        let Some(fields) = value.as_object() else {
            return refuse(INVALID_VALUE, format!("Värdet för {} måste vara ett objekt", at.path));
        };
        for (field, v) in fields {
            let path = if at.path.is_empty() { field.clone() } else { format!("{}.{field}", at.path) };
            let Some(schema) = properties.get(field) else {
                return refuse(INVALID_FIELD, format!("Ogiltigt fältnamn: {path}"));
            };
            if read_only(owner, field) {
                return refuse(INVALID_FIELD, format!("Ogiltigt fältnamn: {path} är skrivskyddat"));
            }
            self.value(schema, v, &At { path, owner, field })?;
        }
        Ok(())
    }

    fn array(&self, items: &'d Value, value: &Value, at: &At) -> Result<(), Violation> {
        let Some(elements) = value.as_array() else {
            return refuse(INVALID_VALUE, format!("Värdet för {} måste vara en lista", at.path));
        };
        for (i, element) in elements.iter().enumerate() {
            self.value(items, element, &At { path: format!("{}[{i}]", at.path), ..*at })?;
        }
        Ok(())
    }
}

fn text(schema: &Value, value: &Value, at: &At) -> Result<(), Violation> {
    let s = match value {
        Value::String(s) => s,
        Value::Number(_) if NUMBERS_FOR_STRINGS.contains(&(at.owner, at.field)) => return Ok(()),
        _ => return refuse(NOT_TEXT, format!("Värdet för {} måste vara text", at.path)),
    };
    let length = s.chars().count() as u64;
    if let Some(max) = schema["maxLength"].as_u64().filter(|max| length > *max) {
        return refuse(NOT_TEXT, format!("Värdet för {} är för långt (högst {max} tecken)", at.path));
    }
    if let Some(min) = schema["minLength"].as_u64().filter(|min| length < *min) {
        return refuse(NOT_TEXT, format!("Värdet för {} är för kort (minst {min} tecken)", at.path));
    }
    if schema["enum"].as_array().is_some_and(|allowed| !allowed.contains(value)) {
        return refuse(INVALID_VALUE, format!("Ogiltigt värde för {}: {s}", at.path));
    }
    if schema["format"] == "date" && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
        return refuse(INVALID_VALUE, format!("Ogiltigt datum för {}: {s} (ÅÅÅÅ-MM-DD)", at.path));
    }
    Ok(())
}

fn number(schema: &Value, value: &Value, at: &At) -> Result<(), Violation> {
    let integer = schema["type"] == "integer";
    let parsed = match value {
        Value::Number(n) => decimal(&n.to_string()),
        Value::String(s) if !integer => decimal(s.trim()),
        _ => None,
    };
    let Some(n) = parsed.filter(|n| !integer || n.fract().is_zero()) else {
        let kind = if integer { "ett heltal" } else { "numeriskt" };
        return refuse(NOT_NUMERIC, format!("Värdet för {} måste vara {kind}", at.path));
    };
    let bound = |key: &str| schema[key].as_f64().and_then(|b| Decimal::try_from(b).ok());
    let (min, max) = match schema["format"].as_str() {
        Some("int32") => (Some(Decimal::from(i32::MIN)), Some(Decimal::from(i32::MAX))),
        _ => (None, None),
    };
    let min = bound("minimum").or(min);
    let max = bound("maximum").or(max);
    let too_small = min.is_some_and(|m| n < m || (n == m && schema["exclusiveMinimum"] == true));
    let too_big = max.is_some_and(|m| n > m || (n == m && schema["exclusiveMaximum"] == true));
    if too_small || too_big {
        let range = format!(
            "{}–{}",
            min.map(|m| m.to_string()).unwrap_or_default(),
            max.map(|m| m.to_string()).unwrap_or_default()
        );
        return refuse(INVALID_VALUE, format!("Värdet för {} är utanför tillåtet intervall {range}: {n}", at.path));
    }
    Ok(())
}

fn decimal(s: &str) -> Option<Decimal> {
    Decimal::from_str(s).or_else(|_| Decimal::from_scientific(s)).ok()
}

fn read_only(definition: &str, field: &str) -> bool {
    READ_ONLY.iter().any(|(d, fields, _)| *d == definition && fields.contains(&field))
}

// ---------------------------------------------------------------------------------------
// What the spec does not say. Keep every row sourced; mirror changes in ASSUMPTIONS.md.
// ---------------------------------------------------------------------------------------

/// Fields Fortnox computes or keeps for itself. The 2023 spec flags none as `readOnly`
/// (`shared/specs/fortnox/SOURCE.txt`), so they come from `docs/fortnox-api.md` §3, which
/// took them from the C# SDK's `[ReadOnly]` annotations, the Ruby gem and maintainers' issues.
pub const READ_ONLY: &[(&str, &[&str], &str)] = &[
    (
        "Article",
        &["@url", "SalesPrice", "DisposableQuantity", "ReservedQuantity", "StockValue", "SupplierName"],
        "docs §3.1; SalesPrice refused with 400: C# SDK #154 (prices go through /3/prices)",
    ),
    (
        "Order",
        &[
            "@url",
            "@urlTaxReductionList",
            "InvoiceReference",
            "OfferReference",
            "Cancelled",
            "Sent",
            "Total",
            "TotalVAT",
            "TotalToPay",
            "Net",
            "Gross",
            "RoundOff",
            "FreightVAT",
            "AdministrationFeeVAT",
            "WarehouseReady",
            "OrderType",
            "OrganisationNumber",
            "ContributionPercent",
            "ContributionValue",
        ],
        "docs §3.5 (C# SDK [ReadOnly]); totals are server-computed: C# SDK #247",
    ),
    ("Order_OrderRow", &["Total", "ReservedQuantity", "ContributionPercent", "ContributionValue"], "docs §3.5"),
    ("InvoicePayload", &["CreditInvoiceReference"], "docs §3.6: set by PUT /credit, never by a body"),
    ("Customer", &["@url", "Country"], "docs §3.4: Country is derived from CountryCode"),
    (
        "InvoicePayment",
        &[
            "@url",
            "Number",
            "Booked",
            "Currency",
            "Source",
            "InvoiceTotal",
            "InvoiceCustomerNumber",
            "VoucherNumber",
            "VoucherSeries",
            "VoucherYear",
        ],
        "docs §3.7",
    ),
    ("Price", &["@url", "Date"], "docs §3.2: Date is set by Fortnox"),
];

/// The value that clears a field on PUT (docs §2.4: "API_BLANK as a field value clears
/// the field"), whatever the field's type; accepted everywhere.
pub const API_BLANK: &str = "API_BLANK";

/// Fields the spec types `string` that hold quantities. The documented example body sends
/// them as JSON numbers (docs §3.5: `"OrderedQuantity": 2`), and long-used clients
/// serialise them as numbers: annytab/a-fortnox-client (C#, `decimal? OrderedQuantity`,
/// `OrderRow.cs`) and accodeing/fortnox-api (Ruby, `Float`, `models/order_row.rb`).
/// Numbers are accepted here; strings stay valid too.
pub const NUMBERS_FOR_STRINGS: &[(&str, &str)] = &[
    ("Order_OrderRow", "OrderedQuantity"),
    ("Order_OrderRow", "DeliveredQuantity"),
    ("InvoicePayload_InvoiceRow", "DeliveredQuantity"),
];

/// Every way the check is looser than the spec, for the record (tests and ASSUMPTIONS.md
/// read the same facts): (what is accepted, why / source).
pub const DEVIATIONS: &[(&str, &str)] = &[
    (
        "quantities typed string (NUMBERS_FOR_STRINGS) sent as JSON numbers",
        "the documented example (docs §3.5) and the C# and Ruby clients send numbers",
    ),
    (
        "numeric strings where the spec says `number` (e.g. \"Price\": \"100.50\"), never where it says `integer`",
        "Fortnox's loose typing: it sends numbers as strings itself (docs §3.8); unverified for input",
    ),
    ("\"API_BLANK\" as the value of any field", "docs §2.4: it clears the field on PUT"),
];
