//! The customer's pages through the real listener: the brand names who asks and the
//! tenant whom it is for, in the negotiated language (`?lang=` > the tenant's >
//! `Accept-Language` > English), with a language switcher; Continue asks Google for the
//! page's language (`hl=`).

mod common;
mod support_pages;

use common::*;
use support_pages::*;

const BRAND: [(&str, &str); 2] = [
    ("MCP_ONBOARD_BRAND_NAME", "Parcel AI"),
    ("MCP_ONBOARD_BRAND_GOOGLE_APP_NAME", "Parcel Mail"),
];

#[tokio::test]
async fn the_link_page_names_the_brand_for_the_tenant_in_the_browsers_language() {
    let h = harness_with_env(&BRAND).await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;

    let (status, de) = get_in(&h, &link.url, Some("de-CH, de;q=0.9, en;q=0.5")).await;
    assert_eq!(status, 200, "{de}");
    assert!(de.contains(r#"<html lang="de">"#), "{de}");
    assert!(
        de.contains("Parcel AI bittet um Zugriff auf Ihr Google-Konto, für acme Ltd."),
        "{de}"
    );
    assert!(
        de.contains("„Parcel Mail“"),
        "Google's next screen is named: {de}"
    );
    assert!(de.contains("Weiter zu Google"), "{de}");
    assert!(de.contains(r#"<span>Parcel AI</span>"#), "{de}");
    assert!(de.contains(r#"href="?lang=ja""#), "the switcher: {de}");

    let (_, ja) = get_in(&h, &format!("{}?lang=ja", link.url), Some("de")).await;
    assert!(ja.contains(r#"<html lang="ja">"#), "?lang= wins: {ja}");
    assert!(ja.contains("Googleへ進む"), "{ja}");

    let (_, en) = get_in(&h, &link.url, None).await;
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains("Parcel AI asks for access to your Google account, for acme Ltd."));
    assert!(!en.contains("acme Ltd asks"), "{en}");
}

#[tokio::test]
async fn continue_asks_google_for_the_pages_language() {
    let h = harness_with_env(&BRAND).await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    let auth = continue_in(&h, &link, &link.url, "ja-JP").await;
    assert_eq!(query_param(&auth, "hl"), "ja");
    let link = h.link("acme").await;
    let auth = continue_in(&h, &link, &format!("{}?lang=pt-BR", link.url), "ja-JP").await;
    assert_eq!(
        query_param(&auth, "hl"),
        "pt-BR",
        "the page's language, not the browser's"
    );
}

#[tokio::test]
async fn failure_pages_speak_the_browsers_language_and_name_the_brand() {
    let h = harness_with_env(&BRAND).await;
    let (status, fr) = get_in(
        &h,
        &format!("{}c/AAAAAAAAAAAAAAAAAAAAAAAAAA", h.base),
        Some("fr-FR"),
    )
    .await;
    assert_eq!(status, 404);
    assert!(fr.contains(r#"<html lang="fr">"#), "{fr}");
    assert!(fr.contains("Parcel AI"), "{fr}");
    let (status, es) = get_in(&h, &format!("{}nothing/here", h.base), Some("es")).await;
    assert_eq!(status, 404);
    assert!(es.contains(r#"<html lang="es">"#), "{es}");
    let (status, cb) = get_in(&h, &format!("{}oauth/callback", h.base), Some("ja")).await;
    assert_eq!(status, 400);
    assert!(cb.contains(r#"<html lang="ja">"#), "{cb}");
    assert!(
        !cb.contains("<nav"),
        "no switcher on Google's one-time answer: {cb}"
    );
}

#[tokio::test]
async fn the_tenants_language_beats_the_browsers_and_its_link_carries_none() {
    let h = harness_with_env(&BRAND).await;
    add_speaking(&h, "acme", "Acme GmbH", "de").await;
    let link = h.link("acme").await;
    // The link carries no language: the page reads the tenant's as it is now.
    assert!(!link.url.contains("lang="), "{}", link.url);
    let bare = link.url.as_str();
    let (_, page) = get_in(&h, bare, Some("fr-FR, ja")).await;
    assert!(page.contains(r#"<html lang="de">"#), "the tenant's: {page}");
    assert!(page.contains("für Acme GmbH"), "{page}");
    let (_, page) = get_in(&h, &format!("{bare}?lang=es"), Some("fr")).await;
    assert!(
        page.contains(r#"<html lang="es">"#),
        "?lang= still wins: {page}"
    );
    // Google's answer comes back without ?lang=: the tenant's language still speaks.
    let (auth, cookie) = continue_with_cookie(&h, &link, bare, "fr").await;
    assert_eq!(query_param(&auth, "hl"), "de");
    let state = auth
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state");
    let res = h
        .http
        .get(format!(
            "{}oauth/callback?state={state}&error=access_denied",
            h.base
        ))
        .header("cookie", cookie)
        .header("accept-language", "fr")
        .send()
        .await
        .expect("an answer");
    let status = res.status().as_u16();
    let page = res.text().await.expect("a body");
    assert_eq!(status, 400, "{page}");
    assert!(page.contains(r#"<html lang="de">"#), "{page}");
    assert!(page.contains("Acme GmbH"), "the tenant it was for: {page}");
}

#[tokio::test]
async fn every_language_is_served_by_the_listener_and_marked() {
    let h = harness_with_env(&BRAND).await;
    h.add("acme", None, None).await;
    let link = h.link("acme").await;
    for lang in mcp_onboard::i18n::Lang::all() {
        let (status, page) = get_in(&h, &format!("{}?lang={}", link.url, lang.tag()), None).await;
        assert_eq!(status, 200);
        assert!(
            page.contains(&format!(r#"<html lang="{}">"#, lang.tag())),
            "{lang}: {page}"
        );
        assert!(
            page.contains(&format!(r#"aria-current="true">{}</a>"#, lang.name())),
            "{lang}: the switcher marks it"
        );
        assert!(
            page.contains("Parcel AI") && page.contains("acme Ltd"),
            "{lang}"
        );
    }
}
