//! The customer's languages: which ones the pages and the ready-to-send message speak
//! ([`Lang`]), which one a request gets ([`negotiate`]), and the texts in it ([`text`]),
//! from the Project Fluent files under `assets/locales/<tag>/`, embedded at build time.
//! English is the fallback, for a language nobody asked for and for a message a language
//! lacks; nothing here panics on a missing text.
//!
//! A language is one row of [`LANGS`] and one folder under `assets/locales` with its
//! `pages.ftl` and `message.txt`; the tests hold every language to English's messages.

mod bundles;
mod negotiate;
mod when;

#[cfg(test)]
mod tests;

#[cfg(test)]
pub(crate) use bundles::has_page_message;
pub use bundles::{Arg, text};
pub use negotiate::{Asked, matching, negotiate};
pub use when::date_time;

/// One supported language: its tag, its name in itself, and its embedded files.
struct Def {
    tag: &'static str,
    name: &'static str,
    pages: &'static str,
    message: &'static str,
}

macro_rules! lang {
    ($tag:literal, $name:literal) => {
        Def {
            tag: $tag,
            name: $name,
            pages: include_str!(concat!("../../assets/locales/", $tag, "/pages.ftl")),
            message: include_str!(concat!("../../assets/locales/", $tag, "/message.txt")),
        }
    };
}

/// The supported languages, in the order the language switcher lists them; English first
/// (the fallback).
const LANGS: [Def; 6] = [
    lang!("en", "English"),
    lang!("de", "Deutsch"),
    lang!("fr", "Français"),
    lang!("es", "Español"),
    lang!("pt-BR", "Português (Brasil)"),
    lang!("ja", "日本語"),
];

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lang(usize);

impl Lang {
    /// English: the fallback.
    pub const EN: Lang = Lang(0);

    /// Every supported language, English first.
    pub fn all() -> impl ExactSizeIterator<Item = Lang> {
        (0..LANGS.len()).map(Lang)
    }

    fn def(self) -> &'static Def {
        // A `Lang` is only made from an index of `LANGS`.
        LANGS.get(self.0).unwrap_or(&LANGS[0])
    }

    /// The BCP 47 tag, as `<html lang>`, `hreflang` and Google's `hl=` take it: `pt-BR`.
    pub fn tag(self) -> &'static str {
        self.def().tag
    }

    /// The language's name in itself, as the language switcher shows it: `Deutsch`.
    pub fn name(self) -> &'static str {
        self.def().name
    }

    /// The language whose tag is exactly `tag` (case aside), as stored; see [`matching`]
    /// for what a person or a browser asks for.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        Lang::all().find(|l| l.tag().eq_ignore_ascii_case(tag))
    }

    /// The ready-to-send message's template in this language (`{{tenant}}`, `{{link}}`,
    /// `{{expires}}`, `{{access}}`, `{{account}}`).
    pub fn message_template(self) -> &'static str {
        self.def().message
    }

    /// The Fluent source of this language's texts.
    fn pages(self) -> &'static str {
        self.def().pages
    }
}

/// As its tag (`"pt-BR"`), the one form a language is stored or sent in.
impl serde::Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.tag())
    }
}

impl<'de> serde::Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let tag = String::deserialize(d)?;
        Lang::from_tag(&tag)
            .ok_or_else(|| serde::de::Error::custom(format!("unsupported language {tag:?}")))
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}
