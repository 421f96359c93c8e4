//! The renderer's promises: values escaped, the brand named as the one who asks on every
//! page and the tenant never, the language marked, statuses and hand-offs as the engine's
//! pages have them, links only where they are safe.

use super::*;
use crate::domain::model::{ExpectedAccount, Integration};
use crate::engine::consent::CustomerPage;

fn brand() -> Brand {
    Brand {
        google_app: "Parcel Mail".into(),
        ..Brand::named("Parcel AI")
    }
}

fn page(lang: Lang, kind: PageKind) -> Page {
    Page {
        lang,
        kind,
        next: None,
        switcher: false,
    }
}

fn body_of(html: &str) -> &str {
    html.split_once("<body>").map_or(html, |(_, b)| b)
}

#[test]
fn every_page_names_the_brand_marks_its_language_and_has_one_heading() {
    for lang in Lang::all() {
        for (name, kind) in samples("Acme Ltd") {
            let html = render(&page(lang, kind), &brand());
            assert!(
                html.starts_with(&format!("<!doctype html>\n<html lang=\"{}\">", lang.tag())),
                "{lang} {name}"
            );
            assert_eq!(html.matches("<h1>").count(), 1, "{lang} {name}");
            assert!(
                body_of(&html).contains("<span>Parcel AI</span>"),
                "{lang} {name}"
            );
            assert!(!html.contains("{{"), "{lang} {name}: a placeholder left");
            for landmark in ["<header>", "<main id=\"main\"", "<footer>"] {
                assert!(html.contains(landmark), "{lang} {name}: {landmark}");
            }
        }
    }
}

#[test]
fn no_page_presents_the_tenant_as_the_one_who_asks() {
    for (name, kind) in samples("Acme Ltd") {
        let html = render(&page(Lang::EN, kind), &brand());
        for asks in ["Acme Ltd asks", "Acme Ltd wants", "Acme Ltd is asking"] {
            assert!(!html.contains(asks), "{name}: {asks}");
        }
    }
    let html = render(&page(Lang::EN, samples("Acme Ltd").remove(0).1), &brand());
    assert!(html.contains("Parcel AI asks for access to your Google account, for Acme Ltd."));
    assert!(
        html.contains("“Parcel Mail” wants access"),
        "Google's next screen is named"
    );
    assert!(html.contains("“Parcel Mail” is the name Parcel AI is registered under"));
    // With one name for both, the page does not explain it.
    let html = render(
        &page(Lang::EN, samples("Acme Ltd").remove(0).1),
        &Brand::named("Parcel AI"),
    );
    assert!(!html.contains("is registered under"));
}

#[test]
fn inserted_values_are_escaped() {
    let evil = Brand {
        name: "<b>Brand</b> & \"co\"".into(),
        google_app: "App<script>".into(),
        logo_url: Some("/brand/logo\"onerror=\"x".into()),
        support_contact: Some("javascript:alert(1)".into()),
        privacy_policy_url: Some("javascript:alert(1)".into()),
        terms_url: Some("https://t.example/?a=1&b=\"2\"".into()),
        ..Brand::named("x")
    };
    let kind = PageKind::Ask {
        tenant: "<script>alert(1)</script>".into(),
        integrations: vec![Integration::Gmail],
        account: Some(ExpectedAccount::Email("a\"b@x.io".into())),
        continue_path: "/c/abc/continue\"><x".into(),
        token: "t\"x".into(),
    };
    let html = render(
        &Page {
            next: Some("https://example.com/back?x=\"><script>".into()),
            ..page(Lang::EN, kind)
        },
        &evil,
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>Brand"), "{html}");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "{html}"
    );
    assert!(
        html.contains(r#"action="/c/abc/continue&quot;&gt;&lt;x""#),
        "{html}"
    );
    assert!(html.contains(r#"value="t&quot;x""#), "{html}");
    assert!(
        html.contains(r#"src="/brand/logo&quot;onerror=&quot;x""#),
        "{html}"
    );
    assert!(!html.contains("href=\"javascript"), "{html}");
    assert!(
        html.contains("javascript:alert(1)</p>"),
        "shown as text: {html}"
    );
    assert!(!html.contains("Privacy policy"), "{html}");
    assert!(
        html.contains(r#"href="https://t.example/?a=1&amp;b=&quot;2&quot;""#),
        "{html}"
    );
}

#[test]
fn the_switcher_links_every_language_in_itself_and_marks_the_current_one() {
    let de = Lang::from_tag("de").expect("supported");
    let html = render(
        &Page {
            switcher: true,
            ..page(de, samples("Acme").remove(0).1)
        },
        &brand(),
    );
    assert!(html.contains(r#"<nav aria-label="Sprache">"#));
    assert_eq!(html.matches(r#"aria-current="true""#).count(), 1);
    assert!(
        html.contains(
            r#"<a href="?lang=de" hreflang="de" lang="de" aria-current="true">Deutsch</a>"#
        )
    );
    assert!(html.contains(r#"<a href="?lang=ja" hreflang="ja" lang="ja">日本語</a>"#));
    assert!(html.contains(r#"hreflang="pt-BR" lang="pt-BR">Português (Brasil)</a>"#));
    let html = render(&page(de, samples("Acme").remove(0).1), &brand());
    assert!(!html.contains("<nav"), "no switcher unless asked");
}

#[test]
fn statuses_and_hand_offs_are_those_the_listener_always_served() {
    let failures: Vec<(Failure, u16)> = vec![
        (Failure::LinkUnknown, 404),
        (Failure::LinkGone(Gone::Used), 410),
        (Failure::NotConfigured, 503),
        (Failure::Internal, 500),
        (Failure::CallbackIncomplete, 400),
        (Failure::StateUnknown, 400),
        (Failure::Replayed, 400),
        (Failure::FlowExpired { minutes: 10 }, 400),
        (Failure::Denied, 400),
        (
            Failure::GoogleError(crate::domain::google_errors::GoogleCode::new(
                crate::domain::google_errors::Stage::Token,
                "invalid_client",
            )),
            400,
        ),
        (Failure::ExchangeFailed, 400),
        (Failure::NoRefreshToken, 400),
        (Failure::ScopeMissing, 400),
        (
            Failure::WrongAccount {
                signed_in: None,
                expected: ExpectedAccount::Email("a@b.c".into()),
            },
            400,
        ),
        (Failure::WrongBrowser, 400),
        (Failure::ContinueRefused, 403),
        (Failure::RateLimited, 429),
        (Failure::NotFound, 404),
        (Failure::UriTooLong, 414),
        (Failure::HeadersTooLarge, 431),
    ];
    for (failure, status) in failures {
        let page = CustomerPage::from(failure.clone());
        assert_eq!(page.kind.status(), status, "{failure:?}");
        let outcome = if failure == Failure::Denied {
            "denied"
        } else {
            "failed"
        };
        assert_eq!(page.hand_off(), outcome, "{failure:?}");
        assert!(!page.success());
    }
    let connected = CustomerPage::from(PageKind::Connected {
        tenant: "Acme".into(),
        email: None,
        integrations: vec![Integration::Gmail],
        progress: None,
        link_page: None,
    });
    assert_eq!(
        (connected.kind.status(), connected.hand_off()),
        (200, "connected")
    );
    let pending = CustomerPage::from(PageKind::AwaitingApproval {
        tenant: "Acme".into(),
        email: None,
    });
    assert_eq!(
        (pending.kind.status(), pending.hand_off()),
        (200, "pending")
    );
    assert!(connected.success() && pending.success());
}

#[test]
fn the_way_back_names_the_companys_site_and_replaces_close_this_window() {
    let done = samples("Acme")
        .into_iter()
        .find(|(n, _)| *n == "connected")
        .expect("a sample")
        .1;
    let html = render(
        &Page {
            next: Some("https://app.example.com/onboarded?tenant=acme".into()),
            ..page(Lang::EN, done.clone())
        },
        &brand(),
    );
    assert!(html.contains(r#"<a class="next" href="https://app.example.com/onboarded?tenant=acme">Continue to app.example.com</a>"#), "{html}");
    assert!(!html.contains("You can close this window."));
    assert!(render(&page(Lang::EN, done), &brand()).contains("You can close this window."));
    let ja = Lang::from_tag("ja").expect("supported");
    let html = render(
        &Page {
            next: Some("https://app.example.com/x".into()),
            ..page(
                ja,
                PageKind::Failed {
                    tenant: None,
                    failure: Failure::Denied,
                },
            )
        },
        &brand(),
    );
    assert!(html.contains(">app.example.comに戻る</a>"), "{html}");
}

#[test]
fn the_button_text_reads_on_the_accent() {
    let light = Brand {
        accent: Rgb(0xff, 0xcc, 0x00),
        ..brand()
    };
    let html = render(&page(Lang::EN, samples("Acme").remove(0).1), &light);
    assert!(
        html.contains("--accent: #ffcc00; --on-accent: #1d1f23;"),
        "{html}"
    );
    let html = render(&page(Lang::EN, samples("Acme").remove(0).1), &brand());
    assert!(
        html.contains("--accent: #1a66d2; --on-accent: #ffffff;"),
        "{html}"
    );
}

#[test]
fn a_drive_grant_and_a_gmail_grant_are_one_item_each() {
    let (_, kind) = samples("Acme")
        .into_iter()
        .find(|(n, _)| *n == "ask-drive-and-gmail")
        .expect("a sample");
    let html = render(&page(Lang::EN, kind), &brand());
    let list = html.split_once("<ul><li>").expect("the list").1;
    let list = list.split_once("</ul>").expect("its end").0;
    assert_eq!(
        list.split("</li><li>").collect::<Vec<_>>(),
        [
            "Send email as you (Gmail “send” only: it cannot read your mail)",
            "See, edit, create and delete only the Google Drive files you use with this app",
            "See your name and email address</li>"
        ]
    );
    assert!(html.contains("Please sign in with an account of example.com."));
}

fn sample(name: &str) -> PageKind {
    samples("Acme")
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no sample {name}"))
        .1
}

#[test]
fn after_one_consent_of_two_the_page_counts_it_and_offers_the_next_through_the_link() {
    let html = render(&page(Lang::EN, sample("connected-1-of-2")), &brand());
    assert!(
        html.contains("<title>Gmail is connected (1 of 2) – Parcel AI</title>"),
        "{html}"
    );
    assert!(
        html.contains("<h1>Gmail is connected (1 of 2)</h1>"),
        "{html}"
    );
    assert!(
        html.contains(
            r#"<a class="button" href="/c/SAMPLECODE?lang=en">Continue with Google Drive</a>"#
        ),
        "{html}"
    );
    assert!(
        html.contains("Google asks for each access separately"),
        "{html}"
    );
    assert!(!html.contains("close this window"), "{html}");
    assert!(
        !html.contains("Google Drive files"),
        "only Gmail is allowed yet: {html}"
    );
    // In the page's language, which the link's page keeps.
    let de = Lang::from_tag("de").expect("supported");
    let html = render(&page(de, sample("connected-1-of-2")), &brand());
    assert!(
        html.contains(
            r#"<a class="button" href="/c/SAMPLECODE?lang=de">Weiter mit Google Drive</a>"#
        ),
        "{html}"
    );
    assert!(
        html.contains("<h1>Gmail ist verbunden (1 von 2)</h1>"),
        "{html}"
    );
}

#[test]
fn without_the_way_back_the_page_says_to_open_the_link_again() {
    let html = render(
        &page(Lang::EN, sample("connected-1-of-2-open-link-again")),
        &brand(),
    );
    assert!(
        html.contains("<h1>Gmail is connected (1 of 2)</h1>"),
        "{html}"
    );
    assert!(
        html.contains("To connect Google Drive too, open the link you were sent again."),
        "{html}"
    );
    assert!(!html.contains(r#"class="button""#), "{html}");
    assert!(!html.contains("close this window"), "{html}");
}

#[test]
fn after_the_last_consent_the_page_counts_them_all_and_a_single_one_is_not_counted() {
    let html = render(&page(Lang::EN, sample("connected-2-of-2")), &brand());
    assert!(
        html.contains("<h1>You&#x27;re connected (2 of 2)</h1>"),
        "{html}"
    );
    assert!(!html.contains(r#"class="button""#), "{html}");
    assert!(html.contains("Google Drive files") && html.contains("Send email as you"));
    assert!(html.contains("You can close this window."), "{html}");
    let one = PageKind::Connected {
        tenant: "Acme".into(),
        email: None,
        integrations: vec![Integration::Gmail],
        progress: Some(crate::domain::consent::several::Progress {
            done: vec![Integration::Gmail],
            remaining: vec![],
        }),
        link_page: None,
    };
    let html = render(&page(Lang::EN, one), &brand());
    assert!(html.contains("<h1>You&#x27;re connected</h1>"), "{html}");
}
