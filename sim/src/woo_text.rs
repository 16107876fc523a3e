//! How WordPress stores the names a client sends (exchanges 82 to 85): a bare `&` becomes
//! `&amp;`, an entity already written stays as it is, and everything else (`<b>` tags, an
//! en dash, quotes, `%`) is kept. Names come back from the API that way.

/// `name` as the store keeps it: each `&` that does not start an entity (`&amp;`, `&#38;`,
/// `&#x26;`) is escaped, so storing a stored name again changes nothing.
pub fn stored_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.char_indices() {
        if c == '&' && !starts_entity(&name[i + 1..]) {
            out.push_str("&amp;");
        } else {
            out.push(c);
        }
    }
    out
}

/// `rest` follows an `&`: a named entity (`amp;`), or a decimal or hex one (`#38;`, `#x26;`).
fn starts_entity(rest: &str) -> bool {
    let Some(end) = rest.find(';') else { return false };
    let body = &rest[..end];
    match body.strip_prefix('#') {
        Some(num) => match num.strip_prefix(['x', 'X']) {
            Some(hex) => !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()),
            None => !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()),
        },
        None => !body.is_empty() && body.len() <= 32 && body.chars().all(|c| c.is_ascii_alphanumeric()),
    }
}

#[cfg(test)]
mod tests {
    use super::stored_name;

    #[test]
    fn only_a_bare_ampersand_is_escaped_as_in_exchange_82() {
        assert_eq!(
            stored_name("Kaffe & Te – \"Deluxe\" <b>fet</b> 100%"),
            "Kaffe &amp; Te – \"Deluxe\" <b>fet</b> 100%"
        );
    }

    #[test]
    fn a_stored_name_stored_again_is_unchanged() {
        let once = stored_name("Fika & Co &amp; AT&T &#38; &x");
        assert_eq!(once, "Fika &amp; Co &amp; AT&amp;T &#38; &amp;x");
        assert_eq!(stored_name(&once), once);
    }
}
