//! The Fortnox company's set-up in the stand-in, as `woonox doctor` reads it: price lists,
//! modes of payment, the chart of accounts, financial years and currencies, and which
//! scopes the connection may use. Each is state a test can change to put the stand-in
//! into a state a merchant's company can be in (a missing currency, an inactive account,
//! no financial year for today, a module without licence).

use crate::fortnox::{Shared, State, error, guarded, listed};
use axum::Router;
use axum::extract::{Path, Query, Request, State as Axum};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Datelike;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub struct Company {
    /// Mode of payment code → its account.
    pub modes_of_payment: BTreeMap<String, u32>,
    /// Account number → active.
    pub accounts: BTreeMap<u32, bool>,
    /// (from, to) as "YYYY-MM-DD".
    pub financial_years: Vec<(String, String)>,
    /// Currency code → SEK per unit. SEK itself is not listed: Fortnox has it always.
    pub currencies: BTreeMap<String, f64>,
    /// Scopes this connection may not use: Fortnox answers 403 to every request under them.
    pub denied_scopes: BTreeSet<String>,
    /// Scopes whose module the company has no licence for (code 2001101 instead).
    pub unlicensed_scopes: BTreeSet<String>,
}

/// BAS accounts a small Swedish web shop's chart holds (BAS 2024, the ones woonox's
/// defaults and examples name).
const ACCOUNTS: [u32; 20] = [
    1510, 1580, 1910, 1920, 1930, 1940, 2611, 2621, 2631, 2614, 3001, 3002, 3003, 3004, 3105, 3106, 3520, 3540, 3740,
    6570,
];

impl Default for Company {
    fn default() -> Self {
        let year = chrono::Utc::now().year();
        Company {
            modes_of_payment: BTreeMap::from([("BG".into(), 1930), ("KORT".into(), 1580), ("SWISH".into(), 1930)]),
            accounts: ACCOUNTS.iter().map(|&n| (n, true)).collect(),
            financial_years: (year - 1..=year + 1).map(|y| (format!("{y}-01-01"), format!("{y}-12-31"))).collect(),
            currencies: BTreeMap::from([
                ("DKK".into(), 1.50),
                ("EUR".into(), 11.20),
                ("NOK".into(), 0.98),
                ("USD".into(), 10.45),
            ]),
            denied_scopes: BTreeSet::new(),
            unlicensed_scopes: BTreeSet::new(),
        }
    }
}

/// The scope a `/3/` resource needs (docs/fortnox-api.md §1.7).
pub fn scope_of(path: &str) -> Option<&'static str> {
    let resource = path.strip_prefix("/3/")?.split('/').next()?;
    Some(match resource {
        "articles" => "article",
        "prices" | "pricelists" => "price",
        "customers" => "customer",
        "orders" => "order",
        "invoices" => "invoice",
        "invoicepayments" => "payment",
        "currencies" => "currency",
        "modesofpayments" => "settings",
        "accounts" | "financialyears" => "bookkeeping",
        "companyinformation" => "companyinformation",
        _ => return None,
    })
}

/// Refuses a request under a denied or unlicensed scope, as Fortnox does before reading it.
pub async fn scopes(Axum(state): Axum<Shared>, request: Request, next: Next) -> Response {
    let refused = scope_of(request.uri().path()).and_then(|scope| {
        let s = crate::lock(&state);
        if s.company.unlicensed_scopes.contains(scope) {
            Some(error(StatusCode::FORBIDDEN, 2001101, "Det finns ingen aktiv licens för önskat scope"))
        } else if s.company.denied_scopes.contains(scope) {
            Some(error(StatusCode::FORBIDDEN, 2000663, "Har inte behörighet för scope"))
        } else {
            None
        }
    });
    match refused {
        Some(response) => response,
        None => next.run(request).await,
    }
}

pub fn routes() -> Router<Shared> {
    use axum::routing::get;
    Router::new()
        .route("/3/pricelists/{code}", get(get_price_list))
        .route("/3/modesofpayments/{code}", get(get_mode_of_payment))
        .route("/3/accounts/{number}", get(get_account))
        .route("/3/financialyears", get(list_financial_years))
        .route("/3/currencies/{code}", get(get_currency))
        .route("/3/invoicepayments/{number}", get(get_payment))
}

async fn get_price_list(Axum(state): Axum<Shared>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    guarded(&state, &headers, |s| {
        if !s.prices.has_list(&code) {
            return Err((404, 2000430, format!("Kan inte hitta prislistan {code}")));
        }
        Ok(json!({ "PriceList": { "@url": format!("/3/pricelists/{code}"), "Code": code,
                                  "Description": format!("Prislista {code}"), "Comments": "",
                                  "PreSelected": code == crate::fortnox_prices::DEFAULT_LIST } }))
    })
}

async fn get_mode_of_payment(Axum(state): Axum<Shared>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    guarded(&state, &headers, |s| match s.company.modes_of_payment.get(&code) {
        Some(account) => Ok(json!({ "ModeOfPayment": { "@url": format!("/3/modesofpayments/{code}"), "Code": code,
                                                        "Description": code, "AccountNumber": account.to_string() } })),
        None => Err((404, 2000747, format!("Kan inte hitta betalningssättet {code}"))),
    })
}

async fn get_account(Axum(state): Axum<Shared>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    guarded(&state, &headers, |s| {
        let active = number.parse().ok().and_then(|n: u32| s.company.accounts.get(&n).copied());
        match active {
            Some(active) => Ok(json!({ "Account": { "@url": format!("/3/accounts/{number}"),
                                                     "Number": number.parse::<u32>().unwrap_or_default(),
                                                     "Description": format!("Konto {number}"), "Active": active,
                                                     "Year": 1, "VATCode": "", "SRU": 0 } })),
            None => Err((404, 2001304, format!("Kontot {number} finns inte"))),
        }
    })
}

/// `GET /3/financialyears[?Date=YYYY-MM-DD]`: every year, or the one holding the date.
async fn list_financial_years(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let date = q.iter().find(|(k, _)| k.eq_ignore_ascii_case("date")).map(|(_, v)| v.clone());
    listed(&state, &headers, &q, "FinancialYears", |s| {
        let years = s.company.financial_years.iter().enumerate();
        years
            .filter(|(_, (from, to))| date.as_deref().is_none_or(|d| from.as_str() <= d && d <= to.as_str()))
            .map(|(i, (from, to))| {
                json!({ "@url": format!("/3/financialyears/{}", i + 1), "Id": i + 1, "FromDate": from,
                        "ToDate": to, "AccountingMethod": "ACCRUAL", "accountCharts": "BAS 2024" })
            })
            .collect()
    })
}

async fn get_currency(Axum(state): Axum<Shared>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    guarded(&state, &headers, |s| match s.company.currencies.get(&code) {
        Some(rate) => Ok(json!({ "Currency": { "Code": code, "BuyRate": rate, "SellRate": rate, "Unit": 1,
                                                "Date": "2026-11-26" } })),
        None => Err((404, 2000433, format!("Valutan {code} finns inte"))),
    })
}

/// `GET /3/invoicepayments/{number}`: one payment (a Fortnox event names the payment).
async fn get_payment(Axum(state): Axum<Shared>, headers: HeaderMap, Path(number): Path<String>) -> Response {
    guarded(&state, &headers, |s| {
        let found = s.documents.payments.iter().find(|p| p["Number"].as_u64().is_some_and(|n| n.to_string() == number));
        match found {
            Some(payment) => Ok(json!({ "InvoicePayment": payment })),
            None => Err((404, 2000212, format!("Kan inte hitta inbetalningen {number}"))),
        }
    })
}

/// `GET /3/invoicepayments`: the payments registered so far.
pub(crate) async fn list_payments(
    Axum(state): Axum<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    listed(&state, &headers, &q, "InvoicePayments", |s: &State| s.documents.payments.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_resource_woonox_reads_names_its_scope() {
        assert_eq!(scope_of("/3/articles/TS-1"), Some("article"));
        assert_eq!(scope_of("/3/pricelists/A"), Some("price"));
        assert_eq!(scope_of("/3/financialyears"), Some("bookkeeping"));
        assert_eq!(scope_of("/api/warehouse/status-v1/stockbalance"), None);
    }

    #[test]
    fn the_default_company_has_a_financial_year_for_today() {
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert!(Company::default().financial_years.iter().any(|(f, t)| *f <= today && today <= *t));
    }
}
