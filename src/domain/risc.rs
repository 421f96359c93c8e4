//! Google's security events (RISC, Cross-Account Protection): the events a Security Event
//! Token carries, each with its subject, and which integrations of a tenant an event is
//! about. Pure: the receiver checks the token (`google::risc`), the engine acts on it
//! (`engine::ops::risc`), the identifiers of a token kept at consent are [`TokenMarks`].

use super::integration::Integration;
use super::model::Tenant;
pub use super::token_facts::{TokenFacts, TokenMarks};

pub use super::risc_kind::{OAUTH_EVENT_TYPES, RISC_EVENT_TYPES, RiscKind};

/// Whom an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// A Google account (`iss-sub`).
    Account { iss: String, sub: String },
    /// One token, by its first 16 characters (`prefix`) or the base64 of SHA-512 over its
    /// SHA-512 (`hash_base64_sha512_sha512`).
    Token { alg: String, token: String },
    /// Nobody (verification), or a subject type we do not know.
    Other,
}

/// One event of a Security Event Token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityEvent {
    pub kind: RiscKind,
    pub subject: Subject,
    /// `reason` (account-disabled: `hijacking`, `bulk-account`), or verification's `state`.
    pub note: Option<String>,
}

/// The events of a token's `events` claim that we know; the others are left out.
pub fn events_of(events: &serde_json::Value) -> Vec<SecurityEvent> {
    let Some(map) = events.as_object() else {
        return Vec::new();
    };
    let text =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    map.iter()
        .filter_map(|(uri, body)| {
            let kind = RiscKind::from_uri(uri)?;
            let s = body.get("subject").unwrap_or(&serde_json::Value::Null);
            let subject = match text(s, "subject_type").as_deref() {
                Some("iss-sub") | Some("iss_sub") => Subject::Account {
                    iss: text(s, "iss").unwrap_or_default(),
                    sub: text(s, "sub").unwrap_or_default(),
                },
                Some("oauth_token") => Subject::Token {
                    alg: text(s, "token_identifier_alg").unwrap_or_default(),
                    token: text(s, "token").unwrap_or_default(),
                },
                _ => Subject::Other,
            };
            let note = text(body, "reason").or_else(|| text(body, "state"));
            Some(SecurityEvent {
                kind,
                subject,
                note: note.map(|n| crate::text::clean(&n).chars().take(200).collect()),
            })
        })
        .collect()
}

/// Two issuers are the same but for a trailing slash (Google's events carry one, its
/// id_tokens none).
fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The integrations of `t` that `subject` names (whatever their state): for an account,
/// every integration consented by that account (the tenant's one Google account; an
/// issuer kept at consent must agree); for a token, those holding that token.
pub fn integrations_named(t: &Tenant, subject: &Subject) -> Vec<Integration> {
    t.integrations()
        .into_iter()
        .filter(|i| {
            let Some(f) = t.facet(*i) else { return false };
            let Some(facts) = f.token_facts.as_ref() else {
                return false;
            };
            match subject {
                Subject::Account { iss, sub } => {
                    t.google.as_ref().is_some_and(|g| &g.sub == sub)
                        && facts
                            .issuer
                            .as_deref()
                            .is_none_or(|mine| same_issuer(mine, iss))
                }
                Subject::Token { alg, token } => facts.marks.matches(alg, token),
                Subject::Other => false,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_round_trips_through_its_uri() {
        for k in RiscKind::ALL {
            assert_eq!(RiscKind::from_uri(&k.uri()), Some(k));
        }
        assert_eq!(
            RiscKind::TokenRevoked.uri(),
            "https://schemas.openid.net/secevent/oauth/event-type/token-revoked"
        );
        assert_eq!(
            RiscKind::AccountDisabled.uri(),
            "https://schemas.openid.net/secevent/risc/event-type/account-disabled"
        );
        assert_eq!(RiscKind::from_uri("https://example.com/x"), None);
    }

    #[test]
    fn reads_the_events_google_documents() {
        let events = json!({
            "https://schemas.openid.net/secevent/risc/event-type/account-disabled": {
                "subject": {"subject_type": "iss-sub", "iss": "https://accounts.google.com/", "sub": "42"},
                "reason": "hijacking"
            },
            "https://schemas.openid.net/secevent/oauth/event-type/token-revoked": {
                "subject": {"subject_type": "oauth_token", "token_type": "refresh_token",
                            "token_identifier_alg": "prefix", "token": "1//0gABCDEFGHIJK"}
            },
            "https://example.com/unknown": {}
        });
        let mut got = events_of(&events);
        got.sort_by_key(|e| e.kind.name());
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].kind, RiscKind::AccountDisabled);
        assert_eq!(
            got[0].subject,
            Subject::Account {
                iss: "https://accounts.google.com/".into(),
                sub: "42".into()
            }
        );
        assert_eq!(got[0].note.as_deref(), Some("hijacking"));
        assert!(matches!(&got[1].subject, Subject::Token { alg, .. } if alg == "prefix"));
        assert!(events_of(&json!("x")).is_empty());
    }
}
