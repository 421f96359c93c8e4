//! The customer's whole way in a real browser that asks for German, then one that asks for
//! Japanese: `mcp-onboard --demo serve` with a logo, a link opened, Continue, the Google
//! stand-in (asked for the same language), Allow, and the page that says it is done. Every
//! page of ours is in the browser's language, names the brand, passes axe-core with no
//! serious or critical violation, and is shot at 360 and 1280 pixels wide (kept in the
//! test's temp dir, and copied to `BROWSER_TEST_SCREENSHOTS` when it is set).
//!
//! The language comes from Chromium's `intl.accept_languages` preference, which sets the
//! `Accept-Language` header it sends, headless too.

mod support_browser;
mod support_proc;

use support_browser::*;
use support_proc::*;

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 40 40"><circle cx="20" cy="20" r="18" fill="#0b7a75"/></svg>"##;

/// What a browser asking for `accept` should see.
struct Expect {
    accept: &'static str,
    tag: &'static str,
    continue_text: &'static str,
    done_title: &'static str,
}

/// Check the page the browser is on: its language, the brand, no serious axe finding;
/// shoot it at both widths as `<name>-<tag>-<width>.png`.
async fn check_page(b: &Browser, axe_js: &str, shots: &std::path::Path, name: &str, e: &Expect) {
    let lang = b.run_script("return document.documentElement.lang;").await;
    assert_eq!(lang, e.tag, "{name}");
    let text = b.visible_text().await;
    assert!(text.contains("Demo Company"), "{name}: the brand: {text}");
    let logo = b
        .run_script(
            "const i = document.querySelector('header img'); return i ? i.naturalWidth : -1;",
        )
        .await;
    assert!(logo.as_i64() > Some(0), "{name}: the logo loads: {logo}");
    let serious: Vec<String> = axe(b, axe_js)
        .await
        .into_iter()
        .filter(|(_, impact, _, _)| matches!(impact.as_str(), "serious" | "critical"))
        .map(|(id, impact, help, targets)| format!("{impact} {id}: {help} ({targets})"))
        .collect();
    assert!(serious.is_empty(), "{name} in {}: {serious:#?}", e.tag);
    for width in [360, 1280] {
        b.viewport(width, if width == 360 { 740 } else { 900 })
            .await;
        let png = b
            .screenshot(&shots.join(format!("flow-{name}-{}-{width}.png", e.tag)))
            .await;
        assert_eq!(png_size(&png, name).0, width, "{name} at {width}");
    }
}

async fn the_way_in(e: Expect) {
    let Some(driver) = tools() else { return };
    let axe_js = axe_source();
    let mut w = World::new();
    let logo = w.tmp.path().join("logo.svg");
    std::fs::write(&logo, LOGO).expect("a logo");
    w.env
        .push(("MCP_ONBOARD_BRAND_LOGO".into(), logo.display().to_string()));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme", "--name", "Acme Ltd"]);
    let link = w.json(&["link", "acme"]);
    let link = link["url"].as_str().expect("a link").to_owned();
    let shots = w.tmp.path().join("shots");
    std::fs::create_dir_all(&shots).expect("the screenshots' folder");
    let b = Browser::start_with(&driver, w.tmp.path(), Some(e.accept)).await;

    b.goto(&link).await;
    let text = b.wait_for("/c/", e.continue_text).await;
    assert!(text.contains("Acme Ltd"), "the tenant it is for: {text}");
    let button = b.find("form button[type=submit]").await;
    assert_eq!(b.text(&button).await, e.continue_text);
    check_page(&b, &axe_js, &shots, "ask", &e).await;

    b.viewport(1280, 900).await;
    let button = b.find("form button[type=submit]").await;
    b.click(&button).await;
    b.wait_for("/sandbox/google/", "Allow").await;
    let at_google = b.url().await;
    assert!(
        at_google.contains(&format!("hl={}", e.tag)),
        "Google is asked for the page's language: {at_google}"
    );
    let allow = b.find("#allow").await;
    b.click(&allow).await;

    b.wait_for("/oauth/callback", e.done_title).await;
    check_page(&b, &axe_js, &shots, "connected", &e).await;
    let complaints = b.console().await;
    assert!(
        csp_complaints(&complaints).is_empty(),
        "the browser blocked something: {complaints:#?}"
    );
    let taken = std::fs::read_dir(&shots).expect("the shots").count();
    assert_eq!(taken, 4, "two pages at two widths");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_german_browser_gets_german_pages_and_a_german_google() {
    the_way_in(Expect {
        accept: "de-DE,de",
        tag: "de",
        continue_text: "Weiter zu Google",
        done_title: "Verbindung hergestellt",
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_japanese_browser_gets_japanese_pages_and_a_japanese_google() {
    the_way_in(Expect {
        accept: "ja-JP,ja",
        tag: "ja",
        continue_text: "Googleへ進む",
        done_title: "接続が完了しました",
    })
    .await;
}
