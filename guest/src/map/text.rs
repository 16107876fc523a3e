//! Text that Fortnox accepts: its API rejects characters outside a Latin-1-like set
//! (error 2000359) and values over each field's length. WooCommerce hands names over as
//! HTML (`&` stored as `&amp;`, a merchant's `<b>` kept), which is markup, not text.

use std::borrow::Cow;

/// Elements that separate words on a page: dropping them leaves a space, not nothing.
const BREAKING_TAGS: [&str; 14] = ["br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "h1", "h2", "h3", "h4", "hr"];

/// The one way text goes to Fortnox: drops HTML tags, decodes HTML entities, replaces
/// typographic characters with their plain equivalents, drops what Fortnox rejects
/// (emoji, control characters, other scripts), folds runs of white space and cuts to `max`
/// characters.
pub fn clean(input: &str, max: usize) -> String {
    // Tags first: an entity such as `&lt;b&gt;` is text the merchant meant literally.
    let plain = without_tags(input);
    let plain = html_escape::decode_html_entities(plain.as_ref());
    let mut out = String::with_capacity(plain.len().min(max * 2));
    let mut last_space = true;
    for c in plain.chars() {
        let replaced: &str = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => "'",
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "\"",
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
            '\u{2026}' => "...",
            '\u{20AC}' => "EUR",
            '\u{2192}' => "->",
            c if c.is_whitespace() => " ",
            _ => "",
        };
        if !replaced.is_empty() {
            for r in replaced.chars() {
                push(&mut out, r, &mut last_space);
            }
        } else if allowed(c) {
            push(&mut out, c, &mut last_space);
        }
    }
    let trimmed = out.trim_end();
    trimmed.chars().take(max).collect::<String>().trim_end().to_owned()
}

/// The text with every HTML tag (`<b>`, `</b>`, `<br/>`, `<!-- -->`) removed. A `<` that
/// does not open a tag ("3 < 5") stays, and so does an unclosed one.
fn without_tags(input: &str) -> Cow<'_, str> {
    if !input.contains('<') {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let opens_tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        match after.find('>').filter(|_| opens_tag) {
            Some(end) => {
                if is_breaking(&after[..end]) {
                    out.push(' ');
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// `tag` is what stands between `<` and `>`, e.g. `/p` or `br class="x"`.
fn is_breaking(tag: &str) -> bool {
    let name: String = tag
        .trim_start_matches('/')
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    BREAKING_TAGS.contains(&name.as_str())
}

fn push(out: &mut String, c: char, last_space: &mut bool) {
    if c == ' ' {
        if !*last_space {
            out.push(' ');
        }
        *last_space = true;
    } else {
        out.push(c);
        *last_space = false;
    }
}

/// Printable ASCII and the printable Latin-1 supplement (å, ä, ö, é, ü, ß, £, §, °…).
fn allowed(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{A1}'..='\u{FF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_swedish_and_replaces_typography() {
        assert_eq!(clean("Kaffekopp “Blå” – 30 cl", 50), "Kaffekopp \"Blå\" - 30 cl");
        assert_eq!(clean("Räksmörgås…", 50), "Räksmörgås...");
    }

    #[test]
    fn drops_emoji_and_control_characters_and_folds_space() {
        assert_eq!(clean("Mugg 🎉\u{7}  extra\n\tstor ", 50), "Mugg extra stor");
    }

    #[test]
    fn decodes_entities_as_woocommerce_sends_them() {
        // Exchange 82: only `&` is escaped by the store; the rest stays as typed.
        assert_eq!(clean("Kaffe &amp; Te – \"Deluxe\" <b>fet</b> 100%", 50), "Kaffe & Te - \"Deluxe\" fet 100%");
        assert_eq!(clean("Fika &amp; Co", 50), "Fika & Co");
        assert_eq!(clean("Bröd&nbsp;&amp;&nbsp;Salt &#8211; &#x2019;s &rarr; &eacute;", 50), "Bröd & Salt - 's -> é");
    }

    #[test]
    fn decodes_once_so_an_escaped_entity_stays_readable() {
        assert_eq!(clean("A &amp;amp; B", 50), "A &amp; B");
        assert_eq!(clean("&lt;b&gt; is a tag", 50), "<b> is a tag");
    }

    #[test]
    fn drops_tags_but_keeps_a_lone_angle_bracket() {
        assert_eq!(clean("<b>Rea</b> <i>Mugg</i>", 50), "Rea Mugg");
        assert_eq!(clean("Rad ett<br/>rad två<p>tre</p>", 50), "Rad ett rad två tre");
        assert_eq!(clean("f<b>e</b>t <!-- x -->", 50), "fet");
        assert_eq!(clean("3 < 5 and 7 > 2", 50), "3 < 5 and 7 > 2");
        assert_eq!(clean("unclosed <b", 50), "unclosed <b");
        assert_eq!(clean("AT&T & Co", 50), "AT&T & Co");
    }

    #[test]
    fn cuts_after_decoding_so_an_entity_counts_as_one_character() {
        assert_eq!(clean("&amp;&amp;&amp;&amp;", 3), "&&&");
    }

    #[test]
    fn cuts_to_the_limit_in_characters_not_bytes() {
        let s = "å".repeat(60);
        assert_eq!(clean(&s, 50).chars().count(), 50);
        assert_eq!(clean("abc def", 4), "abc");
    }
}
