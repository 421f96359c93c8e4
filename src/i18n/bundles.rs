//! The Fluent bundles, one per language, built once from the embedded files, and the one
//! way to read a text: [`text`], which falls back to English for a message a language lacks
//! or cannot format, and to the message's id when English lacks it too (logged, never a
//! panic). Unicode isolation marks are off: the page renderer HTML-escapes every value
//! instead, and the message is plain text.

use std::borrow::Cow;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

use super::Lang;

pub(super) type Bundle = FluentBundle<FluentResource>;

static BUNDLES: LazyLock<Vec<Bundle>> = LazyLock::new(|| {
    Lang::all()
        .map(|lang| build(lang.tag(), lang.pages()))
        .collect()
});

pub(super) fn build(tag: &str, source: &str) -> Bundle {
    let id = tag.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(source.to_owned()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(tag, ?errors, "a language file has syntax errors");
            r
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(tag, ?errors, "a language file defines a message twice");
    }
    bundle
}

/// A value for a message's variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg<'a> {
    Text(&'a str),
    /// A number: plural forms select on it.
    Number(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

/// The bundle of every language, English first.
#[cfg(test)]
pub(super) fn bundles() -> &'static [Bundle] {
    &BUNDLES
}

/// Whether `lang`'s own file has message `id` with a value and a `.title` (a page's
/// message), not by falling back to English.
#[cfg(test)]
pub(crate) fn has_page_message(lang: Lang, id: &str) -> bool {
    BUNDLES
        .get(lang.0)
        .and_then(|b| b.get_message(id))
        .is_some_and(|m| m.value().is_some() && m.get_attribute("title").is_some())
}

/// The text of message `id` (or of its attribute: `id.attribute`) in `lang`, with `args`.
pub fn text(lang: Lang, id: &str, args: &[(&str, Arg<'_>)]) -> String {
    text_in(&BUNDLES, lang, id, args)
}

/// [`text`] from `bundles` (one per language, English first).
pub(super) fn text_in(
    bundles: &[Bundle],
    lang: Lang,
    id: &str,
    args: &[(&str, Arg<'_>)],
) -> String {
    let format = |lang: Lang| match bundles.get(lang.0) {
        Some(bundle) => format(bundle, id, args),
        None => Err("no bundle".to_owned()),
    };
    match format(lang) {
        Ok(s) => s,
        Err(why) if lang != Lang::EN => {
            tracing::warn!(lang = %lang, id, why, "text falls back to English");
            match format(Lang::EN) {
                Ok(s) => s,
                Err(why) => missing(id, &why),
            }
        }
        Err(why) => missing(id, &why),
    }
}

fn missing(id: &str, why: &str) -> String {
    tracing::error!(id, why, "no English text for a message");
    id.to_owned()
}

/// Message `id` (or `id.attribute`) of `bundle` with `args`; `Err` says why not, the
/// errors of formatting included.
pub(super) fn format(
    bundle: &Bundle,
    id: &str,
    args: &[(&str, Arg<'_>)],
) -> Result<String, String> {
    let (message, attribute) = match id.split_once('.') {
        Some((m, a)) => (m, Some(a)),
        None => (id, None),
    };
    let message = bundle.get_message(message).ok_or("no such message")?;
    let pattern = match attribute {
        Some(a) => message
            .get_attribute(a)
            .map(|a| a.value())
            .ok_or("no such attribute")?,
        None => message.value().ok_or("the message has attributes only")?,
    };
    let mut fluent_args = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        let value = match *value {
            Arg::Text(s) => FluentValue::String(Cow::Borrowed(s)),
            Arg::Number(n) => FluentValue::from(n),
        };
        fluent_args.set(*name, value);
    }
    let mut errors = Vec::new();
    let out = bundle.format_pattern(pattern, Some(&fluent_args), &mut errors);
    if errors.is_empty() {
        Ok(out.into_owned())
    } else {
        Err(format!("{errors:?}"))
    }
}
