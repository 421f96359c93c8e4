//! The way back to a link after one of its consents: Continue sets a cookie holding the
//! link's code, sent only to the callback's path and living as long as the flow, so the
//! page after Google can offer the link's next consent. The server keeps no code in clear;
//! the callback trusts the cookie only when its hash is the flow's link's, and clears it.
//!
//! HttpOnly and SameSite=Lax (sent on Google's top-level redirect back); Secure, with the
//! `__Secure-` prefix, on an `https` public URL.

use axum::http::{HeaderMap, HeaderValue};

use crate::config::Config;
use crate::engine::consent::FLOW_TTL;
use crate::engine::token::{LINK_CODE_LEN, well_formed};

#[derive(Debug, Clone)]
pub struct LinkCookie {
    name: &'static str,
    secure: bool,
    /// The callback's path as customers reach it (under any prefix of `public_url`).
    path: String,
    max_age: u64,
}

impl LinkCookie {
    /// The cookie of `config`'s listener; it lives as long as a flow.
    pub fn new(config: &Config) -> Self {
        let secure = config.listener.public_url.scheme() == "https";
        Self {
            name: if secure {
                "__Secure-mcp-onboard-link"
            } else {
                "mcp-onboard-link"
            },
            secure,
            path: config.redirect_uri().path().to_owned(),
            max_age: FLOW_TTL.as_secs(),
        }
    }

    /// The link code the request carries, when it carries a well-formed one.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        super::browser::read_token(headers, self.name, LINK_CODE_LEN)
    }

    /// Set at Continue: the code of the link pressed.
    pub fn set_header(&self, code: &str) -> Option<HeaderValue> {
        well_formed(code, LINK_CODE_LEN).then_some(())?;
        self.header(code, self.max_age)
    }

    /// Sent by the callback that read it.
    pub fn clear_header(&self) -> Option<HeaderValue> {
        self.header("", 0)
    }

    fn header(&self, value: &str, max_age: u64) -> Option<HeaderValue> {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{}={value}; Path={}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
            self.name, self.path
        ))
        .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::token::new_link_code;

    fn config(public_url: &str) -> Config {
        Config::from_env_pairs(&[("MCP_ONBOARD_PUBLIC_URL", public_url)]).expect("a config")
    }

    fn cookie_header(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            HeaderValue::from_str(value).expect("ascii"),
        );
        h
    }

    #[test]
    fn on_https_it_is_secure_and_goes_to_the_callback_under_the_prefix_only() {
        let c = LinkCookie::new(&config("https://x.example/onboard"));
        let (code, _, _) = new_link_code();
        let set = c.set_header(&code).expect("a header");
        assert_eq!(
            set.to_str().expect("ascii"),
            format!(
                "__Secure-mcp-onboard-link={code}; Path=/onboard/oauth/callback; Max-Age=600; HttpOnly; SameSite=Lax; Secure"
            )
        );
        let h = cookie_header(&format!("a=b; __Secure-mcp-onboard-link={code}; c=d"));
        assert_eq!(c.read(&h), Some(code));
        let clear = c.clear_header().expect("a header");
        let clear = clear.to_str().expect("ascii");
        assert!(
            clear.starts_with(
                "__Secure-mcp-onboard-link=; Path=/onboard/oauth/callback; Max-Age=0;"
            ),
            "{clear}"
        );
    }

    #[test]
    fn on_loopback_it_is_plain_and_only_a_well_formed_code_is_read_or_set() {
        let c = LinkCookie::new(&config("http://127.0.0.1:8089"));
        let (code, _, _) = new_link_code();
        let set = c.set_header(&code).expect("a header");
        let set = set.to_str().expect("ascii");
        assert!(set.starts_with("mcp-onboard-link="), "{set}");
        assert!(
            set.contains("Path=/oauth/callback;") && !set.contains("Secure"),
            "{set}"
        );
        assert_eq!(
            c.read(&cookie_header(&format!("mcp-onboard-link={code}"))),
            Some(code)
        );
        for bad in ["short", "/c/x; Path=/", ""] {
            assert_eq!(c.set_header(bad), None, "{bad:?}");
            let h = cookie_header(&format!("mcp-onboard-link={bad}"));
            assert_eq!(c.read(&h), None, "{bad:?}");
        }
        let other = cookie_header(&format!("mcp-onboard={}", "a".repeat(LINK_CODE_LEN)));
        assert_eq!(c.read(&other), None, "another cookie's name");
    }
}
