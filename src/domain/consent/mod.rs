//! The consent flow's decisions, pure: from what the callback brought and what Google
//! answered, which outcome (accept, keep aside for the operator, or which failure with
//! which page), what it does to the tenant's links, and whether an unwanted grant is given
//! back at Google. The engine only fetches the inputs and performs what is decided.
//!
//! - `browser`: binding a flow to the browser that opened the link (Continue's token);
//! - `callback`: before the exchange (is the flow still good?) and what a refusal is;
//! - `claims`: the id_token's issuer, audience and expiry;
//! - `grant`: after the exchange, the grant kept or refused;
//! - `decision`: the identity gate and the callback's last decision; `approval`: the
//!   operator's approve and reject per integration, and a new account moving the tenant;
//! - `links`: a consent using its link and superseding the others; a withdrawal;
//! - `several`: one link, several consents (which integration next, the link's progress);
//! - `give_back`: whether an unwanted grant goes back at Google (and who else holds a
//!   consent by its account when one integration of a tenant gives its own up).

pub mod approval;
mod browser;
mod callback;
mod claims;
mod decision;
mod give_back;
mod grant;
mod links;
pub mod page;
pub mod several;

pub use browser::{
    BROWSER_SECRET_LEN, ContinueRefusal, ContinueRequest, browser_hash, check_continue, form_token,
    same_browser,
};
pub use callback::{CallbackParams, MAX_CODE_LEN, Refusal, before_exchange, google_refused};
pub use claims::{TokenClaims, check_claims};
pub use decision::{ConsentDecision, decide_consent, needs_approval};
pub use give_back::{GiveBack, give_back, holders_besides, holding};
pub use grant::{Accepted, GrantFacts, KeptAtConsent, check_account, decide_grant, missing_scopes};
pub use links::{LinkChange, Withdrawal, consume_link, withdraw, withdraw_these};
