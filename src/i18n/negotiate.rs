//! Which language a page speaks: `?lang=` first, then the tenant's language, then the
//! browser's `Accept-Language` (by weight, then order), then English. A tag matches a
//! supported language by its region when one fits, else by its language alone: `pt` and
//! `pt-PT` get pt-BR, `de-AT` gets de, `ja-JP` gets ja. Unsupported or malformed tags are
//! skipped, never an error.

use std::sync::LazyLock;

use fluent_langneg::{NegotiationStrategy, negotiate_languages};
use unic_langid::LanguageIdentifier;

use super::Lang;

/// At most this many `Accept-Language` entries are read (a browser sends a handful).
const MAX_ENTRIES: usize = 32;
/// A longer tag is not a language tag anyone sends.
const MAX_TAG: usize = 64;

static AVAILABLE: LazyLock<Vec<LanguageIdentifier>> = LazyLock::new(|| {
    Lang::all()
        .map(|l| l.tag().parse().unwrap_or_default())
        .collect()
});

/// The language of a page: the query's `lang` if supported, else the tenant's, else the
/// browser's first acceptable supported language, else English.
pub fn negotiate(
    query_lang: Option<&str>,
    tenant_lang: Option<Lang>,
    accept_language: Option<&str>,
) -> Lang {
    query_lang
        .and_then(matching)
        .or(tenant_lang)
        .or_else(|| accept_language.and_then(from_accept_language))
        .unwrap_or(Lang::EN)
}

/// What a request says of the language it wants: the `lang` it carries (`?lang=`, or the
/// Continue form's) and its `Accept-Language`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    pub lang: Option<String>,
    pub accept_language: Option<String>,
}

impl Asked {
    /// The page's language, given the tenant's: see [`negotiate`].
    pub fn lang(&self, tenant: Option<Lang>) -> Lang {
        negotiate(
            self.lang.as_deref(),
            tenant,
            self.accept_language.as_deref(),
        )
    }
}

/// The supported language that serves a request for `tag`, if any.
pub fn matching(tag: &str) -> Option<Lang> {
    let tag = tag.trim();
    if tag.is_empty() || tag.len() > MAX_TAG || tag == "*" {
        return None;
    }
    let id: LanguageIdentifier = tag.parse().ok()?;
    first_supported(&[id])
}

fn first_supported(requested: &[LanguageIdentifier]) -> Option<Lang> {
    let found = negotiate_languages(requested, &AVAILABLE, None, NegotiationStrategy::Lookup);
    let first = *found.first()?;
    Lang::all().find(|l| AVAILABLE.get(l.0) == Some(first))
}

/// The browser's preferences, most wanted first: entries with `q=0` (not acceptable), a
/// malformed weight or tag, and `*` left out.
fn weighted(header: &str) -> Vec<LanguageIdentifier> {
    let mut entries: Vec<(f32, LanguageIdentifier)> = Vec::new();
    for entry in header.split(',').take(MAX_ENTRIES) {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or("").trim();
        if tag.is_empty() || tag.len() > MAX_TAG || tag == "*" {
            continue;
        }
        let mut weight = Some(1.0_f32);
        for param in parts {
            let param = param.trim();
            if let Some(q) = param
                .strip_prefix("q=")
                .or_else(|| param.strip_prefix("Q="))
            {
                weight = q
                    .trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|q| (0.0..=1.0).contains(q));
            }
        }
        let (Some(weight), Ok(id)) = (weight, tag.parse::<LanguageIdentifier>()) else {
            continue;
        };
        if weight > 0.0 {
            entries.push((weight, id));
        }
    }
    // Stable: equal weights keep the header's order.
    entries.sort_by(|a, b| b.0.total_cmp(&a.0));
    entries.into_iter().map(|(_, id)| id).collect()
}

fn from_accept_language(header: &str) -> Option<Lang> {
    // Each preference in turn, so a later one's exact match never beats an earlier one's
    // language match.
    weighted(header)
        .iter()
        .find_map(|id| first_supported(std::slice::from_ref(id)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn tag(l: Lang) -> &'static str {
        l.tag()
    }

    #[rstest]
    #[case::query_wins(Some("ja"), Some("de"), Some("fr"), "ja")]
    #[case::query_region_falls_back(Some("de-AT"), None, None, "de")]
    #[case::unsupported_query_is_skipped(Some("it"), Some("de"), Some("fr"), "de")]
    #[case::malformed_query_is_skipped(Some("not a tag!"), None, Some("es"), "es")]
    #[case::empty_query_is_skipped(Some(""), None, Some("es"), "es")]
    #[case::tenant_beats_browser(None, Some("fr"), Some("de"), "fr")]
    #[case::browser_first_acceptable(None, None, Some("it, de;q=0.5"), "de")]
    #[case::browser_weights_beat_order(None, None, Some("de;q=0.5, fr;q=0.9"), "fr")]
    #[case::equal_weights_keep_order(None, None, Some("es;q=0.8, fr;q=0.8"), "es")]
    #[case::zero_weight_is_refused(None, None, Some("ja;q=0, de;q=0.1"), "de")]
    #[case::wildcard_is_english(None, None, Some("*"), "en")]
    #[case::pt_is_brazilian(None, None, Some("pt"), "pt-BR")]
    #[case::portugal_is_brazilian(None, None, Some("pt-PT"), "pt-BR")]
    #[case::brazil_exact(None, None, Some("pt-br"), "pt-BR")]
    #[case::japan_region(None, None, Some("ja-JP,en-US;q=0.9"), "ja")]
    #[case::english_us(None, None, Some("en-US,de;q=0.9"), "en")]
    #[case::austria(None, None, Some("de-AT"), "de")]
    #[case::a_language_match_earlier_beats_an_exact_one_later(None, None, Some("de-CH, en"), "de")]
    #[case::bad_weight_skips_the_entry(None, None, Some("ja;q=high, es;q=2, fr;q=0.3"), "fr")]
    #[case::garbage_header(None, None, Some(";;,,;q=,=,"), "en")]
    #[case::nothing_at_all(None, None, None, "en")]
    #[case::unsupported_only(None, None, Some("it, nl;q=0.8"), "en")]
    #[case::upper_case_weight(None, None, Some("de;Q=0.2, es;q=0.1"), "de")]
    fn negotiation(
        #[case] query: Option<&str>,
        #[case] tenant: Option<&str>,
        #[case] browser: Option<&str>,
        #[case] expected: &str,
    ) {
        let tenant = tenant.map(|t| Lang::from_tag(t).expect("a supported tag"));
        assert_eq!(tag(negotiate(query, tenant, browser)), expected);
    }

    #[test]
    fn a_long_header_is_read_only_so_far() {
        let header = format!("{}ja", "it, ".repeat(MAX_ENTRIES));
        assert_eq!(negotiate(None, None, Some(&header)), Lang::EN);
        let header = format!("{}ja", "it, ".repeat(MAX_ENTRIES - 1));
        assert_eq!(tag(negotiate(None, None, Some(&header))), "ja");
    }
}
