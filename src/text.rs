//! Text from outside (Google's error descriptions, Blaxel's messages, id_token claims) made
//! safe to store and show: control characters would reach an operator's terminal as escape
//! sequences (clearing the screen, setting the clipboard, faking timeline lines).

/// Longest outside text kept, in characters.
pub const MAX_OUTSIDE_TEXT: usize = 500;

/// Replace control characters with U+FFFD and cut to `MAX_OUTSIDE_TEXT` characters.
pub fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_OUTSIDE_TEXT)
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    if text.chars().nth(MAX_OUTSIDE_TEXT).is_some() {
        out.push('…');
    }
    out
}

/// Fill `{{name}}` placeholders in one pass; values are not scanned again, and an unknown
/// name is left as it is.
pub fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let extra: usize = vars.iter().map(|(_, v)| v.len()).sum();
    let mut out = String::with_capacity(template.len() + extra);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = &after[..end];
                match vars.iter().find(|(k, _)| *k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push_str("{{");
                        out.push_str(name);
                        out.push_str("}}");
                    }
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_and_newlines_are_neutralised() {
        assert_eq!(
            clean("x\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\nfake line"),
            "x\u{FFFD}]52;c;ZXZpbA==\u{FFFD}\u{FFFD}[2J\u{FFFD}fake line"
        );
        assert_eq!(clean("plain: 400 BAD_REQUEST"), "plain: 400 BAD_REQUEST");
        assert_eq!(
            clean(&"a".repeat(600)).chars().count(),
            MAX_OUTSIDE_TEXT + 1
        );
    }

    proptest! {
        #[test]
        fn output_never_holds_a_control_character(s in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f]{0,50}") {
            prop_assert!(!clean(&s).chars().any(char::is_control));
        }
    }
}
