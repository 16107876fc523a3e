//! A WooCommerce customer, or a guest order's billing and shipping, → a Fortnox Customer.

use super::text::clean;
use super::vat::vat_type;
use crate::error::{MapError, Mapped};
use crate::model::{decode, woo};
use crate::settings::Settings;
use serde_json::{Map, Value};

/// Who is buying, whichever WooCommerce object it came from.
struct Buyer {
    customer_id: u64,
    email: String,
    first_name: String,
    last_name: String,
    billing: woo::Address,
    shipping: woo::Address,
    meta: Vec<woo::Meta>,
    currency: String,
}

pub fn map_customer(json: &str, settings: &Settings) -> Result<Mapped, MapError> {
    settings.validate()?;
    let buyer = buyer(json)?;
    let mut warnings = Vec::new();
    let mut c = Map::new();
    // Cleaned before choosing, so a name that is only markup (`<b></b>`) counts as none.
    let company = clean(&trimmed(&buyer.billing.company), 1024);
    let person = clean(&format!("{} {}", trimmed(&buyer.billing.first_name), trimmed(&buyer.billing.last_name)), 1024);
    let person = if person.is_empty() {
        clean(&format!("{} {}", buyer.first_name.trim(), buyer.last_name.trim()), 1024)
    } else {
        person
    };
    let org_number = woo::meta_text(&buyer.meta, &settings.customer.org_number_meta_key);
    let vat_number = woo::meta_text(&buyer.meta, &settings.customer.vat_number_meta_key);
    let name = [company.clone(), person, clean(&buyer.email, 1024)].into_iter().find(|s| !s.is_empty());
    let name = name.ok_or_else(|| MapError::field("billing", "no company, name or email to name the customer by"))?;
    // An organisation number makes a company even when `billing.company` is empty (it is
    // often kept in order meta only); the name then comes from the billing name.
    let is_company = !company.is_empty() || org_number.is_some();
    put(&mut c, "Name", name);
    put(&mut c, "Type", if is_company { "COMPANY" } else { "PRIVATE" }.into());
    put(&mut c, "Email", clean(&buyer.email, 1024));
    put(&mut c, "OrganisationNumber", clean(org_number.as_deref().unwrap_or_default(), 30));
    put(&mut c, "VATNumber", clean(vat_number.as_deref().unwrap_or_default(), 30));
    let country = country_code(&buyer.billing.country, "billing.country", &mut warnings);
    put(&mut c, "Address1", clean(&trimmed(&buyer.billing.address_1), 1024));
    put(&mut c, "Address2", clean(&trimmed(&buyer.billing.address_2), 1024));
    put(&mut c, "City", clean(&trimmed(&buyer.billing.city), 1024));
    put(&mut c, "ZipCode", zip(&buyer.billing.postcode, "billing.postcode", &mut warnings));
    put(&mut c, "CountryCode", country.clone());
    put(&mut c, "Phone1", clean(&trimmed(&buyer.billing.phone), 1024));
    let currency = if buyer.currency.trim().len() == 3 {
        buyer.currency.trim().to_ascii_uppercase()
    } else {
        settings.customer.default_currency.clone()
    };
    put(&mut c, "Currency", currency);
    let vat = vat_type(&country, vat_number.as_deref(), &settings.customer.home_country);
    put(&mut c, "VATType", vat.as_fortnox().into());
    if buyer.customer_id > 0 {
        put(&mut c, "ExternalReference", format!("woonox:{}:customer:{}", settings.store_id, buyer.customer_id));
    }
    insert_delivery(&mut c, &buyer.shipping, &mut warnings);
    Ok(Mapped { body: Value::Object(Map::from_iter([("Customer".to_owned(), Value::Object(c))])), warnings })
}

/// An order (it has `line_items`) gives its billing and shipping; otherwise a customer.
fn buyer(json: &str) -> Result<Buyer, MapError> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| MapError::from_json("the WooCommerce customer or order is not valid JSON", e))?;
    if value.get("line_items").is_some() {
        let order: woo::Order = decode(json, "the WooCommerce order", None)?;
        return Ok(Buyer {
            customer_id: order.customer_id,
            email: trimmed(&order.billing.email),
            first_name: String::new(),
            last_name: String::new(),
            billing: order.billing,
            shipping: order.shipping,
            meta: order.meta_data,
            currency: order.currency,
        });
    }
    let customer: woo::Customer = decode(json, "the WooCommerce customer", None)?;
    let email = [trimmed(&customer.billing.email), trimmed(&customer.email)].into_iter().find(|e| !e.is_empty());
    Ok(Buyer {
        customer_id: customer.id,
        email: email.unwrap_or_default(),
        first_name: customer.first_name.unwrap_or_default(),
        last_name: customer.last_name.unwrap_or_default(),
        billing: customer.billing,
        shipping: customer.shipping,
        meta: customer.meta_data,
        currency: String::new(),
    })
}

fn trimmed(s: &Option<String>) -> String {
    s.as_deref().unwrap_or_default().trim().to_owned()
}

fn put(c: &mut Map<String, Value>, key: &str, value: String) {
    if !value.is_empty() {
        c.insert(key.into(), Value::from(value));
    }
}

/// Two ASCII letters, upper case; anything else is dropped with a warning.
fn country_code(country: &Option<String>, field: &str, warnings: &mut Vec<String>) -> String {
    let code = trimmed(country).to_ascii_uppercase();
    if code.is_empty() || (code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())) {
        return code;
    }
    warnings.push(format!("{field}: {code:?} is not a two-letter country code; left out"));
    String::new()
}

/// Fortnox takes at most 10 characters; a longer postcode is cut and the user told.
fn zip(postcode: &Option<String>, field: &str, warnings: &mut Vec<String>) -> String {
    let full = clean(&trimmed(postcode), 1024);
    if full.chars().count() > 10 {
        warnings.push(format!("{field}: {full:?} is longer than Fortnox's 10 characters; cut"));
    }
    clean(&full, 10)
}

fn insert_delivery(c: &mut Map<String, Value>, shipping: &woo::Address, warnings: &mut Vec<String>) {
    if trimmed(&shipping.address_1).is_empty() {
        return;
    }
    let name =
        [trimmed(&shipping.company), format!("{} {}", trimmed(&shipping.first_name), trimmed(&shipping.last_name))]
            .into_iter()
            .map(|s| s.trim().to_owned())
            .find(|s| !s.is_empty())
            .unwrap_or_default();
    put(c, "DeliveryName", clean(&name, 1024));
    put(c, "DeliveryAddress1", clean(&trimmed(&shipping.address_1), 1024));
    put(c, "DeliveryAddress2", clean(&trimmed(&shipping.address_2), 1024));
    put(c, "DeliveryCity", clean(&trimmed(&shipping.city), 1024));
    put(c, "DeliveryZipCode", zip(&shipping.postcode, "shipping.postcode", warnings));
    put(c, "DeliveryCountryCode", country_code(&shipping.country, "shipping.country", warnings));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(json: Value) -> Value {
        map_customer(&json.to_string(), &Settings::default()).unwrap().body["Customer"].clone()
    }

    #[test]
    fn an_organisation_number_makes_a_company_named_from_the_billing_name() {
        let c = mapped(serde_json::json!({ "id": 7, "total": "100.00", "line_items": [], "customer_id": 3,
            "billing": { "first_name": "Fika & Co", "last_name": "AB", "company": "", "email": "a@b.se", "country": "SE" },
            "meta_data": [{ "key": "_billing_org_number", "value": "556677-8899" }] }));
        assert_eq!((c["Type"].as_str(), c["Name"].as_str()), (Some("COMPANY"), Some("Fika & Co AB")));
        assert_eq!(c["OrganisationNumber"], "556677-8899");
    }

    #[test]
    fn names_arrive_as_text_not_html() {
        // Exchange 85: the account's own names come back escaped, billing as typed.
        let c = mapped(
            serde_json::json!({ "id": 3, "email": "e@f.se", "first_name": "Fika &amp; Co", "last_name": "AB",
            "billing": { "company": "Bröd &amp; <b>Salt</b> AB", "address_1": "Kungsgatan 5 <br>", "email": "e@f.se" } }),
        );
        assert_eq!(c["Name"], "Bröd & Salt AB");
        assert_eq!(c["Address1"], "Kungsgatan 5");
        let c =
            mapped(serde_json::json!({ "id": 3, "email": "e@f.se", "first_name": "Fika &amp; Co", "last_name": "AB",
            "billing": { "company": "<b></b>", "email": "e@f.se" } }));
        assert_eq!((c["Name"].as_str(), c["Type"].as_str()), (Some("Fika & Co AB"), Some("PRIVATE")));
    }
}
