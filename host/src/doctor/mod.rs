//! `woonox doctor`: what will make a sync fail or go wrong, before anything is written.
//! The component reads both services (`doctor` in the contract); the host adds what only
//! it knows ([`local`]). The last examination is kept in the connection's state, where the
//! status page shows it.

pub mod events;
pub mod local;

use crate::connections::config::Config;
use crate::connections::connection::{Opened, Paths};
use crate::connections::webhook_setup::delivery_url;
use crate::runtime::Runtime;
use crate::runtime::connector_bindings::wit_sync::{self, DoctorOptions, Endpoints};
use crate::runtime::wit_settings::to_wit;
use crate::state::store::Store;
use anyhow::Result;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Warning,
    Failing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// "fortnox", "woocommerce" or "woonox".
    pub side: String,
    pub check: String,
    pub verdict: Verdict,
    pub detail: String,
    /// Empty when nothing needs doing.
    pub fix: String,
}

impl Finding {
    pub fn woonox(check: &str, verdict: Verdict, detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding { side: "woonox".into(), check: check.into(), verdict, detail: detail.into(), fix: fix.into() }
    }
}

/// One run of the doctor over a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Examination {
    pub connection: String,
    /// Unix seconds.
    pub at: i64,
    pub findings: Vec<Finding>,
}

impl Examination {
    pub fn count(&self, verdict: Verdict) -> usize {
        self.findings.iter().filter(|f| f.verdict == verdict).count()
    }
}

/// Where the last examination is kept in the connection's namespace (beside the
/// component's keys, which never start so).
const KEPT: &str = "woonox-host:doctor";

/// Everything the doctor needs of a connection that is open.
pub struct Patient<'a> {
    pub paths: &'a Paths,
    pub config: &'a Config,
    pub name: &'a str,
    pub opened: &'a Opened,
    pub state: &'a Store,
    pub settings: &'a woonox_guest::Settings,
    /// Fortnox's event socket, when serve is to take the events.
    pub fortnox_events: Option<&'a str>,
}

/// Runs every check and keeps the result for the status page.
pub async fn examine(patient: &Patient<'_>, runtime: &Runtime) -> Result<Examination> {
    // woonox's own first: the services' calls renew the Fortnox login, whose age as found
    // is what tells whether anything has used the connection lately.
    let own = local::checks(patient);
    let mut findings = services(patient, runtime).await?;
    if let Some(url) = patient.fortnox_events {
        findings.push(events::check(url, patient.opened).await);
    }
    findings.extend(own);
    // Each side's checks together, in the order they ran.
    findings.sort_by_key(|f| ["fortnox", "woocommerce", "woonox"].iter().position(|s| *s == f.side));
    let exam = Examination { connection: patient.name.to_owned(), at: chrono::Utc::now().timestamp(), findings };
    patient.state.namespace(patient.name).set(KEPT, &serde_json::to_vec(&exam)?)?;
    Ok(exam)
}

/// The last examination of connection `name`, if any.
pub fn last(state: &Store, name: &str) -> Result<Option<Examination>> {
    let kept = state.namespace(name).get(KEPT)?;
    Ok(kept.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

/// The component's checks of both services.
async fn services(p: &Patient<'_>, runtime: &Runtime) -> Result<Vec<Finding>> {
    let endpoints = Endpoints { fortnox: p.opened.fortnox_api.clone(), woocommerce: p.opened.store_url.clone() };
    let public = p.config.serve.public_url.as_deref();
    let options = DoctorOptions {
        // Fortnox's dates are Swedish.
        today: chrono::Utc::now().with_timezone(&swedish_time()).format("%Y-%m-%d").to_string(),
        webhook_url: public.and_then(|url| delivery_url(url, p.name).ok()),
    };
    let s = to_wit(p.settings);
    let found = runtime
        .call_sync(p.opened.context.clone(), async move |c, store| {
            Ok(c.woonox_connector_sync().call_doctor(store, &endpoints, &s, &options).await?)
        })
        .await?;
    Ok(found.into_iter().map(from_wit).collect())
}

/// Central European time, which Sweden keeps (a fixed +1 h is off by an hour in summer
/// only around midnight, where a financial year's edge is 31 December: winter).
fn swedish_time() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(3600).expect("one hour is a valid offset")
}

fn from_wit(f: wit_sync::Finding) -> Finding {
    let verdict = match f.verdict {
        wit_sync::Verdict::Ok => Verdict::Ok,
        wit_sync::Verdict::Warning => Verdict::Warning,
        wit_sync::Verdict::Failing => Verdict::Failing,
    };
    Finding { side: f.side, check: f.check, verdict, detail: f.detail, fix: f.fix }
}
