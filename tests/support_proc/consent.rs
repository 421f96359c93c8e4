//! A customer's consent over plain HTTP, as a browser would send it: the link's page,
//! Continue, the Google stand-in's consent and the callback; what the last page says; and
//! the tenant once what follows it (its deploy, its MCP check) is done.

use mcp_onboard::sandbox::customer;

/// The heading of the page that says a consent is stored ("You're connected", as the page
/// escapes it): not the awaiting-approval or replayed pages, which say "connected" too.
pub const CONNECTED_HEADING: &str = "<h1>You&#x27;re connected</h1>";

/// Whether `page` is the connected page.
pub fn is_connected_page(page: &str) -> bool {
    page.contains(CONNECTED_HEADING)
}

/// The text between `after` and the next `end`.
pub fn between(body: &str, after: &str, end: char) -> String {
    let start = body
        .find(after)
        .unwrap_or_else(|| panic!("{after:?} not in {body}"))
        + after.len();
    body[start..].split(end).next().unwrap_or("").to_owned()
}

/// Walk the customer's path over HTTP the way a browser would, checking each hop.
pub async fn consent_over_http(link: &str, email: &str) -> String {
    let (status, body) = consent_through(link, email, true).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The whole consent as a browser does it, to the last page's status and body; `demo`:
/// Google is the demo's, on our listener.
pub async fn consent_through(link: &str, email: &str, demo: bool) -> (u16, String) {
    let http = customer::client(customer::TIMEOUT).expect("http client");
    consent_with(&http, link, email, demo).await
}

/// The same with a given client (one that trusts a test certificate, say); it must not
/// follow redirects. The walk is the crate's own ([`customer::walk`]).
pub async fn consent_with(
    http: &reqwest::Client,
    link: &str,
    email: &str,
    demo: bool,
) -> (u16, String) {
    let walked = customer::walk(http, link, email)
        .await
        .unwrap_or_else(|e| panic!("walking {link}: {e:#}"));
    let base = url::Url::parse(link).expect("link URL");
    assert!(
        !demo
            || walked.authorize.as_str().starts_with(&format!(
                "{}/sandbox/google/",
                base.origin().ascii_serialization()
            )),
        "the demo's Google is on the same listener: {}",
        walked.authorize
    );
    (walked.status, walked.page)
}

/// The tenant as stored (`tenant show SLUG --json`), once it satisfies `ok` (within a
/// minute), or fail with it.
pub fn tenant_when(
    w: &super::World,
    slug: &str,
    ok: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let t = w.tenant(slug);
        if ok(&t) {
            return t;
        }
        assert!(
            std::time::Instant::now() < until,
            "{slug} never got there: {t:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
