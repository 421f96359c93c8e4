//! HTML rendering of customer pages from the embedded templates, with every inserted value
//! escaped. Pages need no JavaScript.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::engine::consent::{CustomerPage, Interstitial};

const PAGE: &str = include_str!("../../assets/page.html");
const INTERSTITIAL: &str = include_str!("../../assets/interstitial.html");

fn esc(s: &str) -> String {
    html_escape::encode_safe(s).into_owned()
}

fn render(template: &str, vars: &[(&str, &str)]) -> String {
    crate::text::fill(template, vars)
}

fn page(status: StatusCode, class: &str, title: &str, body_html: &str) -> Response {
    let html = render(
        PAGE,
        &[
            ("class", class),
            ("title", &esc(title)),
            ("body", body_html),
        ],
    );
    let mut res = (status, html).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res
}

pub fn customer_page(o: &CustomerPage) -> Response {
    let status = StatusCode::from_u16(o.status).unwrap_or(StatusCode::BAD_REQUEST);
    let class = if o.success { "ok" } else { "fail" };
    let mut body = format!("<p>{}</p>", esc(&o.message));
    if let Some(next) = &o.next {
        let host = url::Url::parse(&next.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let label = if o.success {
            format!("Continue to {host}")
        } else {
            format!("Back to {host}")
        };
        body.push_str(&format!(
            r#"<p><a class="next" href="{}">{}</a></p>"#,
            html_escape::encode_double_quoted_attribute(&next.url),
            esc(&label)
        ));
    }
    let mut res = page(
        if o.next.as_ref().is_some_and(|n| n.redirect) {
            StatusCode::SEE_OTHER
        } else {
            status
        },
        class,
        &o.title,
        &body,
    );
    if let Some(next) = o.next.as_ref().filter(|n| n.redirect)
        && let Ok(v) = HeaderValue::from_str(&next.url)
    {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

pub fn interstitial(i: &Interstitial) -> Response {
    let account = i
        .account_hint
        .as_deref()
        .map(|a| format!("<p>Please sign in with <strong>{}</strong>.</p>", esc(a)))
        .unwrap_or_default();
    let body = render(
        INTERSTITIAL,
        &[
            ("tenant", &esc(&i.display_name)),
            ("access", &esc(&i.access)),
            ("account", &account),
            (
                "continue",
                &html_escape::encode_double_quoted_attribute(&i.continue_path),
            ),
            (
                "token",
                &html_escape::encode_double_quoted_attribute(&i.token),
            ),
        ],
    );
    page(
        StatusCode::OK,
        "ask",
        &format!("Connect {} to Google", i.display_name),
        &body,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserted_values_are_escaped() {
        let i = Interstitial {
            display_name: "<script>alert(1)</script>".into(),
            access: "send & receive".into(),
            account_hint: Some("a\"b@x.io".into()),
            continue_path: "/c/abc/continue".into(),
            token: "t\"x".into(),
        };
        let res = interstitial(&i);
        assert_eq!(res.status(), StatusCode::OK);
        let body = futures_body(res);
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(body.contains("&lt;script&gt;"));
        assert!(body.contains("send &amp; receive"));
        assert!(body.contains(r#"action="/c/abc/continue""#));
    }

    #[test]
    fn placeholders_are_filled_in_one_pass_and_values_are_not_rescanned() {
        assert_eq!(
            render("<{{a}}|{{b}}|{{zz}}|{{", &[("a", "{{b}}"), ("b", "2")]),
            "<{{b}}|2|{{zz}}|{{"
        );
        assert_eq!(render("plain", &[]), "plain");
    }

    fn futures_body(res: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .unwrap();
            String::from_utf8(bytes.to_vec()).unwrap()
        })
    }
}
