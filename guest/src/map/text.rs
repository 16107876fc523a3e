//! Text that Fortnox accepts: its API rejects characters outside a Latin-1-like set
//! (error 2000359) and values over each field's length.

/// Replaces typographic characters with their plain equivalents, drops what Fortnox
/// rejects (emoji, control characters, other scripts), folds runs of white space and
/// cuts to `max` characters.
pub fn clean(input: &str, max: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max * 2));
    let mut last_space = true;
    for c in input.chars() {
        let replaced: &str = match c {
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{2032}' => "'",
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{2033}' => "\"",
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
            '\u{2026}' => "...",
            '\u{20AC}' => "EUR",
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
    fn cuts_to_the_limit_in_characters_not_bytes() {
        let s = "å".repeat(60);
        assert_eq!(clean(&s, 50).chars().count(), 50);
        assert_eq!(clean("abc def", 4), "abc");
    }
}
