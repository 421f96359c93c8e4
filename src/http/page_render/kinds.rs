//! The names the renderer gives each page of [`crate::domain::consent::page`]: the
//! message that words it (its `.title` is the heading), its class, a gone link's reason.

use crate::domain::consent::page::{Failure, PageKind};
use crate::domain::link::Gone;

impl Gone {
    pub(super) fn reason(self) -> &'static str {
        match self {
            Gone::Used => "used",
            Gone::Withdrawn => "withdrawn",
            Gone::Superseded => "superseded",
            Gone::Expired => "expired",
            Gone::Inactive => "inactive",
        }
    }
}

impl Failure {
    /// The message that says it (its `.title` attribute is the heading).
    pub(super) fn message(&self) -> &'static str {
        match self {
            Failure::LinkUnknown => "link-unknown",
            Failure::LinkGone(_) => "link-gone",
            Failure::NotConfigured => "not-configured",
            Failure::Internal => "internal",
            Failure::CallbackIncomplete => "callback-incomplete",
            Failure::StateUnknown => "state-unknown",
            Failure::Replayed => "replayed",
            Failure::FlowExpired { .. } => "flow-expired",
            Failure::Denied => "denied",
            Failure::GoogleError(code) => code.customer(),
            Failure::ExchangeFailed => "exchange-failed",
            Failure::NoRefreshToken => "no-refresh-token",
            Failure::ScopeMissing => "scope-missing",
            Failure::WrongAccount { .. } => "wrong-account",
            Failure::WrongBrowser => "wrong-browser",
            Failure::ContinueRefused => "continue-refused",
            Failure::RateLimited => "rate-limited",
            Failure::NotFound => "not-found",
            Failure::UriTooLong => "uri-too-long",
            Failure::HeadersTooLarge => "headers-too-large",
        }
    }
}

impl PageKind {
    /// The message whose `.title` is the page's heading.
    pub(super) fn message(&self) -> &'static str {
        match self {
            PageKind::Ask { .. } => "ask",
            PageKind::Connected { .. } => "connected",
            PageKind::AwaitingApproval { .. } => "awaiting-approval",
            PageKind::Failed { failure, .. } => failure.message(),
        }
    }

    pub(super) fn class(&self) -> &'static str {
        match self {
            PageKind::Ask { .. } => "ask",
            PageKind::Connected { .. } | PageKind::AwaitingApproval { .. } => "ok",
            PageKind::Failed { .. } => "fail",
        }
    }
}
