//! The callback's decision tree, pure: from what the callback brought and what Google
//! answered, which outcome (accept, or which failure with which page), and whether an
//! unwanted grant is to be given back at Google. The engine only fetches the inputs and
//! performs what is decided.

use super::model::{ExpectedAccount, FailureKind, GoogleIdentity, LinkState, PendingFlow};
use crate::time::Millis;

/// Which page the customer sees for a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    CallbackIncomplete,
    StateUnknown,
    Replayed,
    LinkGone(&'static str),
    FlowExpired,
    Denied,
    GoogleError,
    ExchangeFailed,
    NoRefreshToken,
    ScopeMissing,
    WrongAccount {
        signed_in: Option<String>,
        expected: String,
    },
    Internal,
}

/// A callback that does not end in a stored consent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `Some`: the tenant's consent failed (status `failed` unless it holds one already);
    /// `None`: only recorded on the timeline (a replay, a dead link).
    pub kind: Option<FailureKind>,
    pub reason: String,
    pub page: Page,
    /// Give the grant back at Google (it was made but will not be kept).
    pub revoke: bool,
}

impl Refusal {
    fn fail(kind: FailureKind, reason: impl Into<String>, page: Page) -> Self {
        Self {
            kind: Some(kind),
            reason: reason.into(),
            page,
            revoke: false,
        }
    }

    fn revoking(mut self) -> Self {
        self.revoke = true;
        self
    }
}

/// What the callback's query carried (after duplicate parameters were dropped).
#[derive(Debug, Default, Clone)]
pub struct CallbackParams {
    /// The authorization code: a secret until it is exchanged (wiped when dropped).
    pub code: Option<secrecy::SecretString>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

pub const MAX_CODE_LEN: usize = 2048;

/// Before anything reaches Google: is this flow still good for an exchange? Returns the
/// authorization code to exchange.
pub fn before_exchange<'a>(
    flow: &PendingFlow,
    link: Option<LinkState>,
    link_id: &str,
    params: &'a CallbackParams,
    redirect_uri: &str,
    now: Millis,
) -> Result<&'a str, Refusal> {
    if flow.redirect_uri != redirect_uri {
        return Err(Refusal {
            kind: None,
            reason: "a sign-in response for another redirect URI was refused".into(),
            page: Page::StateUnknown,
            revoke: false,
        });
    }
    if flow.expires_at <= now {
        return Err(Refusal::fail(
            FailureKind::FlowExpired,
            "the customer came back from Google after the 10-minute sign-in window; they can open the consent link again",
            Page::FlowExpired,
        ));
    }
    // One consent per link: a second tab, or a flow started before the link was used,
    // withdrawn or superseded, stops here.
    match link {
        Some(LinkState::Active) | Some(LinkState::Expired) => {}
        Some(state) => {
            let why = match state {
                LinkState::Used => "This link was already used to connect an account.",
                LinkState::Revoked => "This link was withdrawn.",
                _ => "A newer link was used to connect an account.",
            };
            return Err(Refusal {
                kind: None,
                reason: format!(
                    "a sign-in through consent link {link_id} was refused: the link is {state}"
                ),
                page: Page::LinkGone(why),
                revoke: false,
            });
        }
        None => {
            return Err(Refusal {
                kind: None,
                reason: format!(
                    "a sign-in through consent link {link_id} was refused: the link is unknown"
                ),
                page: Page::LinkGone("This invitation is no longer active."),
                revoke: false,
            });
        }
    }
    if let Some(err) = params.error.as_deref() {
        return Err(if err == "access_denied" {
            Refusal::fail(
                FailureKind::ConsentDenied,
                "the customer declined access at Google (access_denied)",
                Page::Denied,
            )
        } else {
            let desc = params
                .error_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            Refusal::fail(
                FailureKind::ConsentError,
                format!("Google returned error {err}{desc}"),
                Page::GoogleError,
            )
        });
    }
    params
        .code
        .as_ref()
        .map(secrecy::ExposeSecret::expose_secret)
        .filter(|c| !c.is_empty() && c.len() <= MAX_CODE_LEN)
        .ok_or_else(|| {
            Refusal::fail(
                FailureKind::MissingCode,
                "Google's response had no authorization code",
                Page::CallbackIncomplete,
            )
        })
}

/// What Google's token endpoint gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFacts {
    pub has_refresh_token: bool,
    /// `None` when Google did not list scopes (RFC 6749: then they equal the requested).
    pub scopes: Option<Vec<String>>,
    /// The id_token's claims, or why they could not be read; `None`: no id_token.
    pub identity: Option<Result<GoogleIdentity, String>>,
}

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

/// A grant to keep: who, and what was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub identity: GoogleIdentity,
    pub granted: Vec<String>,
}

/// Google reports `email`/`profile` under their long names.
fn normalise_scope(s: &str) -> &str {
    match s {
        "https://www.googleapis.com/auth/userinfo.email" => "email",
        "https://www.googleapis.com/auth/userinfo.profile" => "profile",
        other => other,
    }
}

/// Requested scopes missing from the granted ones.
pub fn missing_scopes(requested: &[String], granted: &[String]) -> Vec<String> {
    requested
        .iter()
        .filter(|r| {
            !granted
                .iter()
                .any(|g| normalise_scope(g) == normalise_scope(r))
        })
        .cloned()
        .collect()
}

/// Does the signed-in account match what the operator expected? `Err` says who signed in.
pub fn check_account(
    expected: Option<&ExpectedAccount>,
    id: &GoogleIdentity,
) -> Result<(), String> {
    let email = id
        .email
        .as_deref()
        .unwrap_or("an account without an email")
        .to_ascii_lowercase();
    match expected {
        None => Ok(()),
        Some(ExpectedAccount::Email(want)) => {
            if id.email_verified && email == *want {
                Ok(())
            } else if !id.email_verified && email == *want {
                Err(format!(
                    "{email} (address not verified by Google), expected {want}"
                ))
            } else {
                Err(format!("{email}, expected {want}"))
            }
        }
        Some(ExpectedAccount::Domain(want)) => match id.hd.as_deref() {
            Some(hd) if hd.eq_ignore_ascii_case(want) => Ok(()),
            Some(hd) => Err(format!(
                "{email} of Workspace domain {hd}, expected domain {want}"
            )),
            None => Err(format!(
                "{email} (not a Workspace account), expected domain {want}"
            )),
        },
    }
}

pub fn expected_text(expected: Option<&ExpectedAccount>) -> String {
    match expected {
        Some(ExpectedAccount::Email(m)) => m.clone(),
        Some(ExpectedAccount::Domain(d)) => format!("an account of {d}"),
        None => String::new(),
    }
}

/// After the exchange: keep the grant, or refuse it (and give it back when it was made).
pub fn decide_grant(
    expected: Option<&ExpectedAccount>,
    requested: &[String],
    g: &GrantFacts,
) -> Result<Accepted, Refusal> {
    if !g.has_refresh_token {
        return Err(Refusal::fail(
            FailureKind::NoRefreshToken,
            "Google returned no refresh token (offline access not granted)",
            Page::NoRefreshToken,
        ));
    }
    let granted = g.scopes.clone().unwrap_or_else(|| requested.to_vec());
    let missing = missing_scopes(requested, &granted);
    if !missing.is_empty() {
        return Err(Refusal::fail(
            FailureKind::ScopeMissing,
            format!("the customer did not grant {}", missing.join(", ")),
            Page::ScopeMissing,
        )
        .revoking());
    }
    let identity = match &g.identity {
        Some(Ok(id)) => id.clone(),
        Some(Err(e)) => {
            return Err(Refusal::fail(
                FailureKind::ExchangeFailed,
                format!("the id_token was refused: {e}"),
                Page::ExchangeFailed,
            )
            .revoking());
        }
        None => {
            return Err(Refusal::fail(
                FailureKind::ScopeMissing,
                "Google returned no id_token (openid scope not granted)",
                Page::ScopeMissing,
            )
            .revoking());
        }
    };
    if let Err(who) = check_account(expected, &identity) {
        return Err(Refusal::fail(
            FailureKind::WrongAccount,
            format!("wrong Google account: signed in as {who}"),
            Page::WrongAccount {
                signed_in: identity.email.clone(),
                expected: expected_text(expected),
            },
        )
        .revoking());
    }
    Ok(Accepted {
        identity: GoogleIdentity {
            email: identity.email.map(|e| e.to_ascii_lowercase()),
            ..identity
        },
        granted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::GMAIL_SEND_SCOPE;
    use rstest::rstest;

    fn id(email: &str, verified: bool, hd: Option<&str>) -> GoogleIdentity {
        GoogleIdentity {
            sub: "1".into(),
            email: Some(email.into()),
            email_verified: verified,
            hd: hd.map(Into::into),
        }
    }

    fn requested() -> Vec<String> {
        ["openid", "email", "profile", GMAIL_SEND_SCOPE]
            .map(String::from)
            .to_vec()
    }

    fn facts(
        refresh: bool,
        scopes: Option<&[&str]>,
        identity: Option<Result<GoogleIdentity, String>>,
    ) -> GrantFacts {
        GrantFacts {
            has_refresh_token: refresh,
            scopes: scopes.map(|s| s.iter().map(|x| (*x).to_owned()).collect()),
            identity,
        }
    }

    const LONG: [&str; 4] = [
        "openid",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile",
        GMAIL_SEND_SCOPE,
    ];

    #[rstest]
    #[case::all_good(facts(true, Some(&LONG), Some(Ok(id("Ann@Acme.com", true, None)))), None, None)]
    #[case::scopes_omitted_mean_requested(
        facts(true, None, Some(Ok(id("a@b.co", true, None)))),
        None,
        None
    )]
    #[case::no_refresh(facts(false, Some(&LONG), Some(Ok(id("a@b.co", true, None)))), Some(FailureKind::NoRefreshToken), Some(false))]
    #[case::scope_unticked(facts(true, Some(&LONG[..3]), Some(Ok(id("a@b.co", true, None)))), Some(FailureKind::ScopeMissing), Some(true))]
    #[case::no_id_token(facts(true, Some(&LONG), None), Some(FailureKind::ScopeMissing), Some(true))]
    #[case::bad_id_token(facts(true, Some(&LONG), Some(Err("x".into()))), Some(FailureKind::ExchangeFailed), Some(true))]
    fn grant_decisions(
        #[case] g: GrantFacts,
        #[case] kind: Option<FailureKind>,
        #[case] revoke: Option<bool>,
    ) {
        match decide_grant(None, &requested(), &g) {
            Ok(a) => {
                assert_eq!(kind, None);
                assert!(a.identity.email.unwrap().chars().all(|c| !c.is_uppercase()));
            }
            Err(r) => {
                assert_eq!(r.kind, kind);
                assert_eq!(Some(r.revoke), revoke);
            }
        }
    }

    #[test]
    fn the_wrong_account_is_refused_and_given_back() {
        let want = ExpectedAccount::Email("ann@acme.com".into());
        let r = decide_grant(
            Some(&want),
            &requested(),
            &facts(true, None, Some(Ok(id("bob@acme.com", true, None)))),
        )
        .unwrap_err();
        assert_eq!(r.kind, Some(FailureKind::WrongAccount));
        assert!(r.revoke);
        assert_eq!(
            r.page,
            Page::WrongAccount {
                signed_in: Some("bob@acme.com".into()),
                expected: "ann@acme.com".into()
            }
        );
    }

    #[test]
    fn scope_comparison_understands_googles_long_names() {
        let granted: Vec<String> = LONG[..3].iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(
            missing_scopes(&requested(), &granted),
            vec![GMAIL_SEND_SCOPE.to_owned()]
        );
        let all: Vec<String> = LONG.iter().map(|s| (*s).to_owned()).collect();
        assert!(missing_scopes(&requested(), &all).is_empty());
    }

    #[test]
    fn account_checks() {
        let want = ExpectedAccount::Email("ann@acme.com".into());
        assert!(check_account(Some(&want), &id("Ann@Acme.com", true, Some("acme.com"))).is_ok());
        assert!(
            check_account(Some(&want), &id("ann@acme.com", false, None))
                .unwrap_err()
                .contains("not verified")
        );
        assert!(check_account(Some(&want), &id("bob@acme.com", true, None)).is_err());
        let dom = ExpectedAccount::Domain("acme.com".into());
        assert!(check_account(Some(&dom), &id("x@acme.com", true, Some("acme.com"))).is_ok());
        // A personal account whose address merely ends in the domain is not a member.
        assert!(
            check_account(Some(&dom), &id("x@acme.com", true, None))
                .unwrap_err()
                .contains("not a Workspace")
        );
        assert!(check_account(None, &id("any@x.io", false, None)).is_ok());
    }

    fn flow(expires_at: Millis) -> PendingFlow {
        PendingFlow {
            tenant: "acme".into(),
            link_id: "ab".into(),
            link_hash: String::new(),
            redirect_uri: "https://x/cb".into(),
            created_at: 0,
            expires_at,
            browser: String::new(),
        }
    }

    fn params(code: Option<&str>, error: Option<&str>) -> CallbackParams {
        CallbackParams {
            code: code.map(|c| secrecy::SecretString::from(c.to_owned())),
            error: error.map(Into::into),
            error_description: Some("desc".into()),
        }
    }

    #[rstest]
    #[case::fine(
        flow(100),
        Some(LinkState::Active),
        params(Some("c"), None),
        "https://x/cb",
        None,
        None
    )]
    #[case::link_expired_after_continue_still_fine(
        flow(100),
        Some(LinkState::Expired),
        params(Some("c"), None),
        "https://x/cb",
        None,
        None
    )]
    #[case::other_redirect(
        flow(100),
        Some(LinkState::Active),
        params(Some("c"), None),
        "https://y/cb",
        None,
        Some(Page::StateUnknown)
    )]
    #[case::used_link(
        flow(100),
        Some(LinkState::Used),
        params(Some("c"), None),
        "https://x/cb",
        None,
        Some(Page::LinkGone("This link was already used to connect an account."))
    )]
    #[case::revoked_link(
        flow(100),
        Some(LinkState::Revoked),
        params(Some("c"), None),
        "https://x/cb",
        None,
        Some(Page::LinkGone("This link was withdrawn."))
    )]
    #[case::flow_expired(
        flow(5),
        Some(LinkState::Active),
        params(Some("c"), None),
        "https://x/cb",
        Some(FailureKind::FlowExpired),
        Some(Page::FlowExpired)
    )]
    #[case::denied(
        flow(100),
        Some(LinkState::Active),
        params(None, Some("access_denied")),
        "https://x/cb",
        Some(FailureKind::ConsentDenied),
        Some(Page::Denied)
    )]
    #[case::google_error(
        flow(100),
        Some(LinkState::Active),
        params(None, Some("server_error")),
        "https://x/cb",
        Some(FailureKind::ConsentError),
        Some(Page::GoogleError)
    )]
    #[case::no_code(
        flow(100),
        Some(LinkState::Active),
        params(Some(""), None),
        "https://x/cb",
        Some(FailureKind::MissingCode),
        Some(Page::CallbackIncomplete)
    )]
    fn before_exchange_decisions(
        #[case] f: PendingFlow,
        #[case] link: Option<LinkState>,
        #[case] p: CallbackParams,
        #[case] redirect: &str,
        #[case] kind: Option<FailureKind>,
        #[case] page: Option<Page>,
    ) {
        match before_exchange(&f, link, "ab", &p, redirect, 10) {
            Ok(code) => {
                assert_eq!(page, None);
                assert_eq!(code, "c");
            }
            Err(r) => {
                assert_eq!(r.kind, kind);
                assert_eq!(Some(r.page), page);
                assert!(!r.revoke, "nothing was granted yet");
            }
        }
    }
}

// ---- binding a flow to the customer's browser ----

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
