//! `doctor`: reads both sides of a connection and lists each setting that will make a
//! sync fail or go wrong, with its fix, before any document is written. It writes
//! nothing, and one check's failure never stops the others: a merchant sees every
//! problem in one run.

use super::api::{Service, names_a_missing_item};
use super::transport::Request;
use super::{Ctx, SyncError, doctor_fortnox, doctor_webhooks, doctor_woo};
use crate::fortnox_error::FortnoxError;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Warning,
    Failing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// "fortnox" or "woocommerce".
    pub side: &'static str,
    pub check: String,
    pub verdict: Verdict,
    pub detail: String,
    /// Empty when nothing needs doing.
    pub fix: String,
}

impl Finding {
    pub fn ok(side: &'static str, check: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding { side, check: check.into(), verdict: Verdict::Ok, detail: detail.into(), fix: String::new() }
    }

    pub fn warning(
        side: &'static str,
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding { side, check: check.into(), verdict: Verdict::Warning, detail: detail.into(), fix: fix.into() }
    }

    pub fn failing(
        side: &'static str,
        check: impl Into<String>,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Finding {
        Finding { side, check: check.into(), verdict: Verdict::Failing, detail: detail.into(), fix: fix.into() }
    }
}

/// Why a read got no answer to check: the service refused it, or could not be reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The HTTP status; 0 when there was no answer.
    pub status: u16,
    /// Fortnox's error code, when it sent one.
    pub code: Option<u64>,
    /// The refusal in plain words.
    pub text: String,
}

/// A read's outcome: the body, `None` for a 404, or why there is nothing to check.
pub type Read = Result<Option<Value>, Refused>;

/// One GET, never retried by the doctor itself (the host paces and retries 429s).
pub fn read(ctx: &Ctx, service: Service, url: &str) -> Read {
    let response = match ctx.net.send(&Request::get(url)) {
        Ok(r) => r,
        Err(e) => {
            return Err(Refused {
                status: 0,
                code: None,
                text: SyncError::from_transport(service.name(), e).to_string(),
            });
        }
    };
    match response.status {
        200 => serde_json::from_slice(&response.body).map(Some).map_err(|e| Refused {
            status: 200,
            code: None,
            text: format!("{} sent something that is not JSON: {e}", service.name()),
        }),
        404 if names_a_missing_item(service, &response.text()) => Ok(None),
        status => Err(refusal(service, status, &response.text())),
    }
}

fn refusal(service: Service, status: u16, body: &str) -> Refused {
    let code = (service == Service::Fortnox).then(|| FortnoxError::parse(body).and_then(|e| e.code)).flatten();
    Refused { status, code, text: service.stop(status, body).to_string() }
}

/// What the store is, read once and shared by both sides' checks.
#[derive(Debug, Clone, Default)]
pub struct Store {
    pub currency: String,
    /// Currencies recent orders were paid in.
    pub order_currencies: Vec<String>,
    pub decimals: Option<u64>,
    pub hpos: Option<bool>,
}

/// What only the host knows.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// "YYYY-MM-DD" (the component has no clock).
    pub today: String,
    /// Where woonox's webhooks should deliver; `None` for a schedule-only connection.
    pub webhook_url: Option<String>,
}

/// Every check, WooCommerce's first (Fortnox's currency check needs the store's currency).
/// A side that cannot be read at all gives one failing finding that says why, and its
/// other checks are left out.
pub fn run(ctx: &Ctx, options: &Options) -> Vec<Finding> {
    let mut findings = Vec::new();
    let store = doctor_woo::run(ctx, &mut findings);
    if store.is_some() {
        doctor_webhooks::check(ctx, options.webhook_url.as_deref(), &mut findings);
    }
    let articles = doctor_fortnox::run(ctx, store.as_ref(), &options.today, &mut findings);
    if let (Some(_), Some(articles)) = (&store, &articles) {
        doctor_woo::sold_skus(ctx, articles, &mut findings);
        doctor_woo::tax_classes(ctx, articles, &mut findings);
    }
    findings
}
