//! A customer's consent over plain HTTP, as a browser would send it: the link's page, its
//! hidden form fields, Continue, the Google stand-in's consent and the callback.

/// The heading of the page that says a consent is stored ("You're connected", as the page
/// escapes it): not the awaiting-approval or replayed pages, which say "connected" too.
pub const CONNECTED_HEADING: &str = "<h1>You&#x27;re connected</h1>";

/// Whether `page` is the connected page.
pub fn is_connected_page(page: &str) -> bool {
    page.contains(CONNECTED_HEADING)
}

/// The `value` of every `<input type="hidden" name=.. value=..>` in a page, in order.
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for chunk in html.split("<input").skip(1) {
        let tag = chunk.split('>').next().unwrap_or("");
        if !tag.contains(r#"type="hidden""#) {
            continue;
        }
        let attr = |name: &str| {
            let key = format!(r#"{name}=""#);
            tag.find(&key).map(|i| {
                let v = &tag[i + key.len()..];
                let v = v.split('"').next().unwrap_or("");
                html_escape::decode_html_entities(v).into_owned()
            })
        };
        if let (Some(n), Some(v)) = (attr("name"), attr("value")) {
            out.push((n, v));
        }
    }
    out
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
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    consent_with(&http, link, email, demo).await
}

/// The same with a given client (one that trusts a test certificate, say); it must not
/// follow redirects.
pub async fn consent_with(
    http: &reqwest::Client,
    link: &str,
    email: &str,
    demo: bool,
) -> (u16, String) {
    let base = url::Url::parse(link).expect("link URL");

    let page = http.get(link).send().await.expect("open link");
    assert_eq!(page.status(), 200);
    let cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("the link page sets the consent cookie")
        .to_owned();
    let body = page.text().await.expect("interstitial");
    assert!(body.contains("Continue"), "{body}");
    let action = between(&body, r#"action=""#, '"');
    let token = between(&body, r#"name="token" value=""#, '"');
    let cont = base.join(&action).expect("continue URL");

    let res = http
        .post(cont)
        .header("cookie", &cookie)
        .form(&[("token", token)])
        .send()
        .await
        .expect("continue");
    assert_eq!(res.status(), 303);
    let authorize = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        !demo
            || authorize.starts_with(&format!(
                "{}/sandbox/google/",
                base.origin().ascii_serialization()
            )),
        "the demo's Google is on the same listener: {authorize}"
    );

    let res = http.get(&authorize).send().await.expect("consent page");
    assert_eq!(res.status(), 200);
    let page = res.text().await.expect("consent page body");
    assert!(page.contains("Allow") && page.contains("Deny"), "{page}");
    let mut form = hidden_inputs(&page);
    assert!(form.iter().any(|(k, _)| k == "state"), "{page}");
    form.push(("email".into(), email.into()));
    form.push(("decision".into(), "allow".into()));
    let authorize = url::Url::parse(&authorize).expect("authorize URL");
    let scopes: Vec<String> = authorize
        .query_pairs()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.split(' ').map(str::to_owned).collect())
        .unwrap_or_default();
    assert!(!scopes.is_empty());
    form.extend(scopes.into_iter().map(|sc| ("scope".to_owned(), sc)));
    let approve = authorize.join("approve").expect("approve URL");
    let res = http
        .post(approve)
        .form(&form)
        .send()
        .await
        .expect("approve");
    assert_eq!(res.status(), 303);
    let callback = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(callback.contains("/oauth/callback?"), "{callback}");

    let res = http
        .get(&callback)
        .header("cookie", &cookie)
        .send()
        .await
        .expect("callback");
    let status = res.status().as_u16();
    let body = res.text().await.expect("final page");
    (status, body)
}
