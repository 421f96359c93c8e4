//! Free text an operator gives (names, contact, expected account, return URL, CSV cells):
//! every field goes through [`plain_text`], the one check that keeps terminal controls,
//! bidi controls and line separators out of what is stored ([`crate::text::is_unsafe`]).

use super::lifecycle::InvalidInput;

/// The one check of free text an operator gives ([`crate::text::refuse_unsafe`]), made on
/// the text as it is kept (trimmed: a trailing newline of a paste is no harm).
pub(super) fn plain_text(field: &'static str, text: &str) -> Result<(), InvalidInput> {
    crate::text::refuse_unsafe(text).map_err(|why| InvalidInput::Text(field, why))
}

/// A contact as given (trimmed; empty is none): at most 200 characters of plain text.
pub(super) fn contact_of(c: &str) -> Result<Option<String>, InvalidInput> {
    let c = c.trim();
    plain_text("contact", c)?;
    if c.chars().count() > 200 {
        return Err(InvalidInput::Text(
            "contact",
            "at most 200 characters".into(),
        ));
    }
    Ok(Some(c.to_owned()).filter(|c| !c.is_empty()))
}
