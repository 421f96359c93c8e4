//! What the customer sees, in a real browser: headless Chromium driven by chromedriver over
//! the W3C WebDriver protocol, against `mcp-onboard --demo serve`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`).
//! Without them the tests are skipped with a loud message, except when `CI` is set: then
//! they fail. Set `BROWSER_TEST_SCREENSHOTS=<dir>` to keep the screenshots.

mod support_proc;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use support_proc::*;

const CHROMIUM: &str = "/usr/bin/chromium";
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
const WAIT: Duration = Duration::from_secs(20);

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver's path, or `None` (skip) when the browser is not installed and not in CI.
fn tools() -> Option<PathBuf> {
    let driver = on_path("chromedriver");
    let chromium = Path::new(CHROMIUM).is_file();
    match (driver, chromium) {
        (Some(d), true) => Some(d),
        (d, c) => {
            let mut missing = Vec::new();
            if d.is_none() {
                missing.push("chromedriver (on PATH)");
            }
            if !c {
                missing.push(CHROMIUM);
            }
            let missing = missing.join(" and ");
            if std::env::var_os("CI").is_some() {
                panic!("browser tests need {missing} (apt-get install chromium chromium-driver)");
            }
            // Straight to stderr: the test harness captures eprintln! of passing tests.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "\n==================== SKIPPED: browser test ====================\n\
                 missing: {missing}\n\
                 install: apt-get install -y chromium chromium-driver\n\
                 ===============================================================\n"
            );
            None
        }
    }
}

/// A chromedriver process and one browser session; both ended on drop.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    async fn start(driver_bin: &Path, tmp: &Path) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let mut last = String::new();
        for _ in 0..5 {
            let port = free_port();
            let log = tmp.join(format!("chromedriver-{port}.log"));
            let mut driver = Command::new(driver_bin)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log.display()))
                // Chromium's scratch dirs go with the test's temp dir.
                .env("TMPDIR", tmp)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawning chromedriver");
            let base = format!("http://127.0.0.1:{port}");
            let until = Instant::now() + WAIT;
            let mut ready = false;
            while Instant::now() < until {
                if let Ok(Some(_)) = driver.try_wait() {
                    break;
                }
                if let Ok(r) = http.get(format!("{base}/status")).send().await
                    && let Ok(v) = r.json::<Value>().await
                    && v["value"]["ready"] == true
                {
                    ready = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if !ready {
                let _ = driver.kill();
                let _ = driver.wait();
                last = read(&log);
                continue;
            }
            let profile = tmp.join(format!("chromium-profile-{port}"));
            let caps = json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": [
                        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                        "--no-first-run", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync",
                        "--disable-dev-shm-usage", "--window-size=1000,800",
                        format!("--user-data-dir={}", profile.display()),
                    ]
                }
            }}});
            let res = http
                .post(format!("{base}/session"))
                .json(&caps)
                .send()
                .await
                .expect("new session");
            let v: Value = res.json().await.expect("new session answer");
            let Some(session) = v["value"]["sessionId"].as_str() else {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver refused the session: {v:#}");
            };
            return Self {
                driver,
                session: session.to_owned(),
                base,
                http,
            };
        }
        panic!("chromedriver did not start: {last}");
    }

    fn at(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, self.at(path));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("webdriver request");
        let status = res.status();
        let v: Value = res.json().await.expect("webdriver answer");
        assert!(status.is_success(), "webdriver {path}: {v:#}");
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn url(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element id for {css}: {v}"))
            .to_owned()
    }

    async fn text(&self, element: &str) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/text"),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// A colour property as (r, g, b), whether the browser says `rgb(..)` or `rgba(..)`.
    async fn colour(&self, element: &str, property: &str) -> (u8, u8, u8) {
        let text = self.css(element, property).await;
        let n: Vec<u8> = text
            .trim_start_matches("rgba(")
            .trim_start_matches("rgb(")
            .trim_end_matches(')')
            .split(',')
            .take(3)
            .filter_map(|p| p.trim().parse().ok())
            .collect();
        match n[..] {
            [r, g, b] => (r, g, b),
            _ => panic!("{property} is not a colour: {text:?}"),
        }
    }

    async fn css(&self, element: &str, property: &str) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/css/{property}"),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The page's visible text (what a person reads).
    async fn visible_text(&self) -> String {
        let body = self.find("body").await;
        self.text(&body).await
    }

    /// Wait until the current URL contains `part` and the page shows `text`.
    async fn wait_for(&self, part: &str, text: &str) -> String {
        let until = Instant::now() + WAIT;
        let (mut url, mut seen) = (String::new(), String::new());
        while Instant::now() < until {
            url = self.url().await;
            if url.contains(part) {
                seen = self.visible_text().await;
                if seen.contains(text) {
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("waited for {part:?} showing {text:?}; at {url} showing:\n{seen}");
    }

    async fn screenshot(&self, to: &Path) -> Vec<u8> {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("base64 screenshot"))
            .expect("screenshot is base64");
        std::fs::write(to, &png).expect("writing screenshot");
        if let Some(dir) = std::env::var_os("BROWSER_TEST_SCREENSHOTS") {
            let dir = PathBuf::from(dir);
            let _ = std::fs::create_dir_all(&dir);
            if let Some(name) = to.file_name() {
                let _ = std::fs::write(dir.join(name), &png);
            }
        }
        png
    }

    async fn run_script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Console messages (CSP violations are reported here).
    async fn console(&self) -> Vec<String> {
        let res = self
            .http
            .post(self.at("/se/log"))
            .json(&json!({"type": "browser"}))
            .send()
            .await;
        let Ok(res) = res else { return Vec::new() };
        let v: Value = res.json().await.unwrap_or_default();
        v["value"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["message"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // End the session so chromedriver closes Chromium, then stop chromedriver.
        let _ = raw_delete(&self.at(""));
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A blocking HTTP DELETE on loopback (usable from Drop, outside the async runtime).
fn raw_delete(url: &str) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(Duration::from_secs(20)))?;
    write!(
        s,
        "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // The answer comes once the browser is closed; its first bytes are all we wait for.
    let mut buf = [0u8; 1024];
    let _ = s.read(&mut buf)?;
    Ok(())
}

/// A PNG worth looking at: the signature, sane dimensions, more than a blank frame's bytes.
fn assert_real_png(png: &[u8], what: &str) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{what}: not a PNG");
    let dim = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    let (w, h) = (dim(16), dim(20));
    assert!(w >= 400 && h >= 300, "{what}: {w}x{h}");
    assert!(png.len() > 8 * 1024, "{what}: only {} bytes", png.len());
}

fn csp_complaints(console: &[String]) -> Vec<&String> {
    console
        .iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect()
}

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
    assert!(text.contains("Connect Acme Ltd to Google"), "{text}");
    assert!(text.contains("Acme Ltd asks to connect"), "{text}");
    assert!(text.contains("send email as you"), "{text}");
    assert!(text.contains("see your name and email address"), "{text}");
    let button = b.find("form button[type=submit]").await;
    assert_eq!(b.text(&button).await, "Continue to Google");

    // The inline stylesheet applies under the listener's Content-Security-Policy.
    let main = b.find("main").await;
    assert_eq!(b.colour(&main, "background-color").await, (255, 255, 255));
    assert_eq!(b.colour(&button, "background-color").await, (26, 115, 232));
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
        text.contains("Acme Ltd is now connected to your Google account as customer@example.com"),
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
        text.contains("(intern@gmail.com) is not the one connected before")
            && text.contains("waits for a check by the administrator who sent you the link"),
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
