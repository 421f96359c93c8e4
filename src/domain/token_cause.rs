//! A refresh token's facts over time: kept at consent, marked for tokens stored before
//! them (a migration's step), and a refusal classed by its likely cause.

use super::consent::KeptAtConsent;
use super::health::{TESTING_TOKEN_LIFETIME_MS, TOKENS_PER_ACCOUNT};
use super::integration::Integration;
use super::model::Tenant;
use super::token_facts::{FailureCause, REFRESH_TOKEN, TokenFacts, UNUSED_EXPIRY_MS};
use crate::time::Millis;

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
    use crate::domain::risc_kind::RiscKind;
    use crate::domain::token_facts::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use sha2::{Digest, Sha512};

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
