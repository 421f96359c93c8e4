//! Every customer page in every language, as insta snapshots (one file per page, its six
//! languages one after the other): the `<html lang>`, the title and the body. The
//! stylesheet is the same on every page; it is snapshotted once.

use mcp_onboard::http::page_render::{Brand, Page, render, sample_brand, samples};
use mcp_onboard::i18n::Lang;

/// The document less its stylesheet.
fn without_style(html: &str) -> String {
    let (head, rest) = html.split_once("<style>").expect("a stylesheet");
    let (_, tail) = rest.split_once("</style>").expect("the stylesheet's end");
    format!("{head}{tail}")
}

#[test]
fn every_page_in_every_language() {
    let brand = sample_brand();
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
    let html = render(&page, &sample_brand());
    let (_, rest) = html.split_once("<style>").expect("a stylesheet");
    let (style, _) = rest.split_once("</style>").expect("the stylesheet's end");
    insta::assert_snapshot!("stylesheet", style);
}

/// The parts of `html` between `open` and the next `close`, each.
fn parts<'a>(html: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    html.split(open)
        .skip(1)
        .filter_map(|p| p.split_once(close).map(|(inside, _)| inside))
        .collect()
}

#[test]
fn no_page_in_any_language_presents_the_tenant_as_the_one_who_asks() {
    use mcp_onboard::http::page_render::PageKind;
    let brand = Brand {
        name: "Brandco".into(),
        google_app: "Brandco Mail".into(),
        ..sample_brand()
    };
    for lang in Lang::all() {
        for (name, kind) in samples("Tenantco") {
            let at = format!("{name} in {lang}");
            let asks = matches!(
                kind,
                PageKind::Ask { .. }
                    | PageKind::Connected { .. }
                    | PageKind::AwaitingApproval { .. }
            );
            let html = render(
                &Page {
                    lang,
                    kind,
                    next: None,
                    switcher: true,
                },
                &brand,
            );
            // The page's own name, its heading and its header are the brand's, never the
            // tenant's.
            for (open, close) in [
                ("<title>", "</title>"),
                ("<h1>", "</h1>"),
                ("<header>", "</header>"),
            ] {
                for part in parts(&html, open, close) {
                    assert!(!part.contains("Tenantco"), "{at}: {open}{part}");
                }
            }
            assert!(
                parts(&html, "<header>", "</header>")[0].contains("<span>Brandco</span>"),
                "{at}"
            );
            // The sentence that says who asks names the brand, and the tenant it is for.
            let leads = parts(&html, r#"<p class="lead">"#, "</p>");
            if asks {
                assert!(
                    leads[0].contains("Brandco") && leads[0].contains("Tenantco"),
                    "{at}: {leads:?}"
                );
            }
            // On a failure, the facts say who asked (the brand) and for whom.
            if html.contains(r#"<dl class="facts">"#) {
                let facts = parts(&html, r#"<dl class="facts">"#, "</dl>")[0];
                let first = parts(facts, "<dd>", "</dd>")[0];
                assert_eq!(first, "Brandco", "{at}: who asked");
            }
            // Anywhere else, the tenant is not named at all.
            let mut rest = html.clone();
            for lead in &leads {
                rest = rest.replace(lead, "");
            }
            for facts in parts(&html, r#"<dl class="facts">"#, "</dl>") {
                rest = rest.replace(facts, "");
            }
            assert!(
                !rest.contains("Tenantco"),
                "{at}: the tenant named elsewhere:\n{rest}"
            );
        }
    }
}
