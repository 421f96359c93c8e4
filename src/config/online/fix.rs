//! What the Google checks share: the context of an error's fix (owned, as the checks run in
//! futures of their own) and a request's failure in a few words.

use crate::domain::google_errors::FixContext;
use crate::domain::integration::Integration;

/// A [`FixContext`] that owns its texts (the checks run in futures of their own).
pub(super) struct OwnedFix {
    pub(super) integration: Integration,
    pub(super) redirect_uri: String,
    pub(super) client_id: String,
}

impl OwnedFix {
    pub(super) fn borrowed(&self) -> FixContext<'_> {
        FixContext {
            slug: "",
            integration: self.integration,
            redirect_uri: &self.redirect_uri,
            client_id: &self.client_id,
        }
    }
}

/// A request's failure in a few words, with what caused it (`timed out`, `connection
/// refused`).
pub(super) fn cause(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    // What went wrong below reqwest's own "error sending request for url (...)": the URL
    // is in the line already.
    let mut causes = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        causes.push(s.to_string());
        source = s.source();
    }
    if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    }
}
