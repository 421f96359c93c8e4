//! The customer-facing consent flow: open a link, continue to Google, handle the callback.
//! Each step is an operation done for the customer ([`crate::domain::actor::Actor::Customer`]),
//! run by the listener; the decisions are the domain's ([`crate::domain::consent`]), and
//! `driver` performs them.
//!
//! Every outcome is a page for the customer (no internal detail) plus, when the tenant is
//! known, a reason for the operator recorded through the commit point. The link pages read
//! only the node-local read model; the callback's state is taken (deleted, tombstoned) in a
//! transaction, so of two racing callbacks exactly one proceeds; the refresh token is
//! stored, with the link marked used, in one transaction that is durable before the
//! success page.

mod callback;
mod driver;
mod kept;
mod open;
pub mod page;
mod proceed;

use url::Url;

use super::core::Core;
use super::operation::Operation;
use crate::domain::actor::Actor;
use crate::domain::consent::ContinueRequest;
use crate::i18n::Asked;
pub use driver::client_id_of;
pub use page::{CustomerPage, Next};
pub use proceed::FLOW_TTL;

/// The query Google sends to the redirect URI.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct CallbackQuery {
    pub state: Option<String>,
    /// Wiped when dropped.
    pub code: Option<secrecy::SecretString>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub scope: Option<String>,
}

/// `GET /c/{code}`: count the open and describe what will be asked. Nothing else, since
/// mail scanners open links too. `browser` is the consent cookie the page is served with;
/// the Continue form carries a token tied to it and to the link.
pub struct OpenLink {
    pub code: String,
    pub browser: String,
}

impl Operation for OpenLink {
    type Output = Result<CustomerPage, CustomerPage>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        open::open_link(core, actor, &self.code, &self.browser).await
    }
}

/// `POST /c/{code}/continue`: start a fresh single-use flow bound to this browser; Google's
/// URL to go to. Only a press on our own page, in the browser that opened the link, gets
/// this far.
pub struct ContinueLink {
    pub code: String,
    pub request: ContinueRequest,
    /// The language of the page the form was on, and the browser's: Google's consent
    /// screen is asked to speak the page's language.
    pub asked: Asked,
}

impl Operation for ContinueLink {
    type Output = Result<Url, CustomerPage>;

    async fn run(self, core: &Core, actor: &Actor) -> Self::Output {
        proceed::continue_link(core, actor, &self.code, &self.request, &self.asked).await
    }
}

/// `GET /oauth/callback`; `browser` is the consent cookie the callback came with,
/// `link_code` the link cookie (the code of the link whose Continue this browser pressed
/// last): the way back to that link's page when it asks for another consent.
pub struct Callback {
    pub query: CallbackQuery,
    pub browser: Option<String>,
    pub link_code: Option<String>,
}

impl Operation for Callback {
    type Output = CustomerPage;

    async fn run(self, core: &Core, actor: &Actor) -> CustomerPage {
        callback::callback(core, actor, self.query, self.browser, self.link_code).await
    }
}
