//! What the Google stand-in answers besides success: an HTML error page (for the browser)
//! or an OAuth JSON error (for the token and revoke endpoints), as Google does.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

pub(super) fn error_page(status: StatusCode, title: &str, detail: &str) -> Response {
    let body = format!(
        "<!doctype html><title>Sign in - Google Accounts (sandbox)</title><h1>{}</h1><p>{}</p>",
        html_escape::encode_safe(title),
        html_escape::encode_safe(detail)
    );
    (status, Html(body)).into_response()
}

pub(super) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}
