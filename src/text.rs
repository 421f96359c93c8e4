//! Text and the terminal: what may not be in a text an operator gives (names, contact,
//! expected account, return URL...), text from outside (Google's error descriptions,
//! Blaxel's messages, id_token claims) made safe to store and show, and text escaped where
//! the CLI prints it for a person. One class of characters throughout ([`is_unsafe`]):
//! controls would reach an operator's terminal as escape sequences (clearing the screen,
//! setting the clipboard, faking timeline lines); bidi controls and line separators make
//! it show something else than what is there ("Trojan Source").

use std::borrow::Cow;

/// Longest outside text kept, in characters.
pub const MAX_OUTSIDE_TEXT: usize = 500;

/// C0 and C1 controls (DEL too), the bidi embedding, override and isolate controls
/// (U+202A-U+202E, U+2066-U+2069), the bidi marks (left-to-right U+200E, right-to-left
/// U+200F, Arabic letter U+061C) and the line and paragraph separators (U+2028, U+2029).
/// The zero-width joiner and non-joiner (U+200D, U+200C) are not among them: names in
/// Persian or Indic scripts, and emoji, need them.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// What kind of character [`is_unsafe`] refused, for a message.
fn kind(c: char) -> &'static str {
    match c {
        '\u{2028}' | '\u{2029}' => "a line or paragraph separator",
        c if c.is_control() => "a control character",
        _ => "a bidi control",
    }
}

/// The one check of text an operator gives: `Err` names the first character of the
/// [`is_unsafe`] class it holds, and where.
pub fn refuse_unsafe(text: &str) -> Result<(), String> {
    match text.chars().enumerate().find(|(_, c)| is_unsafe(*c)) {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "character {} is U+{:04X}, {}: control characters, bidi controls and line separators are not allowed",
            at + 1,
            u32::from(c),
            kind(c)
        )),
    }
}

/// Replace [`is_unsafe`] characters with U+FFFD and cut to `MAX_OUTSIDE_TEXT` characters.
pub fn clean(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(MAX_OUTSIDE_TEXT)
        .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
        .collect();
    if text.chars().nth(MAX_OUTSIDE_TEXT).is_some() {
        out.push('…');
    }
    out
}

/// `text` as a person's terminal may show it: every [`is_unsafe`] character written out
/// as `\n`, `\r`, `\t` or `\u{...}`, the rest as it is.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_but(text, None)
}

/// [`escape`], keeping line feeds: for messages of our own that span lines.
pub fn escape_keeping_lines(text: &str) -> Cow<'_, str> {
    escape_but(text, Some('\n'))
}

fn escape_but(text: &str, keep: Option<char>) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && Some(c) != keep) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if Some(c) == keep || !is_unsafe(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
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

    /// One character of each class [`is_unsafe`] holds.
    const UNSAFE: [char; 15] = [
        '\u{0}', '\u{1b}', '\n', '\u{7f}', '\u{85}', '\u{9b}', '\u{202a}', '\u{202e}', '\u{2066}',
        '\u{2069}', '\u{2028}', '\u{2029}', '\u{200e}', '\u{200f}', '\u{61c}',
    ];

    #[test]
    fn escapes_and_newlines_are_neutralised() {
        assert_eq!(
            clean("x\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\nfake line"),
            "x\u{FFFD}]52;c;ZXZpbA==\u{FFFD}\u{FFFD}[2J\u{FFFD}fake line"
        );
        assert_eq!(clean("plain: 400 BAD_REQUEST"), "plain: 400 BAD_REQUEST");
        assert_eq!(clean("abc\u{202e}fed"), "abc\u{FFFD}fed");
        assert_eq!(
            clean(&"a".repeat(600)).chars().count(),
            MAX_OUTSIDE_TEXT + 1
        );
    }

    #[test]
    fn each_class_is_refused_and_joiners_are_kept() {
        for c in UNSAFE {
            let why = refuse_unsafe(&format!("Acme{c}Corp")).unwrap_err();
            assert!(why.starts_with("character 5 is U+"), "{why}");
        }
        for ok in [
            "Acme Corp",
            "\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}", // Persian, with ZWNJ
            "\u{915}\u{94d}\u{200d}\u{937}",                             // Devanagari, with ZWJ
            "\u{1f469}\u{200d}\u{1f4bb} Ops",                            // an emoji sequence
            "Émile Zoë Ørsted 株式会社",
        ] {
            assert_eq!(refuse_unsafe(ok), Ok(()), "{ok}");
            assert_eq!(escape(ok), ok);
        }
    }

    #[test]
    fn escaping_writes_each_unsafe_character_out() {
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\ny\tz\r"), "x\\ny\\tz\\r");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape_keeping_lines("one\ntwo\u{7}"), "one\ntwo\\u{7}");
    }

    #[test]
    fn the_bidi_marks_are_refused_and_written_out_too() {
        // Left-to-right, right-to-left and Arabic letter marks: Trojan Source lists them.
        for (c, out) in [
            ('\u{200e}', "\\u{200e}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{61c}', "\\u{61c}"),
        ] {
            let why = refuse_unsafe(&format!("ab{c}c")).unwrap_err();
            assert!(why.contains("a bidi control"), "{why}");
            assert_eq!(escape(&format!("ab{c}c")), format!("ab{out}c"));
            assert_eq!(clean(&format!("ab{c}c")), "ab\u{FFFD}c");
        }
    }

    proptest! {
        #[test]
        fn output_never_holds_an_unsafe_character(s in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\\u{2028}\\u{2029}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}\\u{200e}\\u{200f}\\u{61c}a-z]{0,50}") {
            prop_assert!(!clean(&s).chars().any(is_unsafe));
            prop_assert!(!escape(&s).chars().any(is_unsafe));
            prop_assert!(!escape_keeping_lines(&s).chars().any(|c| is_unsafe(c) && c != '\n'));
        }

        #[test]
        fn text_with_any_unsafe_character_is_refused(
            before in "\\PC{0,20}",
            after in "\\PC{0,20}",
            pick in 0usize..UNSAFE.len(),
        ) {
            let c = UNSAFE[pick];
            let text = format!("{before}{c}{after}");
            prop_assert!(refuse_unsafe(&text).is_err(), "{:?}", text);
        }

        #[test]
        fn escaping_is_the_identity_on_safe_text(s in "\\PC*") {
            prop_assume!(!s.chars().any(is_unsafe));
            prop_assert_eq!(escape(&s), s.as_str());
        }
    }
}
