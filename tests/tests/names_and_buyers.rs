//! What reaches Fortnox from generated orders is text, not HTML: row descriptions and
//! customer names carry neither `&amp;` nor tags, whatever the merchant typed and the store
//! escaped; a buyer known only by an organisation number is a company named from the
//! billing name.

use proptest::prelude::*;
use serde_json::Value;
use woonox_guest::settings::Settings;
use woonox_guest::{map_customer, map_order};
use woonox_tests::gen_order::order;

/// What a typed name should read as on a Fortnox row, worked out by hand for the names
/// the generator uses (not by the code under test).
fn as_text(typed: &str) -> String {
    typed.replace("&amp;", "&").replace("<b>", "").replace("</b>", "").replace('–', "-").replace(['“', '”'], "\"")
}

fn markup_free(text: &str) -> bool {
    !text.contains("&amp;") && !text.contains('<') && !text.contains('>')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn row_descriptions_are_the_names_as_text(o in order()) {
        prop_assume!(!o.refused);
        // A store without decimals may miss Fortnox's total beyond the tolerance: not this test's point.
        let Ok(mapped) = map_order(&o.json, Some("1"), &Settings::default()) else { return Ok(()) };
        let rows = mapped.body["Order"]["OrderRows"].as_array().cloned().unwrap_or_default();
        for ((sku, _), typed) in o.lines.iter().zip(&o.names) {
            for row in rows.iter().filter(|r| r["ArticleNumber"] == sku.as_str()) {
                prop_assert_eq!(row["Description"].as_str().unwrap_or_default(), as_text(typed));
            }
        }
        if o.names.iter().any(|n| n.contains('&')) {
            prop_assert!(o.json.contains("&amp;"), "the generator should escape names as the store does");
        }
    }

    #[test]
    fn a_buyer_with_an_organisation_number_is_a_company(o in order()) {
        let mapped = map_customer(&o.json, &Settings::default()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let c: &Value = &mapped.body["Customer"];
        prop_assert!(markup_free(c["Name"].as_str().unwrap_or_default()), "{}", c);
        match &o.buyer.org_number {
            Some(org) => {
                prop_assert_eq!(&c["Type"], "COMPANY");
                prop_assert_eq!(&c["Name"], "Fika & Co AB");
                prop_assert_eq!(c["OrganisationNumber"].as_str(), Some(org.as_str()));
            }
            None => {
                prop_assert_eq!(&c["Type"], "PRIVATE");
                prop_assert_eq!(&c["Name"], "Anna Andersson");
            }
        }
    }
}
