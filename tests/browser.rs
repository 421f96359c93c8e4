//! What the customer sees, in a real browser: headless Chromium driven by chromedriver over
//! the W3C WebDriver protocol, against `mcp-onboard --demo serve`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`).
//! Without them the tests are skipped with a loud message, except when `CI` is set: then
//! they fail. Set `BROWSER_TEST_SCREENSHOTS=<dir>` to keep the screenshots.

mod support_browser;
mod support_proc;

use support_browser::*;
use support_proc::*;
/// Open a consent link, press Continue, and wait for the Google stand-in's page.
async fn to_google(b: &Browser, link: &str, word: &str) {
    b.goto(link).await;
    b.wait_for("/c/", "Continue").await;
    let button = b.find("form button[type=submit]").await;
    b.click(&button).await;
    b.wait_for("/sandbox/google/", word).await;
}

/// The demo with one tenant and a fresh consent link.
fn demo_with_link(slug: &str, name: &str) -> (World, Serve, String) {
    let mut w = World::new();
    let serve = w.serve();
    w.ok(&["tenant", "add", slug, "--name", name]);
    let link = w.json(&["link", slug]);
    let url = link["url"].as_str().expect("link url").to_owned();
    (w, serve, url)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_opens_the_link_continues_allows_and_is_connected() {
    let Some(driver) = tools() else { return };
    let (w, _serve, link) = demo_with_link("acme", "Acme Ltd");
    let b = Browser::start(&driver, w.tmp.path()).await;

    b.goto(&link).await;
    let text = b.wait_for("/c/", "Continue").await;
    // The company that asks is the demo's brand; the tenant is who the access is for.
    assert!(text.contains("Connect your Google account"), "{text}");
    assert!(
        text.contains("Demo Company asks for access to your Google account, for Acme Ltd."),
        "{text}"
    );
    assert!(!text.contains("Acme Ltd asks"), "{text}");
    assert!(text.contains("Send email as you"), "{text}");
    assert!(text.contains("See your name and email address"), "{text}");
    let button = b.find("form button[type=submit]").await;
    assert_eq!(b.text(&button).await, "Continue to Google");

    // The inline stylesheet applies under the listener's Content-Security-Policy.
    let main = b.find("main").await;
    assert_eq!(b.colour(&main, "background-color").await, (255, 255, 255));
    assert_eq!(b.colour(&button, "background-color").await, (26, 102, 210));
    let body = b.find("body").await;
    assert_eq!(b.colour(&body, "background-color").await, (244, 245, 247));
    let shot = w.tmp.path().join("interstitial.png");
    assert_real_png(&b.screenshot(&shot).await, "interstitial");

    // Continue: a form POST answered by a 303 to the Google stand-in (form-action allows it).
    b.click(&button).await;
    let text = b.wait_for("/sandbox/google/", "Allow").await;
    assert!(text.contains("Google (sandbox)"), "{text}");
    assert!(text.contains("gmail.send"), "{text}");
    let allow = b.find("#allow").await;
    b.click(&allow).await;

    let text = b.wait_for("/oauth/callback", "connected").await;
    assert!(text.contains("You're connected"), "{text}");
    assert!(
        text.contains("Demo Company is now connected to your Google account, for Acme Ltd."),
        "{text}"
    );
    assert!(
        text.contains("You signed in as customer@example.com."),
        "{text}"
    );
    let h1 = b.find("h1").await;
    assert_eq!(b.colour(&h1, "color").await, (23, 128, 61), "success green");
    let shot = w.tmp.path().join("success.png");
    assert_real_png(&b.screenshot(&shot).await, "success page");

    // The console is really read (a probe shows up), and nothing was blocked on the way.
    b.run_script("console.error('console-probe-7');").await;
    let complaints = b.console().await;
    assert!(
        complaints.iter().any(|m| m.contains("console-probe-7")),
        "console not captured: {complaints:#?}"
    );
    assert!(
        csp_complaints(&complaints).is_empty(),
        "the browser blocked something: {complaints:#?}"
    );

    let t = w.tenant("acme");
    assert_eq!(t["google_email"], "customer@example.com");
    // The demo goes on to provision the MCP server on its Blaxel stand-in.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let t = w.tenant("acme");
        if t["status"] == "deployed" {
            assert!(
                t["mcp_url"].as_str().is_some_and(|u| u.ends_with("/mcp")),
                "{t:#}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never deployed: {t:#}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_who_denies_sees_access_not_granted() {
    let Some(driver) = tools() else { return };
    let (w, _serve, link) = demo_with_link("globex", "Globex");
    let b = Browser::start(&driver, w.tmp.path()).await;

    to_google(&b, &link, "Deny").await;
    let deny = b.find("#deny").await;
    b.click(&deny).await;

    let text = b.wait_for("/oauth/callback", "Access not granted").await;
    assert!(text.contains("nothing was shared"), "{text}");
    assert!(!text.contains("connected"), "{text}");
    let h1 = b.find("h1").await;
    assert_eq!(b.colour(&h1, "color").await, (179, 38, 30), "failure red");
    let complaints = b.console().await;
    assert!(
        csp_complaints(&complaints).is_empty(),
        "the browser blocked something: {complaints:#?}"
    );

    let t = w.tenant("globex");
    assert_eq!(t["status"], "failed");
    assert_eq!(t["failure"], "consent_denied");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_signing_in_with_another_account_than_before_is_told_it_waits_for_a_check() {
    let Some(driver) = tools() else { return };
    let (w, _serve, link) = demo_with_link("initech", "Initech");
    let b = Browser::start(&driver, w.tmp.path()).await;
    // The first consent, by the demo's default account.
    to_google(&b, &link, "Allow").await;
    let allow = b.find("#allow").await;
    b.click(&allow).await;
    b.wait_for("/oauth/callback", "connected").await;

    // A new link, and someone else signs in with it.
    let again = w.json(&["link", "initech"]);
    to_google(&b, again["url"].as_str().unwrap(), "Allow").await;
    b.run_script("document.querySelector('input[name=email]').value = 'intern@gmail.com';")
        .await;
    let allow = b.find("#allow").await;
    b.click(&allow).await;
    let text = b.wait_for("/oauth/callback", "Almost done").await;
    assert!(
        text.contains("is not the one connected before")
            && text.contains("waits for a check by Demo Company")
            && text.contains("You signed in as intern@gmail.com."),
        "{text}"
    );
    assert!(!text.contains("You're connected"), "{text}");
    let complaints = b.console().await;
    assert!(
        csp_complaints(&complaints).is_empty(),
        "the browser blocked something: {complaints:#?}"
    );
    let t = w.tenant("initech");
    assert_eq!(t["status"], "awaiting_approval", "{t:#}");
    assert_eq!(t["google_email"], "customer@example.com");
    assert_eq!(t["pending_consent"]["account"], "intern@gmail.com");
}

/// The company's own frontend, on loopback: answers every page with what it was asked.
async fn company_frontend() -> String {
    use axum::extract::RawQuery;
    let app = axum::Router::new().route(
        "/{*path}",
        axum::routing::get(|uri: axum::http::Uri, RawQuery(q): RawQuery| async move {
            axum::response::Html(format!(
                "<!doctype html><title>Acme app</title><h1>Welcome back</h1><p id=q>{} {}</p>",
                uri.path(),
                q.unwrap_or_default()
            ))
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_consent_the_customer_ends_on_the_companys_own_page() {
    let Some(driver) = tools() else { return };
    let front = company_frontend().await;
    let mut w = World::new();
    // With return_redirect the success page sends the browser on by itself.
    w.env.push((
        "MCP_ONBOARD_RETURN_URL".into(),
        format!("{front}/onboarded"),
    ));
    w.env
        .push(("MCP_ONBOARD_RETURN_REDIRECT".into(), "true".into()));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme", "--name", "Acme Ltd"]);
    let link = w.json(&["link", "acme"]);
    let b = Browser::start(&driver, w.tmp.path()).await;
    to_google(&b, link["url"].as_str().unwrap(), "Allow").await;
    let allow = b.find("#allow").await;
    b.click(&allow).await;
    let text = b.wait_for("/onboarded", "Welcome back").await;
    assert!(
        text.contains("/onboarded tenant=acme&outcome=connected"),
        "{text}"
    );
    assert_eq!(w.tenant("acme")["google_email"], "customer@example.com");

    // A tenant with a page of its own, and a customer who denies: offered as a link back.
    w.ok(&[
        "tenant",
        "add",
        "globex",
        "--return-url",
        &format!("{front}/globex/setup?step=2"),
    ]);
    let link = w.json(&["link", "globex"]);
    to_google(&b, link["url"].as_str().unwrap(), "Deny").await;
    let deny = b.find("#deny").await;
    b.click(&deny).await;
    let text = b.wait_for("/oauth/callback", "Access not granted").await;
    assert!(text.contains("Back to 127.0.0.1"), "{text}");
    let back = b.find("a.next").await;
    b.click(&back).await;
    let text = b.wait_for("/globex/setup", "Welcome back").await;
    assert!(
        text.contains("/globex/setup step=2&tenant=globex&outcome=denied"),
        "{text}"
    );
}
