//! A customer's consent over HTTP, hop by hop as a browser does it: the consent cookie a
//! page sets, a value cut out of a page, and the whole walk from link to callback.

use url::Url;

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
/// follow the callback. Returns the callback's status and page.
pub async fn consent_over_http(
    http: &reqwest::Client,
    base: &str,
    link_url: &str,
    email: &str,
) -> (u16, String) {
    let page = http.get(link_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "link page");
    let cookie = consent_cookie(&page).expect("the link page sets the consent cookie");
    let page = page.text().await.unwrap();
    let action = extract(&page, r#"action=""#, '"');
    let token = extract(&page, r#"name="token" value=""#, '"');
    let base = Url::parse(base).unwrap();
    let res = http
        .post(base.join(&action).unwrap())
        .header("cookie", &cookie)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "continue");
    let auth = Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    let form = mcp_onboard::sandbox::google::allow_form(&auth, email);
    let res = http
        .post(auth.join("approve").unwrap())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "approve");
    let cb = res.headers()["location"].to_str().unwrap().to_owned();
    let res = http.get(cb).header("cookie", &cookie).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}
