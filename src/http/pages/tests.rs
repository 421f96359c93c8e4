//! The listener's pages: the brand of the configuration, the language as negotiated
//! (`?lang=` > the tenant's > `Accept-Language` > English), the logo served with its type
//! and caching, the redirect of a hand-off.

use super::*;
use crate::domain::consent::page::PageKind;
use crate::domain::model::Integration;
use crate::engine::consent::Next;
use crate::i18n::Lang;

fn config(env: &[(&str, &str)]) -> Config {
    Config::from_env_pairs(env).expect("a config")
}

fn body(res: Response) -> (StatusCode, HeaderMap, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let (parts, body) = res.into_parts();
    let bytes = rt
        .block_on(axum::body::to_bytes(body, 1 << 20))
        .expect("the body");
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn ask() -> CustomerPage {
    CustomerPage::from(PageKind::Ask {
        tenant: "Acme Ltd".into(),
        integrations: vec![Integration::Gmail],
        account: None,
        continue_path: "/c/CODE/continue".into(),
        token: "tok".into(),
    })
}

fn lang(tag: &str) -> Lang {
    Lang::from_tag(tag).expect("supported")
}

fn asked_with(query: Option<&str>, accept: Option<&str>) -> Asked {
    Asked {
        lang: query.map(str::to_owned),
        accept_language: accept.map(str::to_owned),
    }
}

#[test]
fn the_page_speaks_the_query_then_the_tenants_then_the_browsers_language() {
    let pages = Pages::new(&config(&[("MCP_ONBOARD_BRAND_NAME", "Parcel AI")]));
    let html = |page: &CustomerPage, asked: &Asked| body(pages.respond(page, asked, true)).2;
    let de_browser = asked_with(None, Some("de-DE,de;q=0.9"));
    let h = html(&ask(), &de_browser);
    assert!(h.contains(r#"<html lang="de">"#), "{h}");
    assert!(h.contains("Weiter zu Google"), "{h}");
    let h = html(&ask().in_lang(Some(lang("ja"))), &de_browser);
    assert!(
        h.contains(r#"<html lang="ja">"#),
        "the tenant's wins over the browser's"
    );
    let h = html(
        &ask().in_lang(Some(lang("ja"))),
        &asked_with(Some("fr"), Some("de")),
    );
    assert!(
        h.contains(r#"<html lang="fr">"#),
        "?lang= wins over the tenant's"
    );
    assert!(
        h.contains(r#"<input type="hidden" name="lang" value="fr">"#),
        "{h}"
    );
    let h = html(&ask(), &asked_with(None, None));
    assert!(h.contains(r#"<html lang="en">"#));
    assert!(h.contains("Parcel AI asks for access to your Google account, for Acme Ltd."));
    assert!(h.contains(r#"href="?lang=ja""#), "the switcher");
    let (status, headers, _) = body(pages.respond(&ask(), &de_browser, false));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::VARY], "Accept-Language");
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
}

#[test]
fn without_a_brand_name_the_public_host_asks_and_the_google_app_defaults_to_the_name() {
    let pages = Pages::new(&config(&[]));
    assert_eq!(pages.brand().name, "localhost");
    let pages = Pages::new(&config(&[("MCP_ONBOARD_BRAND_NAME", "Parcel AI")]));
    assert_eq!(pages.brand().google_app, "Parcel AI");
    assert_eq!(pages.brand().logo_url, None);
}

#[test]
fn the_logo_is_served_with_its_type_and_cached_and_linked_under_the_public_path() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let svg = dir.path().join("logo.svg");
    std::fs::write(&svg, r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#).expect("written");
    let cfg = config(&[
        ("MCP_ONBOARD_BRAND_LOGO", svg.to_str().expect("utf-8")),
        ("MCP_ONBOARD_PUBLIC_URL", "http://127.0.0.1:8080/onboard"),
    ]);
    let pages = Pages::new(&cfg);
    assert_eq!(
        pages.brand().logo_url.as_deref(),
        Some("/onboard/brand/logo")
    );
    let (status, headers, text) = body(pages.logo(&HeaderMap::new()));
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=86400");
    assert!(text.starts_with("<svg"));
    let html = body(pages.respond(&ask(), &Asked::default(), false)).2;
    assert!(
        html.contains(r#"<img src="/onboard/brand/logo" alt="">"#),
        "{html}"
    );
    let (status, _, _) = body(Pages::new(&config(&[])).logo(&HeaderMap::new()));
    assert_eq!(status, StatusCode::NOT_FOUND, "no logo configured");
}

#[test]
fn a_hand_off_that_redirects_is_a_303_to_the_companys_page() {
    let pages = Pages::default();
    let mut page = CustomerPage::from(PageKind::Connected {
        tenant: "Acme".into(),
        email: None,
        integrations: vec![Integration::Gmail],
        progress: None,
        link_page: None,
    });
    page.next = Some(Next {
        url: "https://app.example.com/done?tenant=acme&outcome=connected".into(),
        redirect: true,
    });
    let (status, headers, _) = body(pages.respond(&page, &Asked::default(), false));
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "https://app.example.com/done?tenant=acme&outcome=connected"
    );
    let (status, _, html) =
        body(pages.failure(Failure::RateLimited, None, &HeaderMap::new(), false));
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many requests"));
}

#[test]
fn the_query_lang_is_read_from_the_raw_query() {
    assert_eq!(query_lang(Some("a=1&lang=pt-BR")).as_deref(), Some("pt-BR"));
    assert_eq!(query_lang(Some("a=1")), None);
    assert_eq!(query_lang(None), None);
}
