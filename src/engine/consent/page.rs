//! What the customer's browser is shown: a page of [`PageKind`] with its facts (no internal
//! detail), in the tenant's language when it has one, and the way back to the company's
//! page. The HTTP layer words and renders it in the negotiated language; the operator's
//! detail goes to the tenant's timeline instead.

use crate::domain::consent::page::{Failure, PageKind};
use crate::domain::link::Gone;
use crate::i18n::Lang;

/// A page for the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPage {
    pub kind: PageKind,
    /// The tenant's language, when the tenant is known and has one: it wins over the
    /// browser's (a `?lang=` still overrides it).
    pub lang: Option<Lang>,
    /// Where the customer goes next: the company's own page (`listener.return_url`, or the
    /// tenant's), with `?tenant=SLUG&outcome=connected|pending|denied|failed`.
    pub next: Option<Next>,
}

/// The way back to the company's frontend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Next {
    pub url: String,
    /// Send the browser there by itself (a 303) instead of offering a link.
    pub redirect: bool,
}

impl From<PageKind> for CustomerPage {
    fn from(kind: PageKind) -> Self {
        Self {
            kind,
            lang: None,
            next: None,
        }
    }
}

impl From<Failure> for CustomerPage {
    fn from(failure: Failure) -> Self {
        PageKind::Failed {
            tenant: None,
            failure,
        }
        .into()
    }
}

impl CustomerPage {
    /// The consent was stored (or waits for the operator's approval).
    pub fn success(&self) -> bool {
        matches!(
            self.kind,
            PageKind::Connected { .. } | PageKind::AwaitingApproval { .. }
        )
    }

    /// What the hand-off URL's `outcome` says about this page.
    pub fn hand_off(&self) -> &'static str {
        self.kind.hand_off().unwrap_or("failed")
    }

    /// A failure for the tenant named `display_name`, in its language.
    pub fn failed_for(display_name: &str, lang: Option<Lang>, failure: Failure) -> Self {
        Self {
            kind: PageKind::Failed {
                tenant: Some(display_name.to_owned()),
                failure,
            },
            lang,
            next: None,
        }
    }

    /// A page in the tenant's language.
    pub fn in_lang(mut self, lang: Option<Lang>) -> Self {
        self.lang = lang;
        self
    }

    pub fn link_unknown() -> Self {
        Failure::LinkUnknown.into()
    }

    pub fn link_gone(why: Gone) -> Self {
        Failure::LinkGone(why).into()
    }

    /// Something failed on our side; `detail` is logged, never shown.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "internal failure while serving a customer page");
        Failure::Internal.into()
    }

    pub fn not_found() -> Self {
        Failure::NotFound.into()
    }
}
