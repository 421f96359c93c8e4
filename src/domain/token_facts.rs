//! What we know of a refresh token we hold, beside the token (which stays sealed in its
//! secret slot): the identifiers Google's security events name it by ([`TokenMarks`],
//! hashes only), what tells a later refusal's likely cause ([`TokenFacts`], kept at
//! consent) and the [`FailureCause`] a refusal is classed as (see `token_cause`).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::risc_kind::RiscKind;
use crate::time::Millis;

/// The secret holding a consent's refresh token (an added integration's name prefixed, see
/// [`super::held::integration_secret`]).
pub const REFRESH_TOKEN: &str = "refresh_token";
/// How many characters of a token Google's `prefix` identifier carries.
pub const PREFIX_CHARS: usize = 16;
/// Google expires a refresh token not used for this long.
pub const UNUSED_EXPIRY_MS: Millis = 183 * 24 * 3600 * 1000;

/// The identifiers of a token as Google's `token-revoked` events give them, hashed: the
/// token itself is never kept outside its sealed slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenMarks {
    /// Base64 of SHA-512 over the token's SHA-512 (`hash_base64_sha512_sha512`).
    pub sha512_sha512: String,
    /// Hex SHA-256 of the token's first 16 characters (the `prefix` identifier, hashed).
    pub prefix_sha256: String,
}

impl TokenMarks {
    pub fn of(token: &str) -> Self {
        let inner = Sha512::digest(token.as_bytes());
        TokenMarks {
            sha512_sha512: STANDARD.encode(Sha512::digest(inner)),
            prefix_sha256: prefix_hash(token),
        }
    }

    /// Whether an event's identifier (`alg`, `token`) names this token.
    pub fn matches(&self, alg: &str, token: &str) -> bool {
        match alg {
            "prefix" => {
                token.chars().count() >= PREFIX_CHARS && prefix_hash(token) == self.prefix_sha256
            }
            "hash_base64_sha512_sha512" => {
                let mine = STANDARD.decode(&self.sha512_sha512).unwrap_or_default();
                !mine.is_empty() && decode_any(token).is_some_and(|theirs| theirs == mine)
            }
            _ => false,
        }
    }
}

fn prefix_hash(token: &str) -> String {
    let prefix: String = token.chars().take(PREFIX_CHARS).collect();
    Sha256::digest(prefix.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Base64 in either alphabet, padded or not.
fn decode_any(text: &str) -> Option<Vec<u8>> {
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(text.trim()).ok())
}

/// A security event recorded on an integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityNote {
    pub kind: RiscKind,
    pub at: Millis,
    /// The event's reason, if it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// What we know of the refresh token an integration holds (kept at its consent; a token
/// stored by an earlier release gets its marks from the migration, the rest unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFacts {
    pub marks: TokenMarks,
    /// The id_token's issuer at consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The app was in Testing status at consent (`google.app_in_testing`).
    #[serde(default)]
    pub testing: bool,
    /// Google's `refresh_token_expires_in` (seconds): the grant is time-limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Refresh tokens issued for the account and this OAuth client through the tenant, this
    /// one included, at consent (`None`: not known, stored by an earlier release).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens_issued: Option<u32>,
    /// The last security event about the grant that was acted on or recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecurityNote>,
    /// Google disabled the account (`account-disabled`): held until `account-enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<SecurityNote>,
    /// Google asked for the account's credentials to change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_change: Option<SecurityNote>,
    /// The likely cause of the last refusal of the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<FailureCause>,
    /// Consented while it needed a new consent: its next deploy is a recovery
    /// (`tenant.recovered`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recovering: bool,
}

impl TokenFacts {
    /// Facts of a token with nothing known but its marks.
    pub fn marks_only(token: &str) -> Self {
        TokenFacts {
            marks: TokenMarks::of(token),
            issuer: None,
            testing: false,
            expires_in: None,
            tokens_issued: None,
            security: None,
            hold: None,
            credential_change: None,
            cause: None,
            recovering: false,
        }
    }
}

/// The likely cause of a refresh token's refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureCause {
    /// Google told us (a security event) that the customer or Google revoked it.
    RevokedByCustomer,
    /// The app is in Testing status: Google expires tokens 7 days after consent.
    TestingExpiry,
    /// The grant was time-limited (`refresh_token_expires_in`) and ended.
    GrantEnded,
    /// More than 100 newer tokens were issued for the account and client.
    Evicted,
    /// Not used for 6 months (since its last successful refresh).
    Unused,
    Unknown,
}

impl FailureCause {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureCause::RevokedByCustomer => "revoked_by_customer",
            FailureCause::TestingExpiry => "testing_expiry",
            FailureCause::GrantEnded => "grant_ended",
            FailureCause::Evicted => "evicted",
            FailureCause::Unused => "unused",
            FailureCause::Unknown => "unknown",
        }
    }

    /// What an operator reads.
    pub fn describe(self) -> &'static str {
        match self {
            FailureCause::RevokedByCustomer => {
                "revoked: Google's security event said the customer (or Google) revoked the grant"
            }
            FailureCause::TestingExpiry => {
                "expired: the app is in Testing status, where Google ends tokens 7 days after consent (publish the app to production)"
            }
            FailureCause::GrantEnded => {
                "ended: the customer granted access for a limited time, and it is over"
            }
            FailureCause::Evicted => {
                "evicted: more than 100 newer tokens were issued for the account and this OAuth client, and Google drops the oldest"
            }
            FailureCause::Unused => {
                "expired: not used for 6 months since its last successful refresh"
            }
            FailureCause::Unknown => "unknown: none of the known causes fits what we recorded",
        }
    }
}

impl std::fmt::Display for FailureCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
