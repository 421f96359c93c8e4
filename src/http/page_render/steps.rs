//! After a consent through a link that asks several: the heading that counts them ("Gmail
//! is connected (1 of 2)", then "You're connected (2 of 2)") and the offer of the next, a
//! button back to the link's page in the page's language or, when this browser did not
//! bring the way back, the advice to open the link again. A lone consent is not counted.

use super::{Page, attr, para, t};
use crate::domain::consent::page::PageKind;
use crate::domain::consent::several::Progress;
use crate::domain::model::Integration;
use crate::i18n::{Arg, Lang, text};

/// The progress of a page that counts consents: one of several asked through its link.
fn counted(kind: &PageKind) -> Option<&Progress> {
    match kind {
        PageKind::Connected {
            progress: Some(p), ..
        } if p.total() > 1 => Some(p),
        _ => None,
    }
}

/// How the customer's pages name `integration` (`Gmail`, `Google Drive`).
fn name(lang: Lang, integration: Integration) -> String {
    text(lang, integration.profile().name_message, &[])
}

fn number(n: usize) -> Arg<'static> {
    Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
}

/// The heading of a page that counts consents (not escaped: the title takes it too).
pub(super) fn heading(lang: Lang, kind: &PageKind) -> Option<String> {
    let p = counted(kind)?;
    let (done, total) = (("done", number(p.done.len())), ("total", number(p.total())));
    if p.finished() {
        return Some(text(lang, "connected-all", &[done, total]));
    }
    let last = name(lang, *p.done.last()?);
    let args = [("integration", Arg::Text(&last)), done, total];
    Some(text(lang, "connected-partly", &args))
}

/// The offer of the next consent the page's link asks for, if it asks for one.
pub(super) fn offer_next(out: &mut String, page: &Page) {
    let PageKind::Connected {
        progress: Some(p),
        link_page,
        ..
    } = &page.kind
    else {
        return;
    };
    let Some(next) = p.remaining.first() else {
        return;
    };
    let lang = page.lang;
    let next = name(lang, *next);
    let what = [("integration", Arg::Text(&next))];
    match link_page {
        Some(path) => {
            para(out, "", &t(lang, "next-consent", &what));
            out.push_str(&format!(
                r#"<p><a class="button" href="{}?lang={}">{}</a></p>"#,
                attr(path),
                lang.tag(),
                t(lang, "next-consent-continue", &what)
            ));
            out.push('\n');
        }
        None => para(out, "", &t(lang, "next-consent-open-link", &what)),
    }
}
