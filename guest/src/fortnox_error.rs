//! Fortnox's error answers, read whatever their capitalisation, and told in plain English
//! with what the merchant can do. Fortnox's own messages are often Swedish.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FortnoxError {
    pub code: Option<u64>,
    /// Fortnox's own message, as sent.
    pub message: String,
}

impl FortnoxError {
    /// Reads `{"ErrorInformation": {"error": 1, "message": "…", "code": 2000423}}`, with
    /// keys in any case, the code as a number or a string, and the OAuth endpoints'
    /// `{"error": "…", "error_description": "…"}`. `None` when the body is neither.
    pub fn parse(body: &str) -> Option<FortnoxError> {
        let value: Value = serde_json::from_str(body).ok()?;
        let object = value.as_object()?;
        if let Some(info) = field(&value, "errorinformation") {
            let code = field(info, "code").and_then(|c| c.as_u64().or_else(|| c.as_str()?.trim().parse().ok()));
            let message = field(info, "message").and_then(Value::as_str).unwrap_or_default().to_owned();
            return Some(FortnoxError { code, message });
        }
        let oauth: OAuthError = serde_json::from_value(Value::Object(object.clone())).ok()?;
        Some(FortnoxError { code: None, message: format!("{}: {}", oauth.error, oauth.error_description) })
    }

    /// What happened and what to do, in English; Fortnox's own words follow in brackets.
    pub fn explain(&self) -> String {
        let own = if self.message.is_empty() { String::new() } else { format!(" (Fortnox said: {})", self.message) };
        match self.code.and_then(explanation) {
            Some(text) => format!("{text}{own}"),
            None => match self.code {
                Some(code) => format!("Fortnox refused the request with code {code}{own}"),
                None => format!("Fortnox refused the request{own}"),
            },
        }
    }
}

#[derive(Deserialize)]
struct OAuthError {
    error: String,
    #[serde(default)]
    error_description: String,
}

fn field<'a>(value: &'a Value, lower: &str) -> Option<&'a Value> {
    value.as_object()?.iter().find(|(k, _)| k.to_ascii_lowercase() == lower).map(|(_, v)| v)
}

/// The codes merchants meet, from Fortnox's error list and what integrations report.
fn explanation(code: u64) -> Option<&'static str> {
    Some(match code {
        1000003 => "Fortnox had an internal error; woonox will try again later",
        1000030 | 1000031 => "Fortnox did not accept the request's format (a woonox bug: please report it)",
        2000106 => "a value must contain only letters and digits",
        2000108 => "a value must be a number",
        2000134 => "a value must be true or false",
        2000166 => "the article number contains characters Fortnox does not allow; change the SKU in WooCommerce",
        2000310 | 2000311 => "Fortnox did not accept woonox's login; reconnect with `woonox connect fortnox`",
        2000359 => "a text contains characters Fortnox does not allow",
        2000423 => {
            "an account in the request does not exist in the Fortnox chart of accounts; add it or change the account settings"
        }
        2000588 => "a search parameter was not valid",
        2000637 => "that customer number is already used in Fortnox (numbers are never reused, even after deletion)",
        2000729 => "no valid identifier was given",
        2001101 => {
            "the Fortnox company has no active licence for this part of Fortnox; activate the module or change the integration's scopes"
        }
        2001103 => {
            "the Fortnox company has no API licence; the company's administrator must activate the integration licence"
        }
        2001304 => {
            "an account does not exist in the Fortnox chart of accounts (often a sales account); add it in Fortnox or change the account settings"
        }
        2001392 => "the request body was empty or incorrect (a woonox bug: please report it)",
        2001399 => {
            "a field was sent that Fortnox does not accept (read-only or unknown; a woonox bug: please report it)"
        }
        2002115 => "the request was not valid JSON (a woonox bug: please report it)",
        2003977 => "a document row has neither an article number nor a description",
        2001302 => {
            "an article number on a row does not exist in Fortnox; create the article in Fortnox or correct the SKU in WooCommerce"
        }
        2000433 => "Fortnox could not find what was asked for (a customer, document or article that is gone)",
        2000716 => "the Fortnox order is cancelled or already invoiced",
        2000750 => "the invoice is cancelled",
        2000751 => "the invoice is booked and can no longer be cancelled; credit it instead",
        2000752 => "the invoice cannot be credited (unbooked, already credited, or itself a credit)",
        2000753 => "the invoice is booked or cancelled and can no longer be changed",
        2000760 => "a VAT rate on a row is not set up in Fortnox (by default only 25, 12 and 6 % exist)",
        2001089 => "the payment date is before the invoice date",
        2004167 => "a row uses a VAT rate that needs an account number; set the sales-account matrix for it",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swedish_answer_is_explained_in_english() {
        let e = FortnoxError::parse(
            r#"{"ErrorInformation":{"error":1,"message":"Kan inte hitta kontot.","code":2000423}}"#,
        )
        .unwrap();
        assert_eq!(e.code, Some(2000423));
        let text = e.explain();
        assert!(text.starts_with("an account in the request does not exist"), "{text}");
        assert!(text.ends_with("(Fortnox said: Kan inte hitta kontot.)"), "{text}");
    }

    #[test]
    fn other_capitalisation_and_string_codes_are_read() {
        let e = FortnoxError::parse(
            r#"{"errorInformation":{"Error":"1","Message":"Ogiltig inloggning","Code":"2000310"}}"#,
        )
        .unwrap();
        assert_eq!(e.code, Some(2000310));
        assert!(e.explain().contains("woonox connect fortnox"));
    }

    #[test]
    fn an_unknown_code_still_says_something_useful() {
        let e = FortnoxError::parse(r#"{"ErrorInformation":{"message":"Något gick fel","code":2999999}}"#).unwrap();
        assert_eq!(e.explain(), "Fortnox refused the request with code 2999999 (Fortnox said: Något gick fel)");
    }

    #[test]
    fn oauth_errors_and_non_errors() {
        let e =
            FortnoxError::parse(r#"{"error":"invalid_grant","error_description":"Invalid refresh token"}"#).unwrap();
        assert_eq!(e.message, "invalid_grant: Invalid refresh token");
        assert_eq!(FortnoxError::parse(r#"{"Article":{}}"#), None);
        assert_eq!(FortnoxError::parse("<html>"), None);
    }
}
