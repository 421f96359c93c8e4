//! The ready-to-send message for a consent link: the template in
//! `assets/locales/en/message.txt` (or `message.txt` in the config directory, when there is
//! one) with the tenant's name, the link, its expiry and what the customer will be asked
//! filled in. The text has one line per paragraph (mail and chat clients wrap it themselves,
//! and never break the link), whatever the template's own line breaks; the expiry reads in
//! the operator's time zone.

use std::path::Path;

use crate::domain::model::{ExpectedAccount, Integration};

const DEFAULT: &str = include_str!("../assets/locales/en/message.txt");

/// What goes into the message.
pub struct MessageFacts<'a> {
    pub tenant: &'a str,
    pub link: &'a str,
    /// The link's expiry as RFC 3339 (as views carry it).
    pub expires: &'a str,
    pub integration: Integration,
    pub expected: Option<&'a ExpectedAccount>,
}

/// The template the operator set: `message.txt` in the user's config directory if it
/// exists and reads, else the built-in one.
pub fn configured_template() -> String {
    template(crate::config::dirs::config_dir().as_deref())
}

/// The template: `config_dir/message.txt` if it exists and reads, else the built-in one.
pub fn template(config_dir: Option<&Path>) -> String {
    config_dir
        .map(|d| d.join("message.txt"))
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| DEFAULT.to_owned())
}

/// The message, its expiry in the operator's local time zone.
pub fn render(template: &str, f: &MessageFacts<'_>) -> String {
    render_in(template, f, &crate::time::local_zone())
}

/// The message, its expiry in `zone`.
pub fn render_in(template: &str, f: &MessageFacts<'_>, zone: &jiff::tz::TimeZone) -> String {
    let expires =
        crate::time::rfc3339_for_people(f.expires, zone).unwrap_or_else(|| f.expires.to_owned());
    let account = match f.expected {
        Some(ExpectedAccount::Email(m)) => format!(" Please sign in with {m}."),
        Some(ExpectedAccount::Domain(d)) => format!(" Please sign in with your {d} account."),
        None => String::new(),
    };
    crate::text::fill(
        &one_line_per_paragraph(template),
        &[
            ("tenant", f.tenant),
            ("link", f.link),
            ("expires", &expires),
            ("access", f.integration.access_summary()),
            ("account", &account),
        ],
    )
}

/// The template's paragraphs (separated by blank lines), each on one line: the lines of a
/// hard-wrapped paragraph are joined with a space.
fn one_line_per_paragraph(template: &str) -> String {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    for line in template.lines().map(str::trim).chain([""]) {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    let mut out = paragraphs.join("\n\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(link: &'a str, expected: Option<&'a ExpectedAccount>) -> MessageFacts<'a> {
        MessageFacts {
            tenant: "Acme Ltd",
            link,
            expires: "2026-12-08T12:00:00Z",
            integration: Integration::Gmail,
            expected,
        }
    }

    #[test]
    fn the_message_names_the_tenant_the_link_and_the_expiry_as_people_read_it() {
        let ann = ExpectedAccount::Email("ann@acme.com".into());
        let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("the bundled tzdb");
        let m = render_in(
            &template(None),
            &facts("https://onboard.example.com/c/abc", Some(&ann)),
            &paris,
        );
        assert!(m.starts_with("Hello Acme Ltd,"), "{m}");
        assert!(m.contains("https://onboard.example.com/c/abc"));
        assert!(
            m.contains("expires Tuesday 8 December 2026, 13:00 CET."),
            "{m}"
        );
        assert!(!m.contains("2026-12-08T"), "{m}");
        assert!(m.contains("Please sign in with ann@acme.com."));
        assert!(m.contains("send email as you"));
        assert!(!m.contains("{{"), "{m}");
    }

    #[test]
    fn each_paragraph_is_one_line_and_the_link_one_piece() {
        let link = format!(
            "https://onboard.example.com/a/long/prefix/c/{}",
            "x".repeat(90)
        );
        let m = render_in(
            &template(None),
            &facts(&link, None),
            &jiff::tz::TimeZone::UTC,
        );
        let lines: Vec<&str> = m.lines().collect();
        // Paragraphs alternate with single blank lines, and the text ends with one newline.
        for (i, l) in lines.iter().enumerate() {
            assert_eq!(l.is_empty(), i % 2 == 1, "line {i} of {m:?}");
        }
        assert!(m.ends_with("/permissions.\n"), "{m:?}");
        assert!(
            lines.contains(&link.as_str()),
            "the link alone on its line: {m}"
        );
        let asked = lines
            .iter()
            .find(|l| l.contains("Google will ask you to allow it to send email as you"))
            .expect("the paragraph of what is asked");
        assert!(
            asked.contains("and expires Tuesday 8 December 2026, 12:00 UTC."),
            "{asked}"
        );
    }

    #[test]
    fn a_hard_wrapped_template_of_ones_own_comes_out_one_line_per_paragraph() {
        let own = "Dear {{tenant}},\n\nplease open\n   {{link}}\nbefore {{expires}}.\n\n\n\nThanks,\nthe team\n";
        let m = render_in(
            own,
            &facts("https://x.example/c/abc", None),
            &jiff::tz::TimeZone::UTC,
        );
        assert_eq!(
            m,
            "Dear Acme Ltd,\n\nplease open https://x.example/c/abc before Tuesday 8 December 2026, 12:00 UTC.\n\nThanks, the team\n"
        );
    }
}
