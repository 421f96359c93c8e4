//! Binding a flow to the customer's browser: the Continue form's token (tied to the
//! browser's cookie and the link), what a press of Continue must bring, and whether a
//! callback comes back to the browser that started the flow.

/// A browser secret (the consent cookie's value): 32 random bytes, base64url.
pub const BROWSER_SECRET_LEN: usize = 43;

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The Continue form's token: HMAC-SHA256 under `key` (a server secret derived from the
/// master key) of the browser's cookie and the link, so a page elsewhere can neither read
/// it nor make one up, even for a cookie it planted.
pub fn form_token(key: &[u8], browser_secret: &str, link_hash: &[u8]) -> String {
    use hmac::Mac;
    let Ok(mut m) = <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(key) else {
        return String::new();
    };
    m.update(b"mcp-onboard continue v2\0");
    m.update(browser_secret.as_bytes());
    m.update(b"\0");
    m.update(link_hash);
    b64(&m.finalize().into_bytes())
}

/// What a pending flow keeps of the browser that started it: the cookie's SHA-256.
pub fn browser_hash(browser_secret: &str) -> String {
    use sha2::{Digest, Sha256};
    b64(&Sha256::digest(browser_secret.as_bytes()))
}

fn same(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// What a press of Continue brought.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ContinueRequest {
    pub sec_fetch_site: Option<String>,
    pub origin: Option<String>,
    /// The consent cookie's value.
    pub cookie: Option<String>,
    /// The form's token.
    pub token: Option<String>,
}

/// Why a press of Continue was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContinueRefusal {
    /// The browser says the form was sent from another site.
    CrossSite,
    /// An `Origin` that is neither ours nor `null`.
    ForeignOrigin,
    /// No consent cookie: the link's page was not opened in this browser.
    NoCookie,
    /// The form's token does not match the cookie and the link.
    BadToken,
}

impl ContinueRefusal {
    pub fn reason(self) -> &'static str {
        match self {
            ContinueRefusal::CrossSite => "sent from another web site",
            ContinueRefusal::ForeignOrigin => "sent from a foreign origin",
            ContinueRefusal::NoCookie => "sent by a browser that never opened the link",
            ContinueRefusal::BadToken => "its form token did not match",
        }
    }
}

/// Only a press of Continue on our own page, in the browser that opened it, starts a flow.
/// Our pages send `Referrer-Policy: no-referrer`, under which browsers send `Origin: null`
/// on this POST: `null` is accepted, since the cookie and token must match anyway.
pub fn check_continue<'a>(
    public_origin: &str,
    key: &[u8],
    link_hash: &[u8],
    req: &'a ContinueRequest,
) -> Result<&'a str, ContinueRefusal> {
    if req
        .sec_fetch_site
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("cross-site"))
    {
        return Err(ContinueRefusal::CrossSite);
    }
    if let Some(o) = req.origin.as_deref()
        && o != "null"
        && !o.eq_ignore_ascii_case(public_origin)
    {
        return Err(ContinueRefusal::ForeignOrigin);
    }
    let cookie = req
        .cookie
        .as_deref()
        .filter(|c| c.len() == BROWSER_SECRET_LEN)
        .ok_or(ContinueRefusal::NoCookie)?;
    let token = req.token.as_deref().ok_or(ContinueRefusal::BadToken)?;
    let want = form_token(key, cookie, link_hash);
    if want.is_empty() || !same(token, &want) {
        return Err(ContinueRefusal::BadToken);
    }
    Ok(cookie)
}

/// Does the callback come back to the browser that started the flow? A flow without a
/// browser binding (stored by an older version) never matches.
pub fn same_browser(flow_browser_hash: &str, cookie: Option<&str>) -> bool {
    match cookie {
        Some(c) if !flow_browser_hash.is_empty() => same(flow_browser_hash, &browser_hash(c)),
        _ => false,
    }
}

#[cfg(test)]
mod browser_tests {
    use super::*;

    const ORIGIN: &str = "https://onboard.example.com";
    const KEY: &[u8] = &[7u8; 32];

    fn req(
        site: Option<&str>,
        origin: Option<&str>,
        cookie: Option<&str>,
        token: Option<String>,
    ) -> ContinueRequest {
        ContinueRequest {
            sec_fetch_site: site.map(Into::into),
            origin: origin.map(Into::into),
            cookie: cookie.map(Into::into),
            token,
        }
    }

    #[test]
    fn continue_needs_our_page_in_this_browser() {
        let secret = "s".repeat(BROWSER_SECRET_LEN);
        let good = form_token(KEY, &secret, b"link-a");
        let ok = |r: &ContinueRequest| check_continue(ORIGIN, KEY, b"link-a", r).map(str::to_owned);
        assert_eq!(
            ok(&req(
                Some("same-origin"),
                Some(ORIGIN),
                Some(&secret),
                Some(good.clone())
            )),
            Ok(secret.clone())
        );
        assert!(
            ok(&req(None, Some("null"), Some(&secret), Some(good.clone()))).is_ok(),
            "no-referrer gives null"
        );
        assert!(ok(&req(None, None, Some(&secret), Some(good.clone()))).is_ok());
        assert_eq!(
            ok(&req(
                Some("cross-site"),
                None,
                Some(&secret),
                Some(good.clone())
            )),
            Err(ContinueRefusal::CrossSite)
        );
        assert_eq!(
            ok(&req(
                None,
                Some("https://evil.example"),
                Some(&secret),
                Some(good.clone())
            )),
            Err(ContinueRefusal::ForeignOrigin)
        );
        assert_eq!(
            ok(&req(None, None, None, Some(good.clone()))),
            Err(ContinueRefusal::NoCookie)
        );
        assert_eq!(
            ok(&req(None, None, Some(&secret), None)),
            Err(ContinueRefusal::BadToken)
        );
        // A token for another link, or another browser, does not pass.
        assert_eq!(
            ok(&req(
                None,
                None,
                Some(&secret),
                Some(form_token(KEY, &secret, b"link-b"))
            )),
            Err(ContinueRefusal::BadToken)
        );
        let other = "o".repeat(BROWSER_SECRET_LEN);
        assert_eq!(
            ok(&req(None, None, Some(&other), Some(good))),
            Err(ContinueRefusal::BadToken)
        );
    }

    #[test]
    fn a_token_without_the_server_key_does_not_pass() {
        use sha2::{Digest, Sha256};
        let secret = "s".repeat(BROWSER_SECRET_LEN);
        let with = |token: String| req(None, None, Some(&secret), Some(token));
        // Another server's key, or the unkeyed hash of earlier releases: refused.
        let other = form_token(&[8u8; 32], &secret, b"link-a");
        assert_ne!(other, form_token(KEY, &secret, b"link-a"));
        let mut h = Sha256::new();
        h.update(b"mcp-onboard continue v1\0");
        h.update(secret.as_bytes());
        h.update(b"\0");
        h.update(b"link-a");
        let unkeyed = b64(&h.finalize());
        for token in [other, unkeyed] {
            assert_eq!(
                check_continue(ORIGIN, KEY, b"link-a", &with(token)),
                Err(ContinueRefusal::BadToken)
            );
        }
    }

    #[test]
    fn the_callback_must_come_back_to_the_same_browser() {
        let secret = "s".repeat(BROWSER_SECRET_LEN);
        let h = browser_hash(&secret);
        assert!(same_browser(&h, Some(&secret)));
        assert!(!same_browser(&h, Some(&"x".repeat(BROWSER_SECRET_LEN))));
        assert!(!same_browser(&h, None));
        assert!(
            !same_browser("", Some(&secret)),
            "an unbound flow never matches"
        );
    }
}
