//! The customer's pages over HTTP, as a browser gets them: a page in a language, Continue
//! pressed on it, a parameter of Google's authorize URL, a page's `<html lang>`.

#![allow(dead_code)] // each test file uses its own part

use mcp_onboard::domain::lifecycle::NewTenant;
use mcp_onboard::engine::Command;
use mcp_onboard::engine::api::LinkView;

use crate::common::*;

/// GET `url` with `Accept-Language: accept` (none when `None`), keeping the cookie.
pub async fn get_in(h: &Harness, url: &str, accept: Option<&str>) -> (u16, String) {
    let mut req = h.http.get(url);
    if let Some(a) = accept {
        req = req.header("accept-language", a);
    }
    let res = req.send().await.expect("an answer");
    (res.status().as_u16(), res.text().await.expect("a body"))
}

/// Open `link` in a browser asking for `accept`, then press Continue on that page;
/// Google's authorize URL.
pub async fn continue_in(h: &Harness, link: &LinkView, url: &str, accept: &str) -> url::Url {
    continue_with_cookie(h, link, url, accept).await.0
}

/// The same, and the browser's consent cookie.
pub async fn continue_with_cookie(
    h: &Harness,
    link: &LinkView,
    url: &str,
    accept: &str,
) -> (url::Url, String) {
    let res = h
        .http
        .get(url)
        .header("accept-language", accept)
        .send()
        .await
        .expect("the page");
    let cookie = consent_cookie(&res).expect("the consent cookie");
    let body = res.text().await.expect("a body");
    let action = extract(&body, r#"action=""#, '"');
    let token = extract(&body, r#"name="token" value=""#, '"');
    let lang = extract(&body, r#"name="lang" value=""#, '"');
    let post = format!("{}{}", h.base.as_str().trim_end_matches('/'), action);
    let res = h
        .http
        .post(&post)
        .header("cookie", &cookie)
        .header("origin", h.base.as_str().trim_end_matches('/'))
        .header("accept-language", accept)
        .form(&[("token", token), ("lang", lang)])
        .send()
        .await
        .expect("Continue");
    assert_eq!(res.status().as_u16(), 303, "{}", link.url);
    let auth = url::Url::parse(res.headers()["location"].to_str().expect("text")).expect("a URL");
    (auth, cookie)
}

/// The value of `name` in `url`'s query ("" when absent).
pub fn query_param(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The language a page says it is in.
pub fn html_lang(page: &str) -> String {
    extract(page, r#"<html lang=""#, '"')
}

/// Add `slug` named `name` whose pages speak `lang`.
pub async fn add_speaking(h: &Harness, slug: &str, name: &str, lang: &str) {
    h.run(Command::AddTenant(NewTenant {
        slug: slug.into(),
        display_name: Some(name.into()),
        lang: Some(lang.into()),
        ..Default::default()
    }))
    .await;
}
