//! The ready-to-send message for a consent link, in the tenant's language: the operator's
//! own template when there is one (`message.<tag>.txt` for the tenant's language, else
//! `message.txt`, in the config directory), else the built-in template of the tenant's
//! language (`assets/locales/<tag>/message.txt`), English when the tenant has none. The
//! tenant's name, the link, its expiry and what the customer will be asked are filled in,
//! in the template's language: an operator's `message.txt` is taken to be English, as the
//! built-in one it replaces. The text has one line per paragraph (mail and chat clients
//! wrap it themselves, and never break the link), whatever the template's own line breaks;
//! the expiry reads in the operator's time zone, in the language's own date format.

use std::path::Path;

use crate::domain::model::{ExpectedAccount, Integration};
use crate::i18n::{Lang, date_time, text};

/// What goes into the message.
pub struct MessageFacts<'a> {
    pub tenant: &'a str,
    pub link: &'a str,
    /// The link's expiry as RFC 3339 (as views carry it).
    pub expires: &'a str,
    pub integration: Integration,
    pub expected: Option<&'a ExpectedAccount>,
    /// The tenant's language, if it has one.
    pub lang: Option<Lang>,
}

/// The operator's own templates, read from the config directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnTemplates {
    /// `message.txt`: for every tenant without a template of its language.
    pub any: Option<String>,
    /// `message.<tag>.txt`, by language.
    pub by_lang: Vec<(Lang, String)>,
}

/// The templates the operator set in the user's config directory, if any.
pub fn configured_template() -> OwnTemplates {
    template(crate::config::dirs::config_dir().as_deref())
}

/// The templates in `config_dir` (`message.txt`, `message.<tag>.txt`) that exist and read.
pub fn template(config_dir: Option<&Path>) -> OwnTemplates {
    let read = |name: &str| {
        config_dir
            .map(|d| d.join(name))
            .and_then(|p| std::fs::read_to_string(p).ok())
    };
    OwnTemplates {
        any: read("message.txt"),
        by_lang: Lang::all()
            .filter_map(|l| read(&format!("message.{}.txt", l.tag())).map(|t| (l, t)))
            .collect(),
    }
}

impl OwnTemplates {
    /// The template for a tenant of `lang`, and the language its fill-ins are in.
    fn pick(&self, lang: Option<Lang>) -> (&str, Lang) {
        let own = lang.and_then(|l| {
            self.by_lang
                .iter()
                .find(|(x, _)| *x == l)
                .map(|(x, t)| (t.as_str(), *x))
        });
        match (own, &self.any) {
            (Some(found), _) => found,
            (None, Some(any)) => (any.as_str(), Lang::EN),
            (None, None) => {
                let lang = lang.unwrap_or(Lang::EN);
                (lang.message_template(), lang)
            }
        }
    }
}

/// The message, its expiry in the operator's local time zone.
pub fn render(own: &OwnTemplates, f: &MessageFacts<'_>) -> String {
    render_in(own, f, &crate::time::local_zone())
}

/// The message, its expiry in `zone`.
pub fn render_in(own: &OwnTemplates, f: &MessageFacts<'_>, zone: &jiff::tz::TimeZone) -> String {
    let (template, lang) = own.pick(f.lang);
    let expires = f
        .expires
        .parse::<jiff::Timestamp>()
        .map(|t| date_time(lang, &t.to_zoned(zone.clone())))
        .unwrap_or_else(|_| f.expires.to_owned());
    let access = f.integration.profile().access_message;
    let account = match f.expected {
        Some(ExpectedAccount::Email(m)) => {
            text(lang, "message-account-email", &[("email", m.into())])
        }
        Some(ExpectedAccount::Domain(d)) => {
            text(lang, "message-account-domain", &[("domain", d.into())])
        }
        None => String::new(),
    };
    crate::text::fill(
        &one_line_per_paragraph(template),
        &[
            ("tenant", f.tenant),
            ("link", f.link),
            ("expires", &expires),
            ("access", &text(lang, access, &[])),
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
            lang: None,
        }
    }

    #[test]
    fn the_message_names_the_tenant_the_link_and_the_expiry_as_people_read_it() {
        let ann = ExpectedAccount::Email("ann@acme.com".into());
        let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("the bundled tzdb");
        let m = render_in(
            &OwnTemplates::default(),
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
            &OwnTemplates::default(),
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
        let own = OwnTemplates {
            any: Some(own.to_owned()),
            by_lang: Vec::new(),
        };
        let m = render_in(
            &own,
            &facts("https://x.example/c/abc", None),
            &jiff::tz::TimeZone::UTC,
        );
        assert_eq!(
            m,
            "Dear Acme Ltd,\n\nplease open https://x.example/c/abc before Tuesday 8 December 2026, 12:00 UTC.\n\nThanks, the team\n"
        );
    }

    #[test]
    fn the_tenants_language_picks_the_built_in_template_and_the_date_format() {
        let paris = jiff::tz::TimeZone::get("Europe/Paris").expect("the bundled tzdb");
        let ann = ExpectedAccount::Email("ann@acme.com".into());
        let de = Lang::from_tag("de").expect("supported");
        let m = render_in(
            &OwnTemplates::default(),
            &MessageFacts {
                lang: Some(de),
                ..facts("https://x.example/c/abc?lang=de", Some(&ann))
            },
            &paris,
        );
        assert!(m.starts_with("Guten Tag Acme Ltd,"), "{m}");
        assert!(
            m.contains("läuft am Dienstag, 8. Dezember 2026, 13:00 CET ab."),
            "{m}"
        );
        assert!(m.contains("E-Mails in Ihrem Namen zu senden"), "{m}");
        assert!(
            m.contains("Bitte melden Sie sich mit ann@acme.com an."),
            "{m}"
        );
        let ja = Lang::from_tag("ja").expect("supported");
        let m = render_in(
            &OwnTemplates::default(),
            &MessageFacts {
                lang: Some(ja),
                ..facts("https://x.example/c/abc", None)
            },
            &paris,
        );
        assert!(m.contains("2026年12月8日（火） 13:00 CET"), "{m}");
        assert!(!m.contains("{{"), "{m}");
    }

    #[test]
    fn the_operators_template_wins_its_language_first_then_the_one_for_all() {
        let dir = tempfile::tempdir().expect("a temp dir");
        assert_eq!(template(Some(dir.path())), OwnTemplates::default());
        std::fs::write(
            dir.path().join("message.txt"),
            "Hi {{tenant}}: {{link}} by {{expires}}",
        )
        .expect("written");
        std::fs::write(
            dir.path().join("message.fr.txt"),
            "Bonjour {{tenant}} : {{expires}}",
        )
        .expect("written");
        let own = template(Some(dir.path()));
        let utc = jiff::tz::TimeZone::UTC;
        let in_lang = |tag: &str| {
            render_in(
                &own,
                &MessageFacts {
                    lang: Lang::from_tag(tag),
                    ..facts("https://x.example/c/abc", None)
                },
                &utc,
            )
        };
        assert_eq!(
            in_lang("fr"),
            "Bonjour Acme Ltd : mardi 8 décembre 2026 à 12:00 UTC\n"
        );
        assert_eq!(
            in_lang("de"),
            "Hi Acme Ltd: https://x.example/c/abc by Tuesday 8 December 2026, 12:00 UTC\n",
            "the operator's message.txt is English, and wins over the built-in German"
        );
    }
}
