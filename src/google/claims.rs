//! The few id_token claims we use (sub, email, email_verified, hd), parsed without
//! signature verification (see the module above for why that is sound here).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_string")]
    pub email_verified: bool,
    #[serde(default)]
    pub hd: Option<String>,
    #[serde(default)]
    pub iss: Option<String>,
    /// One audience or several.
    #[serde(default, deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    #[serde(default)]
    pub azp: Option<String>,
    /// Expiry, in seconds since the epoch.
    #[serde(default)]
    pub exp: Option<i64>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum A {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<A>::deserialize(d)? {
        Some(A::One(s)) => vec![s],
        Some(A::Many(v)) => v,
        None => Vec::new(),
    })
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ClaimsError {
    #[error("the id_token is not a JWT")]
    NotJwt,
    #[error("the id_token payload is not base64url JSON with a `sub` claim")]
    BadPayload,
}

fn bool_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum B {
        Bool(bool),
        Text(String),
    }
    Ok(match B::deserialize(d)? {
        B::Bool(b) => b,
        B::Text(t) => t == "true",
    })
}

pub fn parse_id_token(jwt: &str) -> Result<IdClaims, ClaimsError> {
    let mut parts = jwt.split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ClaimsError::NotJwt);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| ClaimsError::BadPayload)?;
    serde_json::from_slice(&bytes).map_err(|_| ClaimsError::BadPayload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn jwt(payload: &str) -> String {
        format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn reads_claims_including_string_booleans() {
        let c = parse_id_token(&jwt(
            r#"{"sub":"42","email":"a@b.co","email_verified":"true","hd":"b.co"}"#,
        ))
        .unwrap();
        assert_eq!(c.sub, "42");
        assert!(c.email_verified);
        assert_eq!(c.hd.as_deref(), Some("b.co"));
        let c = parse_id_token(&jwt(r#"{"sub":"1"}"#)).unwrap();
        assert!(!c.email_verified && c.email.is_none());
        let c = parse_id_token(&jwt(
            r#"{"sub":"1","aud":["a","b"],"azp":"a","exp":9,"iss":"x"}"#,
        ))
        .unwrap();
        assert_eq!(
            (c.aud.len(), c.azp.as_deref(), c.exp),
            (2, Some("a"), Some(9))
        );
        let c = parse_id_token(&jwt(r#"{"sub":"1","aud":"a"}"#)).unwrap();
        assert_eq!(c.aud, vec!["a".to_owned()]);
    }

    #[test]
    fn rejects_non_jwts() {
        assert_eq!(parse_id_token("abc"), Err(ClaimsError::NotJwt));
        assert_eq!(parse_id_token("a.b.c.d"), Err(ClaimsError::NotJwt));
        assert_eq!(parse_id_token(&jwt("{}")), Err(ClaimsError::BadPayload));
        assert_eq!(parse_id_token("a.!!!.c"), Err(ClaimsError::BadPayload));
    }

    proptest! {
        #[test]
        fn never_panics_on_any_input(s in ".{0,200}") {
            let _ = parse_id_token(&s);
        }
    }
}
