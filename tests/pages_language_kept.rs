//! The customer's pages keep the language the customer is given or chooses on every page of
//! the way (after Google, on a refusal before any tenant is known, after the operator
//! changes the tenant's language), say how to withdraw access wherever access was given,
//! and the logo check refuses an SVG that could run a script or load something however it
//! is spelt.

mod common;
mod support_pages;

use std::num::NonZeroU32;

use common::*;
use mcp_onboard::config::brand_logo;
use mcp_onboard::domain::lifecycle::TenantEdit;
use mcp_onboard::engine::Command;
use mcp_onboard::http::RateLimit;
use mcp_onboard::http::page_render::{Brand, Page, PageKind, render};
use mcp_onboard::i18n::Lang;
use support_pages::*;

const BRAND: [(&str, &str); 1] = [("MCP_ONBOARD_BRAND_NAME", "Parcel AI")];

/// Google answers "denied" to the flow of `auth`; the callback's page.
async fn google_denies(h: &Harness, auth: &url::Url, cookie: &str, accept: &str) -> String {
    let res = h
        .http
        .get(format!(
            "{}oauth/callback?state={}&error=access_denied",
            h.base,
            query_param(auth, "state")
        ))
        .header("cookie", cookie)
        .header("accept-language", accept)
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 400);
    res.text().await.expect("a body")
}

#[tokio::test]
async fn the_language_chosen_on_the_page_still_speaks_after_google() {
    let h = harness_with_env(&BRAND).await;
    add_speaking(&h, "acme", "Acme GmbH", "de").await;
    let link = h.link("acme").await;
    let bare = link.url.clone();
    // The customer reads German, picks 日本語 in the switcher, and Google speaks Japanese.
    let (auth, cookie) = continue_with_cookie(&h, &link, &format!("{bare}?lang=ja"), "fr").await;
    assert_eq!(query_param(&auth, "hl"), "ja");
    let page = google_denies(&h, &auth, &cookie, "fr").await;
    assert_eq!(
        html_lang(&page),
        "ja",
        "the page after Google speaks the language the customer chose (and Google spoke)"
    );

    // A tenant without a language: the browser says fr, the customer picks es.
    h.add("beta", None, None).await;
    let link = h.link("beta").await;
    let (auth, cookie) =
        continue_with_cookie(&h, &link, &format!("{}?lang=es", link.url), "fr").await;
    assert_eq!(query_param(&auth, "hl"), "es");
    let page = google_denies(&h, &auth, &cookie, "fr").await;
    assert_eq!(html_lang(&page), "es", "{page}");
}

#[tokio::test]
async fn a_sent_link_speaks_the_tenants_language_as_the_operator_last_set_it() {
    let h = harness_with_env(&BRAND).await;
    add_speaking(&h, "acme", "Acme SA", "de").await;
    let link = h.link("acme").await;
    // The operator corrects the tenant's language after the link went out.
    h.run(Command::EditTenant {
        slug: "acme".into(),
        edit: TenantEdit {
            lang: Some("fr".into()),
            ..Default::default()
        },
    })
    .await;
    let page = h
        .http
        .get(&link.url)
        .send()
        .await
        .expect("the page")
        .text()
        .await
        .expect("a body");
    assert_eq!(
        html_lang(&page),
        "fr",
        "the link as sent ({}) speaks the tenant's language now, not the one it was issued with",
        link.url
    );
}

#[tokio::test]
async fn a_rate_limited_link_still_speaks_the_language_it_carries() {
    let h = harness_with(RateLimit {
        per_minute: NonZeroU32::new(1).expect("one"),
        burst: NonZeroU32::new(1).expect("one"),
    })
    .await;
    let url = format!("{}c/AAAAAAAAAAAAAAAAAAAAAAAAAA?lang=ja", h.base);
    let first = h.http.get(&url).send().await.expect("an answer");
    assert_eq!(first.status().as_u16(), 404);
    assert_eq!(html_lang(&first.text().await.expect("a body")), "ja");
    let second = h.http.get(&url).send().await.expect("an answer");
    assert_eq!(second.status().as_u16(), 429);
    let page = second.text().await.expect("a body");
    assert_eq!(
        html_lang(&page),
        "ja",
        "?lang= > Accept-Language > en: {page}"
    );
}

#[tokio::test]
async fn a_page_not_found_speaks_the_language_its_address_asks_for() {
    let h = harness_with_env(&BRAND).await;
    let res = h
        .http
        .get(format!("{}c/?lang=de", h.base))
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 404);
    let page = res.text().await.expect("a body");
    assert_eq!(html_lang(&page), "de", "{page}");
}

#[test]
fn the_page_of_a_consent_awaiting_approval_says_how_to_withdraw_it() {
    // The grant was made and is kept: the customer has given access and may withdraw it.
    for lang in Lang::all() {
        let page = render(
            &Page {
                lang,
                kind: PageKind::AwaitingApproval {
                    tenant: "Acme Ltd".into(),
                    email: Some("ann@acme.example".into()),
                },
                next: None,
                switcher: false,
            },
            &Brand::named("Parcel AI"),
        );
        assert!(
            page.contains("https://myaccount.google.com/permissions"),
            "{lang}: {page}"
        );
    }
}

/// The SVGs of `svgs` the logo check accepts.
fn accepted<'a>(svgs: &[&'a str]) -> Vec<&'a str> {
    svgs.iter()
        .copied()
        .filter(|svg| brand_logo::check(svg.as_bytes()).is_ok())
        .collect()
}

#[test]
fn an_svg_logo_with_a_prefixed_script_or_foreign_object_is_refused() {
    let svgs = [
        r#"<svg xmlns="http://www.w3.org/2000/svg"><svg:script xmlns:svg="http://www.w3.org/2000/svg">alert(1)</svg:script></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml"><h:script>alert(1)</h:script></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg"><s:foreignObject><p>x</p></s:foreignObject></svg>"#,
    ];
    assert_eq!(accepted(&svgs), Vec::<&str>::new());
}

#[test]
fn an_svg_logo_with_an_outside_reference_spelt_with_escapes_is_refused() {
    let svgs = [
        // XML character references are decoded before the attribute is read.
        r#"<svg xmlns="http://www.w3.org/2000/svg"><rect fill="&#117;rl(https://evil.example/p)"/></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: &#x75;rl(https://evil.example/p) }</style></svg>"#,
        // A CSS escape in the function's name still makes url().
        r#"<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: u\72l(https://evil.example/p) }</style></svg>"#,
    ];
    assert_eq!(accepted(&svgs), Vec::<&str>::new());
}

#[tokio::test]
async fn the_logo_is_served_as_what_it_is_under_the_pages_policy() {
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("logo.svg");
    std::fs::write(
        &path,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>"#,
    )
    .expect("a logo");
    let path = path.display().to_string();
    let h = harness_with_env(&[
        ("MCP_ONBOARD_BRAND_NAME", "Parcel AI"),
        ("MCP_ONBOARD_BRAND_LOGO", &path),
    ])
    .await;
    let res = h
        .http
        .get(format!("{}brand/logo", h.base))
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status().as_u16(), 200);
    let header = |k: &str| {
        res.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "image/svg+xml");
    assert_eq!(header("x-content-type-options"), "nosniff");
    let csp = header("content-security-policy");
    assert!(
        csp.starts_with("default-src 'none';") && !csp.contains("script-src"),
        "{csp}"
    );
}
