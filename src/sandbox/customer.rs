//! A customer's browser, driven by code against a listener whose Google is the stand-in:
//! open a consent link, press Continue, Allow at the stand-in as an account, and follow
//! the callback back, carrying the consent cookie as a browser does. The demo's sample
//! tenant consents this way.

use anyhow::{Context as _, Result, bail};
use url::Url;

/// The page the callback ends on, once `link` was walked through as `email`.
pub async fn consent(link: &str, email: &str) -> Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .context("an HTTP client")?;
    let link = Url::parse(link).context("the consent link")?;
    let page = http.get(link.clone()).send().await?;
    let cookie = consent_cookie(&page).context("the link page set no consent cookie")?;
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
    let callback = location(&res, "Allow")?.to_owned();
    let res = http.get(callback).header("cookie", &cookie).send().await?;
    ok(res, "the callback").await
}

/// The `name=value` of our consent cookie a response sets.
fn consent_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mcp-onboard=") || v.starts_with("__Host-mcp-onboard="))
        .and_then(|v| v.split(';').next())
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
