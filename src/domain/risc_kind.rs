//! The kinds of Google's security events we ask for and act on, with their type URIs.

use serde::{Deserialize, Serialize};

/// Where the OAuth events' types are (token revocations).
pub const OAUTH_EVENT_TYPES: &str = "https://schemas.openid.net/secevent/oauth/event-type/";
/// Where the account events' types are.
pub const RISC_EVENT_TYPES: &str = "https://schemas.openid.net/secevent/risc/event-type/";

/// The event types we ask Google for and act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RiscKind {
    /// Every token of an account for our client was revoked (an account subject).
    TokensRevoked,
    /// One refresh token was revoked (a token subject).
    TokenRevoked,
    AccountDisabled,
    AccountEnabled,
    AccountCredentialChangeRequired,
    SessionsRevoked,
    /// The answer to `stream:verify`: about no account.
    Verification,
}

impl RiscKind {
    pub const ALL: [RiscKind; 7] = [
        RiscKind::TokensRevoked,
        RiscKind::TokenRevoked,
        RiscKind::AccountDisabled,
        RiscKind::AccountEnabled,
        RiscKind::AccountCredentialChangeRequired,
        RiscKind::SessionsRevoked,
        RiscKind::Verification,
    ];

    /// Its short name (the last part of its type URI).
    pub fn name(self) -> &'static str {
        match self {
            RiscKind::TokensRevoked => "tokens-revoked",
            RiscKind::TokenRevoked => "token-revoked",
            RiscKind::AccountDisabled => "account-disabled",
            RiscKind::AccountEnabled => "account-enabled",
            RiscKind::AccountCredentialChangeRequired => "account-credential-change-required",
            RiscKind::SessionsRevoked => "sessions-revoked",
            RiscKind::Verification => "verification",
        }
    }

    /// Its event type URI.
    pub fn uri(self) -> String {
        let base = match self {
            RiscKind::TokensRevoked | RiscKind::TokenRevoked => OAUTH_EVENT_TYPES,
            _ => RISC_EVENT_TYPES,
        };
        format!("{base}{}", self.name())
    }

    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.uri() == uri)
    }

    /// A revocation: the tenant needs a new consent.
    pub fn revokes(self) -> bool {
        matches!(self, RiscKind::TokensRevoked | RiscKind::TokenRevoked)
    }
}

impl std::fmt::Display for RiscKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
