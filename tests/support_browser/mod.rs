//! A real browser for tests: headless Chromium driven by chromedriver over the W3C
//! WebDriver protocol (and chromedriver's CDP pass-through for the viewport), with the
//! checks the customer-page tests share.
//!
//! Needs `chromium` and `chromedriver` (Debian: `apt-get install chromium chromium-driver`).
//! Without them [`tools`] says SKIPPED loudly and the test returns, except when `CI` is set:
//! then it fails. Set `BROWSER_TEST_SCREENSHOTS=<dir>` to keep copies of the screenshots.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use super::support_proc::{free_port, read};

pub mod axe;
#[allow(unused_imports)]
pub use axe::{AXE_VERSION, axe, axe_source};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
pub const WAIT: Duration = Duration::from_secs(20);

pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// chromedriver's path, or `None` (skip) when the browser is not installed and not in CI.
pub fn tools() -> Option<PathBuf> {
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
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    pub async fn start(driver_bin: &Path, tmp: &Path) -> Self {
        Self::start_with(driver_bin, tmp, None).await
    }

    /// A browser whose `Accept-Language` is `accept_language` (as a person sets it in the
    /// browser's settings: `de`, `ja,en;q=0.5`).
    pub async fn start_with(driver_bin: &Path, tmp: &Path, accept_language: Option<&str>) -> Self {
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
            let mut options = json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1000,800",
                    format!("--user-data-dir={}", profile.display()),
                ]
            });
            if let Some(languages) = accept_language {
                options["prefs"] = json!({ "intl.accept_languages": languages });
            }
            let caps = json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": options,
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

    pub fn at(&self, path: &str) -> String {
        format!("{}/session/{}{path}", self.base, self.session)
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
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

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    pub async fn url(&self) -> String {
        let v = self.call(reqwest::Method::GET, "/url", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn find(&self, css: &str) -> String {
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

    pub async fn text(&self, element: &str) -> String {
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
    pub async fn colour(&self, element: &str, property: &str) -> (u8, u8, u8) {
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

    pub async fn css(&self, element: &str, property: &str) -> String {
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/css/{property}"),
                None,
            )
            .await;
        v.as_str().unwrap_or_default().to_owned()
    }

    pub async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// The page's visible text (what a person reads).
    pub async fn visible_text(&self) -> String {
        let body = self.find("body").await;
        self.text(&body).await
    }

    /// Wait until the current URL contains `part` and the page shows `text`.
    pub async fn wait_for(&self, part: &str, text: &str) -> String {
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

    pub async fn screenshot(&self, to: &Path) -> Vec<u8> {
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

    /// Run a script that reports by calling its last argument (`execute/async`).
    pub async fn run_async_script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// A Chrome DevTools Protocol command, through chromedriver.
    pub async fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            Some(json!({"cmd": cmd, "params": params})),
        )
        .await
    }

    /// Lay pages out as a screen `width` CSS pixels wide would (a phone's below 600, with
    /// the page's viewport meta honoured), one device pixel per CSS pixel.
    pub async fn viewport(&self, width: u32, height: u32) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
        )
        .await;
    }

    pub async fn run_script(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Console messages (CSP violations are reported here).
    pub async fn console(&self) -> Vec<String> {
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
pub fn raw_delete(url: &str) -> std::io::Result<()> {
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

/// A PNG's width and height.
pub fn png_size(png: &[u8], what: &str) -> (u32, u32) {
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 24,
        "{what}: not a PNG"
    );
    let dim = |at: usize| u32::from_be_bytes([png[at], png[at + 1], png[at + 2], png[at + 3]]);
    (dim(16), dim(20))
}

/// A PNG worth looking at: the signature, sane dimensions, more than a blank frame's bytes.
pub fn assert_real_png(png: &[u8], what: &str) {
    let (w, h) = png_size(png, what);
    assert!(w >= 400 && h >= 300, "{what}: {w}x{h}");
    assert!(png.len() > 8 * 1024, "{what}: only {} bytes", png.len());
}

pub fn csp_complaints(console: &[String]) -> Vec<&String> {
    console
        .iter()
        .filter(|m| m.contains("Content Security Policy") || m.contains("Refused to"))
        .collect()
}
