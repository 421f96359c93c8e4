//! The id_token's claims that say whom it was issued by and for, and until when, and the
//! check of them.

/// The id_token claims that say whom it was issued by and for, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenClaims {
    pub iss: Option<String>,
    pub aud: Vec<String>,
    pub azp: Option<String>,
    /// Seconds since the epoch.
    pub exp: Option<i64>,
}

/// Was the id_token issued by our issuer, for our client, and is it still valid? (Its
/// signature may go unchecked: it came straight from the token endpoint over TLS, OIDC
/// Core 3.1.3.7.) Google writes its issuer with or without `https://`.
pub fn check_claims(
    c: &TokenClaims,
    issuer: &str,
    client_id: &str,
    now_secs: i64,
) -> Result<(), String> {
    let bare = |s: &str| {
        s.trim_end_matches('/')
            .trim_start_matches("https://")
            .to_owned()
    };
    match c.iss.as_deref() {
        Some(iss) if bare(iss) == bare(issuer) => {}
        Some(iss) => return Err(format!("its issuer is {iss}, expected {issuer}")),
        None => return Err("it names no issuer".into()),
    }
    if !c.aud.iter().any(|a| a == client_id) {
        return Err(format!(
            "it was issued for {}, not for this client",
            c.aud.join(", ")
        ));
    }
    if c.aud.len() > 1 && c.azp.as_deref() != Some(client_id) {
        return Err("it has several audiences and its authorized party is not this client".into());
    }
    match c.exp {
        Some(exp) if exp > now_secs => Ok(()),
        Some(_) => Err("it has expired".into()),
        None => Err("it has no expiry".into()),
    }
}

#[cfg(test)]
mod claims_tests {
    use super::*;
    use rstest::rstest;

    fn c(iss: Option<&str>, aud: &[&str], azp: Option<&str>, exp: Option<i64>) -> TokenClaims {
        TokenClaims {
            iss: iss.map(Into::into),
            aud: aud.iter().map(|a| (*a).to_owned()).collect(),
            azp: azp.map(Into::into),
            exp,
        }
    }

    const G: &str = "https://accounts.google.com";

    #[rstest]
    #[case::good(c(Some(G), &["me"], None, Some(100)), true)]
    #[case::bare_issuer_form(c(Some("accounts.google.com"), &["me"], None, Some(100)), true)]
    #[case::other_issuer(c(Some("https://evil.example"), &["me"], None, Some(100)), false)]
    #[case::no_issuer(c(None, &["me"], None, Some(100)), false)]
    #[case::other_audience(c(Some(G), &["other"], None, Some(100)), false)]
    #[case::several_audiences_azp_ours(c(Some(G), &["other", "me"], Some("me"), Some(100)), true)]
    #[case::several_audiences_azp_other(c(Some(G), &["other", "me"], Some("other"), Some(100)), false)]
    #[case::expired(c(Some(G), &["me"], None, Some(50)), false)]
    #[case::no_expiry(c(Some(G), &["me"], None, None), false)]
    fn id_token_claims(#[case] claims: TokenClaims, #[case] ok: bool) {
        assert_eq!(check_claims(&claims, G, "me", 60).is_ok(), ok, "{claims:?}");
    }
}
