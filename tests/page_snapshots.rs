//! Every customer page in every language, as insta snapshots (one file per page, its six
//! languages one after the other): the `<html lang>`, the title and the body. The
//! stylesheet is the same on every page; it is snapshotted once.

use mcp_onboard::http::brand_color::Rgb;
use mcp_onboard::http::page_render::{Brand, Page, render, samples};
use mcp_onboard::i18n::Lang;

fn brand() -> Brand {
    Brand {
        name: "Parcel AI".into(),
        google_app: "Parcel Mail Assistant".into(),
        logo_url: Some("/brand/logo".into()),
        accent: Rgb(0x0b, 0x7a, 0x75),
        support_contact: Some("help@parcel.example".into()),
        privacy_policy_url: Some("https://parcel.example/privacy".into()),
        terms_url: Some("https://parcel.example/terms".into()),
    }
}

/// The document less its stylesheet.
fn without_style(html: &str) -> String {
    let (head, rest) = html.split_once("<style>").expect("a stylesheet");
    let (_, tail) = rest.split_once("</style>").expect("the stylesheet's end");
    format!("{head}{tail}")
}

#[test]
fn every_page_in_every_language() {
    let brand = brand();
    for (name, kind) in samples("Acme Ltd") {
        let mut all = String::new();
        for lang in Lang::all() {
            let page = Page {
                lang,
                kind: kind.clone(),
                next: None,
                switcher: matches!(kind, mcp_onboard::http::page_render::PageKind::Ask { .. }),
            };
            all.push_str(&format!("===== {lang}\n"));
            all.push_str(&without_style(&render(&page, &brand)));
        }
        insta::assert_snapshot!(name, all);
    }
}

#[test]
fn the_stylesheet() {
    let page = Page {
        lang: Lang::EN,
        kind: samples("Acme Ltd").remove(0).1,
        next: None,
        switcher: true,
    };
    let html = render(&page, &brand());
    let (_, rest) = html.split_once("<style>").expect("a stylesheet");
    let (style, _) = rest.split_once("</style>").expect("the stylesheet's end");
    insta::assert_snapshot!("stylesheet", style);
}
