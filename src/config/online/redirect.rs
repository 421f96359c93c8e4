//! `google.redirect_uri`: whether Google knows our redirect URI for the client, asked of
//! the authorization endpoint before any sign-in (redirects not followed). Google sends a
//! request it accepts on to its sign-in page (or straight back to the redirect URI); a
//! mismatch it shows on its own error page, naming `redirect_uri_mismatch` (in the page,
//! or in the error page's address, base64 in `authError`). Anything else cannot tell.

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::google::{OwnedFix, cause};
use super::{CheckLine, Level};
use crate::config::{Config, GoogleCredentials};
use crate::domain::google_errors::{GoogleCode, Stage};

const MISMATCH: &str = "redirect_uri_mismatch";

/// What the authorization endpoint's answer says of the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Registered(String),
    Mismatch,
    CannotTell(String),
}

/// The verdict on an answer: its status, `Location` (if any) and body.
pub(super) fn verdict(
    status: u16,
    location: Option<&str>,
    body: &str,
    redirect_uri: &str,
) -> Verdict {
    if let Some(to) = location {
        if to.starts_with(redirect_uri) {
            return Verdict::Registered("Google sends the request back to it".into());
        }
        if names_mismatch(to) {
            return Verdict::Mismatch;
        }
        if to.contains("/signin/oauth/error") {
            return Verdict::CannotTell(format!("Google sent the request to its error page {to}"));
        }
        return Verdict::Registered("Google sends the request on to its sign-in page".into());
    }
    if body.contains(MISMATCH) {
        return Verdict::Mismatch;
    }
    if status == 200 {
        return Verdict::Registered("Google shows its sign-in page".into());
    }
    Verdict::CannotTell(format!("the authorization endpoint answered {status}"))
}

/// Whether an address names the mismatch: as is, or in Google's base64 `authError`.
fn names_mismatch(location: &str) -> bool {
    if location.contains(MISMATCH) {
        return true;
    }
    let Ok(url) = url::Url::parse(location) else {
        return false;
    };
    url.query_pairs()
        .filter(|(k, _)| k == "authError")
        .filter_map(|(_, v)| {
            let v = v.trim_end_matches('=');
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(v)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(v))
                .ok()
        })
        .any(|bytes| String::from_utf8_lossy(&bytes).contains(MISMATCH))
}

/// The line, and whether the authorization endpoint answered.
pub(super) async fn check(
    http: &reqwest::Client,
    config: &Config,
    creds: &GoogleCredentials,
    cx: &OwnedFix,
    suffix: &str,
) -> (CheckLine, bool) {
    let name = format!("google.redirect_uri{suffix}");
    let redirect_uri = config.redirect_uri().to_string();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(
        crate::engine::token::random_token(32).as_bytes(),
    ));
    let mut url = config.google.auth_url.clone();
    url.query_pairs_mut()
        .append_pair("client_id", &creds.client_id)
        .append_pair("redirect_uri", &redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email")
        .append_pair("state", "mcp-onboard-config-check")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let res = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => {
            let line = CheckLine::new(
                name,
                Level::Fail,
                format!("the authorization endpoint did not answer: {}", cause(&e)),
                "see google.endpoints",
            );
            return (line, false);
        }
    };
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = res.text().await.unwrap_or_default();
    let line = match verdict(status, location.as_deref(), &body, &redirect_uri) {
        Verdict::Registered(how) => {
            CheckLine::ok(name, format!("{redirect_uri} is registered: {how}"))
        }
        Verdict::Mismatch => CheckLine::new(
            name,
            Level::Fail,
            format!(
                "Google says {MISMATCH}: {redirect_uri} is not registered for the client {}",
                creds.client_id
            ),
            GoogleCode::new(Stage::GooglePage, MISMATCH).fix(&cx.borrowed()),
        ),
        Verdict::CannotTell(why) => CheckLine::new(
            name,
            Level::Warn,
            format!("could not tell whether {redirect_uri} is registered: {why}"),
            format!(
                "open the consent link once yourself; make sure {redirect_uri} is under Authorized redirect URIs of the client"
            ),
        ),
    };
    (line, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "https://onboard.example.com/oauth/callback";

    #[test]
    fn the_answer_tells_a_registered_uri_from_a_mismatch() {
        let back = format!("{OURS}?error=access_denied&state=x");
        assert!(matches!(
            verdict(302, Some(&back), "", OURS),
            Verdict::Registered(_)
        ));
        let signin = "https://accounts.google.com/v3/signin/identifier?continue=x";
        assert!(matches!(
            verdict(302, Some(signin), "", OURS),
            Verdict::Registered(_)
        ));
        assert!(matches!(
            verdict(200, None, "<form>Allow</form>", OURS),
            Verdict::Registered(_)
        ));
        // Google's error page, the mismatch in base64 in its address.
        let code = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(b"\n\x15redirect_uri_mismatch\x12\x05other");
        let error =
            format!("https://accounts.google.com/signin/oauth/error?authError={code}&client_id=x");
        assert_eq!(verdict(302, Some(&error), "", OURS), Verdict::Mismatch);
        assert_eq!(
            verdict(400, None, "<h1>Error 400: redirect_uri_mismatch</h1>", OURS),
            Verdict::Mismatch
        );
        let other = "https://accounts.google.com/signin/oauth/error?authError=Cgdkb25lCg";
        assert!(matches!(
            verdict(302, Some(other), "", OURS),
            Verdict::CannotTell(_)
        ));
        assert!(matches!(
            verdict(500, None, "oops", OURS),
            Verdict::CannotTell(_)
        ));
    }
}
