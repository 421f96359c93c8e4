//! Who a link is mailed to, and what its message says of them: taken from the tenant's
//! row or its full view, whichever the face holds.

use crate::domain::model::{ExpectedAccount, Integration};
use crate::engine::api::{TenantSummary, TenantView};
use crate::i18n::Lang;

/// A tenant as its mail needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addressee {
    pub slug: String,
    pub name: String,
    /// Where its links go; `None`: nowhere (it has no address).
    pub to: Option<String>,
    /// The integration its message speaks of (its first).
    pub integration: Integration,
    pub expected: Option<ExpectedAccount>,
    pub lang: Option<Lang>,
}

/// How a tenant is given the address its links are mailed to.
pub fn set_address(slug: &str) -> String {
    format!("`mcp-onboard tenant edit {slug} --contact-email ADDR`")
}

/// Why a tenant's link cannot be mailed when it has no address, and how to give it one.
pub fn no_address(slug: &str) -> String {
    format!(
        "{slug} has no address to mail its link to: {} (or an expected Google account, --email)",
        set_address(slug)
    )
}

impl Addressee {
    pub fn of_summary(t: &TenantSummary) -> Self {
        Self {
            slug: t.slug.clone(),
            name: t.display_name.clone(),
            to: t.mail_to.clone(),
            integration: t
                .statuses
                .first()
                .map(|s| s.integration)
                .unwrap_or_default(),
            expected: t.expected_account.clone(),
            lang: t.lang.as_deref().and_then(Lang::from_tag),
        }
    }

    pub fn of_view(t: &TenantView) -> Self {
        Self {
            integration: t.integration,
            ..Self::of_summary(&t.summary)
        }
    }
}
