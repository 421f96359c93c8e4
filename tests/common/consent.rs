//! A customer's consent over HTTP, hop by hop as a browser does it: the consent cookie a
//! page sets, a value cut out of a page, and the whole walk from link to callback.

/// The `name=value` of our consent cookie in a response, if it sets one.
pub fn consent_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mcp-onboard=") || v.starts_with("__Host-mcp-onboard="))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub fn extract(body: &str, after: &str, end: char) -> String {
    let start = body
        .find(after)
        .unwrap_or_else(|| panic!("{after} not in {body}"))
        + after.len();
    body[start..].split(end).next().unwrap().to_owned()
}

/// What a browser does with a consent link, hop by hop, against a serve whose Google is a
/// sandbox: open the link, press Continue, Allow as `email` with every scope ticked, and
/// follow the callback (the crate's own walk). Returns the callback's status and page.
pub async fn consent_over_http(
    http: &reqwest::Client,
    link_url: &str,
    email: &str,
) -> (u16, String) {
    let walked = mcp_onboard::sandbox::customer::walk(http, link_url, email)
        .await
        .unwrap_or_else(|e| panic!("walking {link_url}: {e:#}"));
    (walked.status, walked.page)
}
