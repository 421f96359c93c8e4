//! Consent links and the OAuth flows started through them, as stored, and why a link can no
//! longer start a sign-in.

use serde::{Deserialize, Serialize};

use crate::time::Millis;

/// A consent link handed to a customer. Stored under the SHA-256 of its code, so the
/// database alone does not give out working links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentLink {
    pub tenant: String,
    /// First characters of the code's hash: lets an operator tell links apart.
    pub id: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// Withdrawn by the operator.
    pub revoked: bool,
    pub opened_at: Option<Millis>,
    /// Times the link's page was shown (counted here, not on the tenant's timeline).
    pub open_count: u32,
    /// Set by the consent that went through this link: a link serves one consent only,
    /// so a forwarded or leaked link cannot switch the tenant to another account later.
    #[serde(default)]
    pub used_at: Option<Millis>,
    /// Times Continue was pressed on the link's page.
    #[serde(default)]
    pub continue_count: u32,
    #[serde(default)]
    pub continued_at: Option<Millis>,
    /// When the operator withdrew it.
    #[serde(default)]
    pub revoked_at: Option<Millis>,
    /// When a consent through another link of the tenant made this one dead.
    #[serde(default)]
    pub superseded_at: Option<Millis>,
    /// The one integration the link asks a consent for (`link --integration`); `None`:
    /// every integration of the tenant not yet consented, one consent after another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only: Option<super::integration::Integration>,
    /// The integrations consented through it so far (it is used after the last).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<super::integration::Integration>,
    /// When the flows' sweep noted that a customer went on to Google through it and no
    /// callback came back: noted once per link ([`super::no_callback`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_callback_at: Option<Millis>,
}

/// A link's state, one vocabulary for text, JSON and the console. Only `Active` can start
/// a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Active,
    Used,
    Revoked,
    Expired,
    Superseded,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Used => "used",
            LinkState::Revoked => "revoked",
            LinkState::Expired => "expired",
            LinkState::Superseded => "superseded",
        }
    }
}

impl std::fmt::Display for LinkState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a link can no longer start a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gone {
    Used,
    Withdrawn,
    Superseded,
    Expired,
    /// The tenant is offboarded, or the link is otherwise not live.
    Inactive,
}

impl From<LinkState> for Gone {
    fn from(state: LinkState) -> Self {
        match state {
            LinkState::Used => Gone::Used,
            LinkState::Revoked => Gone::Withdrawn,
            LinkState::Superseded => Gone::Superseded,
            LinkState::Expired => Gone::Expired,
            LinkState::Active => Gone::Inactive,
        }
    }
}

impl ConsentLink {
    /// A fresh link, unopened and unused.
    pub fn new(tenant: &str, id: &str, created_at: Millis, expires_at: Millis) -> Self {
        Self {
            tenant: tenant.to_owned(),
            id: id.to_owned(),
            created_at,
            expires_at,
            revoked: false,
            opened_at: None,
            open_count: 0,
            used_at: None,
            continue_count: 0,
            continued_at: None,
            revoked_at: None,
            superseded_at: None,
            only: None,
            done: Vec::new(),
            no_callback_at: None,
        }
    }

    /// The link's state at `now`: what ended it, in the order it could have happened.
    pub fn state(&self, now: Millis) -> LinkState {
        if self.used_at.is_some() {
            LinkState::Used
        } else if self.revoked {
            LinkState::Revoked
        } else if self.superseded_at.is_some() {
            LinkState::Superseded
        } else if self.expires_at <= now {
            LinkState::Expired
        } else {
            LinkState::Active
        }
    }
}

/// One OAuth round trip in progress, stored under the SHA-256 of its `state`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingFlow {
    pub tenant: String,
    pub link_id: String,
    /// Hex SHA-256 of the link's code, to mark the link used on success.
    #[serde(default)]
    pub link_hash: String,
    pub redirect_uri: String,
    pub created_at: Millis,
    pub expires_at: Millis,
    /// SHA-256 of the consent cookie of the browser that pressed Continue: the callback
    /// must come back to that browser.
    #[serde(default)]
    pub browser: String,
    /// The integration this consent is for, when one added after the tenant's first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration: Option<super::integration::Integration>,
    /// The language the customer's pages spoke at Continue and Google was asked in: the
    /// page after Google speaks it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// What happened to a flow whose state was used: kept briefly so a replay can be
/// attributed to its tenant without touching the tenant's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsedFlow {
    pub tenant: String,
    pub used_at: Millis,
}
