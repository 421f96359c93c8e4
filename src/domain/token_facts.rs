//! What we know of a refresh token we hold, beside the token (which stays sealed in its
//! secret slot): the identifiers Google's security events name it by ([`TokenMarks`],
//! hashes only), and what tells a later refusal's likely cause ([`TokenFacts`], kept at
//! consent, and the [`FailureCause`] a refusal is classed as).

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::consent::KeptAtConsent;
use super::health::{TESTING_TOKEN_LIFETIME_MS, TOKENS_PER_ACCOUNT};
use super::integration::Integration;
use super::model::Tenant;
use super::risc::RiscKind;
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

impl TokenFacts {
    /// The facts of `token` just consented, with what was kept at consent and the tokens
    /// issued through the tenant for its account (`issued`, this one included).
    pub fn at_consent(token: &str, kept: &KeptAtConsent, issued: u32) -> Self {
        TokenFacts {
            issuer: kept.issuer.clone(),
            testing: kept.testing,
            expires_in: kept.expires_in,
            tokens_issued: Some(issued),
            ..Self::marks_only(token)
        }
    }
}

impl Tenant {
    /// The token facts of one integration it holds.
    pub fn token_facts_of(&self, i: Integration) -> Option<&TokenFacts> {
        if i == self.integration {
            return self.token_facts.as_ref();
        }
        self.added_state(i).and_then(|s| s.token_facts.as_ref())
    }

    /// Where one integration's token facts are kept (`None`: it does not hold it).
    pub fn token_facts_mut(&mut self, i: Integration) -> Option<&mut Option<TokenFacts>> {
        if i == self.integration {
            return Some(&mut self.token_facts);
        }
        self.added
            .iter_mut()
            .find(|s| s.integration == i)
            .map(|s| &mut s.token_facts)
    }

    /// Refresh tokens issued through the tenant for its Google account, over all its
    /// integrations.
    pub fn tokens_issued_for_account(&self) -> u32 {
        self.integrations()
            .into_iter()
            .filter_map(|i| self.facet(i))
            .map(|f| f.tokens_by_current_account())
            .sum()
    }
}

/// A migration's step, the same on every backend: each integration holding a refresh token
/// stored by a release before Google's security events (no facts yet) gets that token's
/// marks; `token_of` reads a secret of the tenant by name. Whether anything changed.
pub fn mark_stored_tokens<E>(
    t: &mut Tenant,
    token_of: impl Fn(&str) -> Result<Option<String>, E>,
) -> Result<bool, E> {
    let mut changed = false;
    for i in t.integrations() {
        if t.token_facts_of(i).is_some() {
            continue;
        }
        let Some(name) = t.secret_name(i, REFRESH_TOKEN) else {
            continue;
        };
        let Some(token) = token_of(&name)? else {
            continue;
        };
        if let Some(slot) = t.token_facts_mut(i) {
            *slot = Some(TokenFacts::marks_only(&token));
            changed = true;
        }
    }
    Ok(changed)
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

/// What a refusal at `now` is likely caused by, from what was kept at consent
/// (`consented_at`, `facts`), the last successful refresh (`last_ok`), and the tokens
/// issued for the account and client through the tenant now (`issued_now`).
pub fn classify_cause(
    facts: Option<&TokenFacts>,
    consented_at: Option<Millis>,
    last_ok: Option<Millis>,
    issued_now: u32,
    now: Millis,
) -> FailureCause {
    let Some(f) = facts else {
        return FailureCause::Unknown;
    };
    let since_consent = consented_at.map(|c| now.saturating_sub(c));
    if f.security.as_ref().is_some_and(|s| s.kind.revokes()) {
        return FailureCause::RevokedByCustomer;
    }
    if f.testing && since_consent.is_some_and(|d| d >= TESTING_TOKEN_LIFETIME_MS) {
        return FailureCause::TestingExpiry;
    }
    if let (Some(secs), Some(d)) = (f.expires_in, since_consent)
        && d >= i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    {
        return FailureCause::GrantEnded;
    }
    if let Some(at_consent) = f.tokens_issued
        && usize::try_from(issued_now.saturating_sub(at_consent)).unwrap_or(usize::MAX)
            >= TOKENS_PER_ACCOUNT
    {
        return FailureCause::Evicted;
    }
    let used = last_ok.or(consented_at);
    if used.is_some_and(|u| now.saturating_sub(u) >= UNUSED_EXPIRY_MS) {
        return FailureCause::Unused;
    }
    FailureCause::Unknown
}

/// Record on `f` (an integration, as a tenant of it alone, whose token Google just refused
/// at `now`) the refusal's likely cause, in its token facts and its reason; the tenant's
/// tokens issued for its account now are `issued_now`.
pub fn note_cause(f: &mut Tenant, issued_now: u32, now: Millis) -> FailureCause {
    let last_ok = f.health.as_ref().and_then(|h| h.healthy_at);
    let cause = classify_cause(
        f.token_facts.as_ref(),
        f.consented_at,
        last_ok,
        issued_now,
        now,
    );
    if let Some(facts) = f.token_facts.as_mut() {
        facts.cause = Some(cause);
    }
    if let Some(r) = f.reason.as_mut() {
        r.push_str(&format!(" (likely cause: {})", cause.describe()));
    }
    cause
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "1//0gExampleRefreshTokenValue-abcdefghijklmnop";

    #[test]
    fn marks_match_both_of_googles_identifiers_and_nothing_else() {
        let m = TokenMarks::of(TOKEN);
        assert!(m.matches("prefix", &TOKEN[..16]));
        assert!(!m.matches("prefix", &TOKEN[..15]), "too short to name it");
        assert!(!m.matches("prefix", "1//0gSomethingElse"));
        let inner = Sha512::digest(TOKEN.as_bytes());
        let hash = Sha512::digest(inner);
        assert!(m.matches("hash_base64_sha512_sha512", &STANDARD.encode(hash)));
        assert!(m.matches("hash_base64_sha512_sha512", &URL_SAFE_NO_PAD.encode(hash)));
        assert!(!m.matches("hash_base64_sha512_sha512", &STANDARD.encode([0u8; 64])));
        assert!(!m.matches("sha256", &TOKEN[..16]));
        assert!(!m.sha512_sha512.contains(&TOKEN[..16]));
        assert!(!m.prefix_sha256.contains(&TOKEN[..16]));
    }

    #[test]
    fn each_cause_is_told_from_what_was_kept() {
        let day = 24 * 3600 * 1000;
        let base = TokenFacts::marks_only(TOKEN);
        let at = Some(1_000);
        let c = |f: &TokenFacts, last: Option<Millis>, issued: u32, now: Millis| {
            classify_cause(Some(f), at, last, issued, now)
        };
        let mut revoked = base.clone();
        revoked.security = Some(SecurityNote {
            kind: RiscKind::TokensRevoked,
            at: 5,
            note: None,
        });
        assert_eq!(
            c(&revoked, None, 1, 2 * day),
            FailureCause::RevokedByCustomer
        );
        let mut testing = base.clone();
        testing.testing = true;
        assert_eq!(c(&testing, None, 1, 8 * day), FailureCause::TestingExpiry);
        assert_eq!(c(&testing, None, 1, 2 * day), FailureCause::Unknown);
        let mut limited = base.clone();
        limited.expires_in = Some(3600);
        assert_eq!(
            c(&limited, None, 1, 2 * 3600 * 1000),
            FailureCause::GrantEnded
        );
        let mut counted = base.clone();
        counted.tokens_issued = Some(3);
        assert_eq!(c(&counted, None, 103, 2 * day), FailureCause::Evicted);
        assert_eq!(c(&counted, None, 102, 2 * day), FailureCause::Unknown);
        assert_eq!(c(&base, Some(day), 1, 200 * day), FailureCause::Unused);
        assert_eq!(
            c(&base, Some(100 * day), 1, 200 * day),
            FailureCause::Unknown
        );
        assert_eq!(
            classify_cause(None, at, None, 1, 300 * day),
            FailureCause::Unknown
        );
    }
}
