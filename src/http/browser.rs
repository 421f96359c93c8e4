//! The consent cookie: a random secret per browser, set when a link's page is shown. The
//! Continue form carries a token tied to it, and a flow remembers its hash, so a consent
//! can only be started from our page and finished in the browser that started it.
//!
//! On an `https` public URL it is a `__Host-` cookie (Secure, Path=/, no Domain); on
//! loopback http a plain one. Always HttpOnly and SameSite=Lax: sent on the top-level
//! navigation back from Google, not on a cross-site POST.

use axum::http::{HeaderMap, HeaderValue, header};
use url::Url;

use crate::domain::consent::BROWSER_SECRET_LEN;
use crate::engine::token::{random_token, well_formed};

/// How long a browser keeps its consent cookie.
const MAX_AGE_SECS: u32 = 24 * 3600;

#[derive(Debug, Clone)]
pub struct ConsentCookie {
    name: &'static str,
    secure: bool,
}

impl ConsentCookie {
    pub fn for_public_url(url: &Url) -> Self {
        if url.scheme() == "https" {
            Self {
                name: "__Host-mcp-onboard",
                secure: true,
            }
        } else {
            Self {
                name: "mcp-onboard",
                secure: false,
            }
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The cookie's value, when the request carries a well-formed one.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        read_token(headers, self.name, BROWSER_SECRET_LEN)
    }

    /// A fresh secret for a browser that has none.
    pub fn new_secret() -> String {
        random_token(32)
    }

    pub fn set_header(&self, secret: &str) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={secret}; Path=/; Max-Age={MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
            self.name
        ))
        .ok()
    }
}

/// The value of the first cookie named `name` a request carries, when it is a well-formed
/// token of `len` characters (what our cookies hold).
pub(super) fn read_token(headers: &HeaderMap, name: &str, len: usize) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| well_formed(v, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefixed_on_https_plain_on_loopback_and_read_back() {
        let https =
            ConsentCookie::for_public_url(&Url::parse("https://x.example/onboard").unwrap());
        let secret = ConsentCookie::new_secret();
        let set = https.set_header(&secret).unwrap();
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-mcp-onboard="), "{set}");
        assert!(set.contains("; Secure") && set.contains("Path=/;") && set.contains("HttpOnly"));
        assert!(set.contains("SameSite=Lax") && !set.contains("Domain"));
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; __Host-mcp-onboard={secret}; c=d")).unwrap(),
        );
        assert_eq!(https.read(&h), Some(secret.clone()));
        let plain = ConsentCookie::for_public_url(&Url::parse("http://127.0.0.1:8089").unwrap());
        assert!(
            !plain
                .set_header(&secret)
                .unwrap()
                .to_str()
                .unwrap()
                .contains("Secure")
        );
        assert_eq!(plain.read(&h), None, "another cookie's name");
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("mcp-onboard=short"),
        );
        assert_eq!(plain.read(&h), None, "malformed values are ignored");
    }
}
