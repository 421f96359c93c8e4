//! `google.redirect_uri`: whether Google knows our redirect URI for the client, asked of
//! the authorization endpoint before any sign-in (redirects not followed). Google sends a
//! request it accepts on to its sign-in page (or straight back to the redirect URI); a
//! mismatch it shows on its own error page, naming `redirect_uri_mismatch` (in the page,
//! or in the error page's address, base64 in `authError`). Only these count: a `Location`
//! (resolved against the authorization URL) that starts with the redirect URI, or stays on
//! the authorization endpoint's host outside its error page, is registered; a page answered
//! in place (200) is registered only when it is the sign-in page itself (its title starts
//! with [`SIGN_IN_TITLE`], as Google's and the stand-in's do). Anything else cannot tell.

use std::time::SystemTime;

use base64::Engine as _;

use super::clock::Sample;
use super::fix::{OwnedFix, cause};
use super::{CheckLine, Level};
use crate::config::Config;
use crate::domain::google_errors::{GoogleCode, Stage};
use crate::domain::integration::Integration;
use crate::google::GoogleOAuth;

/// The `state` of the check's authorization request (no flow has it).
const STATE: &str = "mcp-onboard-config-check";

const MISMATCH: &str = "redirect_uri_mismatch";

/// How Google's sign-in page (and the stand-in's) is titled.
const SIGN_IN_TITLE: &str = "<title>Sign in - Google Accounts";

/// Google's own error page, on the authorization endpoint's host.
const ERROR_PAGE: &str = "/signin/oauth/error";

/// What the authorization endpoint's answer says of the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    Registered(String),
    Mismatch,
    CannotTell(String),
}

/// The verdict on an answer to a request at `auth_url`: its status, `Location` (if any)
/// and body.
pub(super) fn verdict(
    auth_url: &url::Url,
    status: u16,
    location: Option<&str>,
    body: &str,
    redirect_uri: &str,
) -> Verdict {
    if let Some(to) = location {
        let Ok(to) = auth_url.join(to) else {
            return Verdict::CannotTell(format!("Google sent the request to {to}"));
        };
        if to.as_str().starts_with(redirect_uri) {
            return Verdict::Registered("Google sends the request back to it".into());
        }
        if names_mismatch(&to) {
            return Verdict::Mismatch;
        }
        if to.host_str() != auth_url.host_str()
            || to.port_or_known_default() != auth_url.port_or_known_default()
        {
            return Verdict::CannotTell(format!("Google sent the request elsewhere: {to}"));
        }
        if to.path().contains(ERROR_PAGE) {
            return Verdict::CannotTell(format!("Google sent the request to its error page {to}"));
        }
        return Verdict::Registered("Google sends the request on to its sign-in page".into());
    }
    if body.contains(MISMATCH) {
        return Verdict::Mismatch;
    }
    if status == 200 && body.contains(SIGN_IN_TITLE) {
        return Verdict::Registered("Google shows its sign-in page".into());
    }
    Verdict::CannotTell(format!("the authorization endpoint answered {status}"))
}

/// Whether an address names the mismatch: as is, or in Google's base64 `authError` (read
/// tolerantly: a `+` that became a space put back, either alphabet, padding or not; the
/// first 32 characters hold the error's name).
fn names_mismatch(location: &url::Url) -> bool {
    if location.as_str().contains(MISMATCH) {
        return true;
    }
    location
        .query_pairs()
        .filter(|(k, _)| k == "authError")
        .filter_map(|(_, v)| {
            let mut v: String = v
                .trim_end_matches('=')
                .replace(' ', "+")
                .chars()
                .take(32)
                .collect();
            if v.len() % 4 == 1 {
                v.pop();
            }
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(&v)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&v))
                .ok()
        })
        .any(|bytes| String::from_utf8_lossy(&bytes).contains(MISMATCH))
}

/// The line, whether the authorization endpoint answered, and its `Date`. The URL is the
/// one a customer of `integration` gets (its scopes, PKCE, offline access), made by `oauth`.
pub(super) async fn check(
    http: &reqwest::Client,
    oauth: &GoogleOAuth,
    config: &Config,
    integration: Integration,
    cx: &OwnedFix,
    suffix: &str,
) -> (CheckLine, bool, Option<Sample>) {
    let name = format!("google.redirect_uri{suffix}");
    let redirect_uri = config.redirect_uri().to_string();
    let (challenge, _) = crate::google::new_pkce();
    let url = oauth.authorize_url(STATE, challenge, &integration.scopes(), None, "en");
    let sent = SystemTime::now();
    let res = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => {
            let line = CheckLine::new(
                name,
                Level::Fail,
                format!("the authorization endpoint did not answer: {}", cause(&e)),
                "see google.endpoints",
            );
            return (line, false, None);
        }
    };
    let sample = Sample::of(sent, res.headers());
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    let body = res.text().await.unwrap_or_default();
    let auth_url = &config.google.auth_url;
    let line = match verdict(auth_url, status, location.as_deref(), &body, &redirect_uri) {
        Verdict::Registered(how) => {
            CheckLine::ok(name, format!("{redirect_uri} is registered: {how}"))
        }
        Verdict::Mismatch => CheckLine::new(
            name,
            Level::Fail,
            format!(
                "Google says {MISMATCH}: {redirect_uri} is not registered for the client {}",
                oauth.client_id()
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
    (line, true, sample)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &str = "https://onboard.example.com/oauth/callback";

    fn auth() -> url::Url {
        url::Url::parse("https://accounts.google.com/o/oauth2/v2/auth").unwrap()
    }

    fn of(status: u16, location: Option<&str>, body: &str) -> Verdict {
        verdict(&auth(), status, location, body, OURS)
    }

    fn registered(v: Verdict) -> bool {
        matches!(v, Verdict::Registered(_))
    }

    fn cannot_tell(v: Verdict) -> bool {
        matches!(v, Verdict::CannotTell(_))
    }

    fn auth_error(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn back_to_the_redirect_uri_or_on_to_the_sign_in_page_is_registered() {
        let back = format!("{OURS}?error=access_denied&state=x");
        assert!(registered(of(302, Some(&back), "")));
        let signin = "https://accounts.google.com/v3/signin/identifier?continue=x";
        assert!(registered(of(302, Some(signin), "")));
        // Relative to the authorization URL.
        assert!(registered(of(302, Some("/v3/signin/identifier?x=1"), "")));
    }

    #[test]
    fn another_host_or_the_error_page_cannot_tell() {
        let elsewhere = "https://phish.example/v3/signin/identifier";
        assert!(cannot_tell(of(302, Some(elsewhere), "")));
        let other = "https://accounts.google.com/signin/oauth/error?authError=Cgdkb25lCg";
        assert!(cannot_tell(of(302, Some(other), "")));
        // Relative, onto the error page.
        assert!(cannot_tell(of(302, Some("/signin/oauth/error?x=1"), "")));
        assert!(cannot_tell(of(500, None, "oops")));
    }

    #[test]
    fn a_page_in_place_is_registered_only_when_it_is_the_sign_in_page() {
        let signin = "<html><head><title>Sign in - Google Accounts</title></head><form>";
        assert!(registered(of(200, None, signin)));
        assert!(cannot_tell(of(200, None, "<form>Allow</form>")));
        assert!(cannot_tell(of(200, None, "")));
        assert_eq!(
            of(400, None, "<h1>Error 400: redirect_uri_mismatch</h1>"),
            Verdict::Mismatch
        );
    }

    #[test]
    fn auth_error_is_read_tolerantly() {
        let raw = b"\xfb\xef\xberedirect_uri_mismatch\x12\x05other details follow";
        // Standard alphabet, its '+' sent raw (a query reads it as a space), padded.
        let code = auth_error(raw);
        assert!(code.starts_with("++++"), "{code}");
        let error =
            format!("https://accounts.google.com/signin/oauth/error?authError={code}&client_id=x");
        assert_eq!(of(302, Some(&error), ""), Verdict::Mismatch);
        // URL-safe, unpadded, relative.
        let safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let error = format!("/signin/oauth/error?authError={safe}");
        assert_eq!(of(302, Some(&error), ""), Verdict::Mismatch);
        // Percent-encoded, as a browser would send it.
        let encoded = code
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let error = format!("https://accounts.google.com/signin/oauth/error?authError={encoded}");
        assert_eq!(of(302, Some(&error), ""), Verdict::Mismatch);
    }
}
