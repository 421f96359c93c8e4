//! Tokens as Google issues them: scopes under their long names, a stable `sub` per
//! account, and an id_token with the claims Google sets (unsigned: it comes straight from
//! the token endpoint, so the signature is never checked).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Google returns `email`/`profile` under their long names.
pub(super) fn google_name(scope: &str) -> &str {
    match scope {
        "email" => "https://www.googleapis.com/auth/userinfo.email",
        "profile" => "https://www.googleapis.com/auth/userinfo.profile",
        s => s,
    }
}

fn sub_of(email: &str) -> String {
    let d = Sha256::digest(email.as_bytes());
    d.iter().take(10).map(|b| format!("{}", b % 10)).collect()
}

pub(super) fn id_token(client_id: &str, email: &str, extra: Option<&serde_json::Value>) -> String {
    let domain = email.split_once('@').map(|x| x.1).unwrap_or("");
    let now = crate::time::now_ms() / 1000;
    let mut claims = json!({
        "iss": "https://accounts.google.com",
        "aud": client_id,
        "azp": client_id,
        "iat": now,
        "exp": now + 3600,
        "sub": sub_of(email),
        "email": email,
        "email_verified": true,
    });
    if domain != "gmail.com" && !domain.is_empty() {
        claims["hd"] = json!(domain);
    }
    if let (Some(serde_json::Value::Object(extra)), Some(c)) = (extra, claims.as_object_mut()) {
        for (k, v) in extra {
            if v.is_null() {
                c.remove(k);
            } else {
                c.insert(k.clone(), v.clone());
            }
        }
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","kid":"sandbox"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!(
        "{header}.{payload}.{}",
        URL_SAFE_NO_PAD.encode(b"sandbox-signature")
    )
}
