//! The customer's pages as HTTP answers: each [`CustomerPage`] rendered by
//! [`page_render`] with the configured brand, in the language negotiated for the request
//! (`?lang=` > the tenant's > `Accept-Language` > English), and the brand's logo served at
//! [`LOGO_PATH`]. Pages need no script and load nothing but the logo from the listener
//! itself; the listener's guard adds the security headers.

use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::page_render::{self, Brand, Failure, Page};
use crate::config::Config;
use crate::config::brand_logo::Logo;
use crate::engine::consent::CustomerPage;
use crate::i18n::Asked;

/// Where the listener serves the brand's logo (under `public_url`'s path).
pub const LOGO_PATH: &str = "/brand/logo";
/// A logo is cached by browsers for a day.
const LOGO_CACHE: &str = "public, max-age=86400";

/// What a request says of the language it wants: `lang` (from the query or the form) and
/// its `Accept-Language`.
pub fn asked(lang: Option<String>, headers: &HeaderMap) -> Asked {
    Asked {
        lang,
        accept_language: headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The `lang` parameter of a query string, if any.
pub fn query_lang(raw: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned())
}

/// The brand the pages show and its logo.
#[derive(Debug, Clone)]
pub struct Pages {
    brand: Arc<Brand>,
    logo: Option<Logo>,
}

impl Default for Pages {
    /// Unbranded (tests of the listener's parts): the pages name `localhost`.
    fn default() -> Self {
        Self {
            brand: Arc::new(Brand::named("localhost")),
            logo: None,
        }
    }
}

impl Pages {
    /// The pages of `config`'s brand; without a brand name (a listener on loopback), the
    /// public URL's host names the one who asks.
    pub fn new(config: &Config) -> Self {
        let b = &config.brand;
        let fallback = config
            .listener
            .public_url
            .host_str()
            .unwrap_or("localhost")
            .to_owned();
        let name = b.name.clone().unwrap_or(fallback);
        let brand = Brand {
            google_app: b.google_app().map_or_else(|| name.clone(), str::to_owned),
            name,
            logo_url: b
                .logo
                .as_ref()
                .map(|_| config.public_path(LOGO_PATH).path().to_owned()),
            accent: b.accent,
            support_contact: b.support_contact.as_ref().map(|s| match s {
                crate::config::SupportContact::Email(e) => e.clone(),
                crate::config::SupportContact::Web(u) => u.to_string(),
            }),
            privacy_policy_url: b.privacy_policy_url.as_ref().map(|u| u.to_string()),
            terms_url: b.terms_url.as_ref().map(|u| u.to_string()),
        };
        Self {
            brand: Arc::new(brand),
            logo: b.logo.clone(),
        }
    }

    pub fn brand(&self) -> &Brand {
        &self.brand
    }

    /// `page` for a request that `asked`; `switcher`: offer the other languages (only on
    /// a page that can be loaded again with `?lang=`).
    pub fn respond(&self, page: &CustomerPage, asked: &Asked, switcher: bool) -> Response {
        let lang = asked.lang(page.lang);
        let redirect = page.next.as_ref().filter(|n| n.redirect);
        let html = page_render::render(
            &Page {
                lang,
                kind: page.kind.clone(),
                next: page.next.as_ref().map(|n| n.url.clone()),
                switcher,
            },
            &self.brand,
        );
        let status = match redirect {
            Some(_) => StatusCode::SEE_OTHER,
            None => StatusCode::from_u16(page.kind.status()).unwrap_or(StatusCode::BAD_REQUEST),
        };
        let mut res = (status, html).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
        if let Some(next) = redirect
            && let Ok(v) = HeaderValue::from_str(&next.url)
        {
            h.insert(header::LOCATION, v);
        }
        res
    }

    /// A failure page for a request, before any tenant is known: in the language its
    /// `query` asks for (`?lang=`), else the browser's.
    pub fn failure(
        &self,
        failure: Failure,
        query: Option<&str>,
        headers: &HeaderMap,
        switcher: bool,
    ) -> Response {
        self.respond(
            &CustomerPage::from(failure),
            &asked(query_lang(query), headers),
            switcher,
        )
    }

    /// The logo, as configured; 404 without one.
    pub fn logo(&self, headers: &HeaderMap) -> Response {
        let Some(logo) = &self.logo else {
            return self.failure(Failure::NotFound, None, headers, false);
        };
        let mut res = (StatusCode::OK, logo.bytes.to_vec()).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(logo.kind.content_type()),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(LOGO_CACHE));
        res
    }
}

#[cfg(test)]
mod tests;
