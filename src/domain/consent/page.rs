//! The pages the customer can get and the facts each shows (what the consent flow
//! decides; `crate::http::page_render` words them), the HTTP status each is served with
//! and what the hand-off to the company's page says of it.

use crate::domain::consent::several::Progress;
use crate::domain::google_errors::GoogleCode;
use crate::domain::link::Gone;
use crate::domain::model::{ExpectedAccount, Integration};

/// Every way a step can fail or be refused, as the customer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    LinkUnknown,
    LinkGone(Gone),
    NotConfigured,
    Internal,
    CallbackIncomplete,
    StateUnknown,
    Replayed,
    /// The sign-in took longer than `minutes`.
    FlowExpired {
        minutes: i64,
    },
    Denied,
    /// Google said an error (at the callback or from its token endpoint): the table says
    /// what the customer is told.
    GoogleError(GoogleCode),
    ExchangeFailed,
    NoRefreshToken,
    ScopeMissing,
    WrongAccount {
        signed_in: Option<String>,
        expected: ExpectedAccount,
    },
    WrongBrowser,
    ContinueRefused,
    RateLimited,
    NotFound,
    UriTooLong,
    HeadersTooLarge,
}

impl Failure {
    /// The HTTP status the page is served with.
    pub fn status(&self) -> u16 {
        match self {
            Failure::LinkUnknown | Failure::NotFound => 404,
            Failure::LinkGone(_) => 410,
            Failure::NotConfigured => 503,
            Failure::Internal => 500,
            Failure::ContinueRefused => 403,
            Failure::RateLimited => 429,
            Failure::UriTooLong => 414,
            Failure::HeadersTooLarge => 431,
            Failure::CallbackIncomplete
            | Failure::StateUnknown
            | Failure::Replayed
            | Failure::FlowExpired { .. }
            | Failure::Denied
            | Failure::GoogleError(_)
            | Failure::ExchangeFailed
            | Failure::NoRefreshToken
            | Failure::ScopeMissing
            | Failure::WrongAccount { .. }
            | Failure::WrongBrowser => 400,
        }
    }
}

/// A page and the facts it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    /// What a consent link opens: who asks, for whom, what Google shows next, what will be
    /// allowed, and a Continue form posting `token` to `continue_path`.
    Ask {
        tenant: String,
        integrations: Vec<Integration>,
        account: Option<ExpectedAccount>,
        continue_path: String,
        token: String,
    },
    /// The consent is stored.
    Connected {
        tenant: String,
        email: Option<String>,
        integrations: Vec<Integration>,
        /// Through a link that asks several consents: those given through it (this one
        /// last) and those it still asks for, the next first ("connected (1 of 2)").
        progress: Option<Progress>,
        /// The link's page, to go on to the next consent from: only when this browser
        /// brought back the link it started from (else the page says to open it again).
        link_page: Option<String>,
    },
    /// The consent is kept, but by another account than before: the operator checks it.
    AwaitingApproval {
        tenant: String,
        email: Option<String>,
    },
    /// A failure; `tenant` when it is known.
    Failed {
        tenant: Option<String>,
        failure: Failure,
    },
}

impl PageKind {
    /// The HTTP status the page is served with.
    pub fn status(&self) -> u16 {
        match self {
            PageKind::Failed { failure, .. } => failure.status(),
            _ => 200,
        }
    }

    /// What the hand-off to the company's page says of this outcome
    /// (`?outcome=connected|pending|denied|failed`); none for the consent page itself.
    pub fn hand_off(&self) -> Option<&'static str> {
        match self {
            PageKind::Ask { .. } => None,
            PageKind::Connected { .. } => Some("connected"),
            PageKind::AwaitingApproval { .. } => Some("pending"),
            PageKind::Failed {
                failure: Failure::Denied,
                ..
            } => Some("denied"),
            PageKind::Failed { .. } => Some("failed"),
        }
    }

    /// Whether the link this consent went through still asks for another (the customer is
    /// offered it rather than sent away).
    pub fn consents_left(&self) -> bool {
        matches!(
            self,
            PageKind::Connected {
                progress: Some(p),
                ..
            } if !p.finished()
        )
    }

    /// The tenant the access is for, when known.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            PageKind::Ask { tenant, .. }
            | PageKind::Connected { tenant, .. }
            | PageKind::AwaitingApproval { tenant, .. } => Some(tenant),
            PageKind::Failed { tenant, .. } => tenant.as_deref(),
        }
    }
}
