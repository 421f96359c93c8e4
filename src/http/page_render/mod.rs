//! The customer's pages as one pure function: [`render`] turns a page (its language, its
//! kind and facts) and the brand into HTML, from `assets/pages/page.html` and the texts of
//! [`crate::i18n`]. Every inserted value is HTML-escaped here, once (the texts come
//! without isolation marks for that reason); the page needs no script and loads nothing
//! but what the listener serves (the logo). Each page names the company that asks (the
//! brand) and, where known, the tenant the access is for; never the tenant as the asker.

mod body;
mod kinds;
mod samples;
mod steps;

pub use crate::domain::consent::page::{Failure, PageKind};
pub use crate::domain::link::Gone;
pub use samples::{sample_brand, samples};

use crate::http::brand_color::{self, Rgb};
use crate::i18n::{Arg, Lang, text};

const TEMPLATE: &str = include_str!("../../../assets/pages/page.html");

/// What the pages say about the company that asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// The company that asks.
    pub name: String,
    /// The app's name as registered at Google (what its consent screen shows).
    pub google_app: String,
    /// Where the listener serves the logo (a path of its own, e.g. `/brand/logo`).
    pub logo_url: Option<String>,
    pub accent: Rgb,
    /// An email address, a web address, or any text (a phone number).
    pub support_contact: Option<String>,
    pub privacy_policy_url: Option<String>,
    pub terms_url: Option<String>,
}

impl Brand {
    /// A brand with a name alone: Google's app name is the same, the default accent.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            google_app: name.to_owned(),
            logo_url: None,
            accent: brand_color::DEFAULT_ACCENT,
            support_contact: None,
            privacy_policy_url: None,
            terms_url: None,
        }
    }
}

/// One page as the customer gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub lang: Lang,
    pub kind: PageKind,
    /// The company's own page to go on to (a link: "Continue to" after a success, "Back
    /// to" after a failure).
    pub next: Option<String>,
    /// Offer the language switcher: links to this same address with `?lang=`. Only on a
    /// page that can be loaded again (not one answering Google's one-time callback).
    pub switcher: bool,
}

/// HTML-escaped text.
fn esc(s: &str) -> String {
    html_escape::encode_safe(s).into_owned()
}

/// HTML-escaped text for a double-quoted attribute.
fn attr(s: &str) -> String {
    html_escape::encode_double_quoted_attribute(s).into_owned()
}

/// A paragraph of `html` (already escaped), with `class` when one is given.
fn para(out: &mut String, class: &str, html: &str) {
    if class.is_empty() {
        out.push_str(&format!("<p>{html}</p>\n"));
    } else {
        out.push_str(&format!(r#"<p class="{class}">{html}</p>"#));
        out.push('\n');
    }
}

/// A text of `lang`, HTML-escaped.
fn t(lang: Lang, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    esc(&text(lang, id, args))
}

/// The page's HTML.
pub fn render(page: &Page, brand: &Brand) -> String {
    let lang = page.lang;
    let heading = steps::heading(lang, &page.kind)
        .unwrap_or_else(|| text(lang, &format!("{}.title", page.kind.message()), &[]));
    let title = text(
        lang,
        "page-title",
        &[
            ("title", (&heading).into()),
            ("brand", (&brand.name).into()),
        ],
    );
    let logo = brand
        .logo_url
        .as_deref()
        .map(|u| format!(r#"<img src="{}" alt="">"#, attr(u)))
        .unwrap_or_default();
    let languages = if page.switcher {
        switcher(lang)
    } else {
        String::new()
    };
    crate::text::fill(
        TEMPLATE,
        &[
            ("lang", lang.tag()),
            ("title", &esc(&title)),
            ("accent", &brand.accent.hex()),
            ("on_accent", &brand_color::text_on(brand.accent).hex()),
            ("skip", &t(lang, "skip-to-content", &[])),
            ("logo", &logo),
            ("brand", &esc(&brand.name)),
            ("languages", &languages),
            ("class", page.kind.class()),
            ("heading", &esc(&heading)),
            ("body", &body::body(page, brand)),
            ("footer", &body::footer(lang, brand)),
        ],
    )
}

/// The language switcher: each language by its own name, in itself.
fn switcher(current: Lang) -> String {
    let mut out = format!(
        r#"<nav aria-label="{}"><ul class="langs">"#,
        attr(&text(current, "language-menu", &[]))
    );
    for lang in Lang::all() {
        let here = if lang == current {
            r#" aria-current="true""#
        } else {
            ""
        };
        out.push_str(&format!(
            r#"<li><a href="?lang={tag}" hreflang="{tag}" lang="{tag}"{here}>{name}</a></li>"#,
            tag = lang.tag(),
            name = esc(lang.name()),
        ));
    }
    out.push_str("</ul></nav>");
    out
}

#[cfg(test)]
mod tests;
