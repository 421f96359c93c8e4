//! A customer's browser, driven by code against a listener whose Google is the stand-in:
//! open a consent link, press Continue, Allow at the stand-in as an account, and follow
//! the callback back, carrying the consent cookie as a browser does. The demo's sample
//! tenant consents this way, and so do the tests that walk a consent over HTTP.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use url::Url;

use crate::http::browser::ConsentCookie;

/// How long each request of the walk may take: the listener's own limit.
pub const TIMEOUT: Duration = crate::http::REQUEST_TIMEOUT;

/// A client for the walk: it follows no redirect (each hop is checked) and gives up on a
/// request after `timeout`.
pub fn client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .context("an HTTP client")
}

/// What a walk through a consent link came to.
#[derive(Debug)]
pub struct Walked {
    /// Where Continue sent the browser (the Google stand-in's consent page).
    pub authorize: Url,
    /// The callback's answer.
    pub status: u16,
    pub page: String,
}

/// Where a walk stands just before the callback: the browser was sent back to us.
#[derive(Debug)]
pub struct AtCallback {
    /// Where Continue sent the browser (the Google stand-in's consent page).
    pub authorize: Url,
    /// The callback URL the stand-in sent the browser to, with its code and state.
    pub callback: Url,
    /// The consent cookie, as `name=value`.
    pub cookie: String,
}

/// Walk `link` as `email` with `http` up to the callback, not sending it: every hop must
/// answer as it does for a customer.
pub async fn walk_to_callback(
    http: &reqwest::Client,
    link: &str,
    email: &str,
) -> Result<AtCallback> {
    let link = Url::parse(link).context("the consent link")?;
    let page = http.get(link.clone()).send().await?;
    // The link is on the public URL, whose scheme names the cookie.
    let name = ConsentCookie::for_public_url(&link).name();
    let cookie = set_cookie(&page, name).context("the link page set no consent cookie")?;
    let page = ok(page, "the link page").await?;
    let action = value_after(&page, r#"action=""#).context("no form on the link page")?;
    let token = value_after(&page, r#"name="token" value=""#).context("no Continue token")?;
    let res = http
        .post(link.join(&action)?)
        .header("cookie", &cookie)
        .form(&[("token", token)])
        .send()
        .await?;
    let authorize = Url::parse(location(&res, "Continue")?)?;
    let form = super::google::allow_form(&authorize, email);
    let res = http
        .post(authorize.join("approve")?)
        .form(&form)
        .send()
        .await?;
    let callback = Url::parse(location(&res, "Allow")?)?;
    Ok(AtCallback {
        authorize,
        callback,
        cookie,
    })
}

/// Walk `link` as `email` with `http` (a client from [`client`], or one like it): every
/// hop before the callback must answer as it does for a customer (see
/// [`walk_to_callback`]); the callback's answer is returned whatever it is.
pub async fn walk(http: &reqwest::Client, link: &str, email: &str) -> Result<Walked> {
    let at = walk_to_callback(http, link, email).await?;
    let res = http
        .get(at.callback)
        .header("cookie", &at.cookie)
        .send()
        .await?;
    let status = res.status().as_u16();
    let page = res.text().await?;
    Ok(Walked {
        authorize: at.authorize,
        status,
        page,
    })
}

/// The page the callback ends on, once `link` was walked through as `email`; an error
/// when it is not a success.
pub async fn consent(link: &str, email: &str) -> Result<String> {
    let walked = walk(&client(TIMEOUT)?, link, email).await?;
    if !(200..300).contains(&walked.status) {
        bail!("the callback answered {}", walked.status);
    }
    Ok(walked.page)
}

/// The `name=value` of the cookie `name` a response sets.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| pair.split_once('=').is_some_and(|(k, _)| k == name))
        .map(str::to_owned)
}

/// The attribute value that follows `after` in `page` (HTML-unescaped).
fn value_after(page: &str, after: &str) -> Option<String> {
    let start = page.find(after)? + after.len();
    let raw = page[start..].split('"').next()?;
    Some(html_escape::decode_html_entities(raw).into_owned())
}

/// Where a redirect sends the browser.
fn location<'a>(res: &'a reqwest::Response, after: &str) -> Result<&'a str> {
    if !res.status().is_redirection() {
        bail!("{after} answered {} instead of a redirect", res.status());
    }
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .with_context(|| format!("{after} redirected nowhere"))
}

/// The page of a successful answer.
async fn ok(res: reqwest::Response, what: &str) -> Result<String> {
    let status = res.status();
    let page = res.text().await?;
    if !status.is_success() {
        bail!("{what} answered {status}");
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A listener that takes connections and never answers: the walk gives up on it.
    #[tokio::test]
    async fn a_walk_gives_up_on_a_listener_that_never_answers() {
        let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        let at = silent.local_addr().expect("its address");
        let http = client(Duration::from_millis(200)).expect("a client");
        let link = format!("http://{at}/c/ABC");
        let walked = tokio::time::timeout(
            Duration::from_secs(10),
            walk(&http, &link, "customer@example.com"),
        )
        .await
        .expect("the walk ends by itself");
        let e = walked.expect_err("nothing answered");
        assert!(format!("{e:#}").contains("timed out"), "{e:#}");
        drop(silent);
    }
}
