//! The signal of a customer who went on to Google and never came back, as a tenant's view
//! shows it (made in `google_view`).

use serde::{Deserialize, Serialize};

use crate::domain::google_errors::GoogleFix;
use crate::domain::model::Integration;
use crate::time::Millis;

/// "Continued to Google, no callback before the flow expired": Google may have shown an
/// error on its own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoCallbackView {
    /// When it was noted.
    pub at: String,
    pub at_ms: Millis,
    /// The timeline entry's text (which link, how many times, when the flow expired).
    pub detail: String,
    /// The integration it is about, when one added after the tenant's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<Integration>,
    /// The errors Google shows on its own page, each with its fix.
    pub causes: Vec<GoogleFix>,
}
