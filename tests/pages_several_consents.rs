//! One link, several consents, as the customer's browser goes through them: after Gmail's
//! consent the page counts it ("1 of 2") and offers Drive's through the link's page when the
//! browser brings back the link it started from (a cookie set at Continue, sent only to the
//! callback, cleared there); without it, or with another link's (a browser holds one: the
//! last Continue's), the page says to open the link again; after Drive's, "2 of 2". (Back
//! in another browser, the callback ends earlier, on the wrong-browser page.)

mod common;

use common::{Harness, harness, harness_behind_proxy};
use mcp_onboard::engine::Command;
use mcp_onboard::engine::api::LinkView;
use mcp_onboard::engine::model::{Integration, LinkState};

const LINK_COOKIE: &str = "mcp-onboard-link=";

/// `acme` with Gmail and Drive, and one link for both.
async fn acme_with_drive(h: &Harness) -> LinkView {
    h.add("acme", None, None).await;
    h.run(Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    })
    .await;
    h.link("acme").await
}

/// The `Set-Cookie` line of the link cookie in `res`, if it sets one.
fn link_cookie_line(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(LINK_COOKIE))
        .map(str::to_owned)
}

/// Press Continue on the link's page: Google's authorize URL and the link cookie's line.
async fn press(h: &Harness, link: &LinkView) -> (url::Url, String) {
    let res = h.press_continue(link).await;
    assert_eq!(res.status().as_u16(), 303);
    let line = link_cookie_line(&res).expect("Continue sets the link cookie");
    let auth = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    (auth, line)
}

/// The callback `cb` followed with the consent cookie and `also` (a `name=value`): its
/// status, its body, and the link cookie's line in its answer.
async fn back_from_google(h: &Harness, cb: &str, also: Option<&str>) -> (u16, String, String) {
    let consent = h.jar.lock().unwrap().clone().expect("the consent cookie");
    let cookies = match also {
        Some(c) => format!("{consent}; {c}"),
        None => consent,
    };
    let res = h
        .http
        .get(cb)
        .header("cookie", cookies)
        .send()
        .await
        .unwrap();
    let line = link_cookie_line(&res).unwrap_or_default();
    (res.status().as_u16(), line, res.text().await.unwrap())
}

/// The path of the link's page (`/c/CODE`, under any prefix).
fn link_path(link: &LinkView) -> String {
    url::Url::parse(&link.url).unwrap().path().to_owned()
}

#[tokio::test]
async fn each_consent_is_counted_and_the_next_offered_through_the_links_page() {
    let h = harness().await;
    let link = acme_with_drive(&h).await;
    let (auth, line) = press(&h, &link).await;
    // The link's way back: to the callback only, for the flow's lifetime, out of scripts'
    // reach, sent on Google's top-level redirect back.
    for part in [
        "Path=/oauth/callback",
        "Max-Age=600",
        "HttpOnly",
        "SameSite=Lax",
    ] {
        assert!(line.contains(part), "{part}: {line}");
    }
    assert!(!line.contains("Secure"), "loopback http: {line}");
    let pair = line.split(';').next().unwrap().to_owned();
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let (status, cleared, body) = back_from_google(&h, &cb, Some(&pair)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<h1>Gmail is connected (1 of 2)</h1>"),
        "{body}"
    );
    let next = format!(r#"<a class="button" href="{}?lang=en">"#, link_path(&link));
    assert!(body.contains(&next), "{body}");
    assert!(body.contains("Continue with Google Drive</a>"), "{body}");
    assert!(!body.contains("close this window"), "{body}");
    assert!(
        cleared.starts_with(LINK_COOKIE) && cleared.contains("Max-Age=0"),
        "the callback clears it: {cleared:?}"
    );

    // The button leads back to the link's page, which asks for Drive alone now.
    let page = h
        .get(&format!("{}{}?lang=en", h.base, &link_path(&link)[1..]))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("Google Drive files you use"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Send email as you"), "{}", page.body);
    let (auth, line) = press(&h, &link).await;
    let scopes = auth.query_pairs().find(|(k, _)| k == "scope").unwrap().1;
    assert!(
        scopes.contains("drive.file") && !scopes.contains("gmail"),
        "{scopes}"
    );
    let pair = line.split(';').next().unwrap().to_owned();
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let (status, _, body) = back_from_google(&h, &cb, Some(&pair)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("connected (2 of 2)</h1>"), "{body}");
    assert!(
        !body.contains(r#"class="button""#),
        "nothing left to offer: {body}"
    );
    assert!(
        body.contains("Google Drive files you use"),
        "both allowed: {body}"
    );
    assert!(body.contains("Send email as you"), "both allowed: {body}");
    assert_eq!(h.show("acme").await.links[0].state, LinkState::Used);
}

#[tokio::test]
async fn without_its_own_links_cookie_the_page_says_to_open_the_link_again() {
    let h = harness().await;
    let link = acme_with_drive(&h).await;
    h.add("beta", None, None).await;
    let other = h.link("beta").await;
    let other_code = link_path(&other).rsplit('/').next().unwrap().to_owned();
    let (auth, _) = press(&h, &link).await;
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    // Another link's code is not a way back to this one.
    let planted = format!("{LINK_COOKIE}{other_code}");
    let (status, _, body) = back_from_google(&h, &cb, Some(&planted)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<h1>Gmail is connected (1 of 2)</h1>"),
        "{body}"
    );
    assert!(
        body.contains("To connect Google Drive too, open the link you were sent again."),
        "{body}"
    );
    assert!(!body.contains(r#"class="button""#), "{body}");
    assert!(!body.contains(&other_code), "{body}");
}

/// Two links in one browser (one consent cookie, one link cookie): the second Continue
/// overwrites the first's way back, and the first callback clears it. Neither page offers
/// the other tenant's link; each says to open its own link again, which then asks for
/// Drive.
#[tokio::test]
async fn two_links_in_one_browser_each_end_on_open_the_link_again_and_go_on_from_it() {
    let h = harness().await;
    let acme = acme_with_drive(&h).await;
    h.add("beta", None, None).await;
    h.run(Command::AddIntegration {
        slug: "beta".into(),
        integration: Integration::GoogleDrive,
    })
    .await;
    let beta = h.link("beta").await;
    let code = |l: &LinkView| link_path(l).rsplit('/').next().unwrap().to_owned();
    let (acme_auth, _) = press(&h, &acme).await;
    // The browser keeps the last link cookie set: beta's.
    let (beta_auth, beta_line) = press(&h, &beta).await;
    let jar = beta_line.split(';').next().unwrap().to_owned();
    let acme_cb = h.consent(&acme_auth, "ann@acme.com", true, None).await;
    let beta_cb = h.consent(&beta_auth, "bo@beta.example", true, None).await;

    let (status, cleared, body) = back_from_google(&h, &acme_cb, Some(&jar)).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<h1>Gmail is connected (1 of 2)</h1>"),
        "{body}"
    );
    assert!(
        body.contains("To connect Google Drive too, open the link you were sent again."),
        "{body}"
    );
    assert!(!body.contains(r#"class="button""#), "{body}");
    assert!(
        !body.contains(&code(&beta)),
        "beta's link on acme's page: {body}"
    );
    assert!(cleared.contains("Max-Age=0"), "{cleared:?}");
    // The cookie is gone: beta's page has no way back either.
    let (status, _, body) = back_from_google(&h, &beta_cb, None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("<h1>Gmail is connected (1 of 2)</h1>"),
        "{body}"
    );
    assert!(
        body.contains("To connect Google Drive too, open the link you were sent again."),
        "{body}"
    );
    assert!(
        !body.contains(&code(&acme)),
        "acme's link on beta's page: {body}"
    );

    // Each link opened again asks for Drive alone, and ends on 2 of 2.
    for (link, email) in [(&acme, "ann@acme.com"), (&beta, "bo@beta.example")] {
        let (auth, line) = press(&h, link).await;
        let scopes = auth.query_pairs().find(|(k, _)| k == "scope").unwrap().1;
        assert!(
            scopes.contains("drive.file") && !scopes.contains("gmail"),
            "{scopes}"
        );
        let pair = line.split(';').next().unwrap().to_owned();
        let cb = h.consent(&auth, email, true, None).await;
        let (status, _, body) = back_from_google(&h, &cb, Some(&pair)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("connected (2 of 2)</h1>"), "{body}");
    }
}

#[tokio::test]
async fn behind_a_path_prefix_the_cookie_and_the_way_back_carry_it() {
    let h = harness_behind_proxy("/onboard").await;
    let link = acme_with_drive(&h).await;
    assert!(link_path(&link).starts_with("/onboard/c/"), "{}", link.url);
    let (auth, line) = press(&h, &link).await;
    assert!(line.contains("Path=/onboard/oauth/callback"), "{line}");
    let pair = line.split(';').next().unwrap().to_owned();
    let cb = h.consent(&auth, "ann@acme.com", true, None).await;
    let (status, _, body) = back_from_google(&h, &cb, Some(&pair)).await;
    assert_eq!(status, 200, "{body}");
    let next = format!(r#"href="{}?lang=en""#, link_path(&link));
    assert!(body.contains(&next), "{body}");
}

/// The company's page after every consent: absent while the link asks for another (the
/// customer's one way on is the next consent), then a link to it, or the browser sent there
/// with `return_redirect`.
#[tokio::test]
async fn the_company_page_takes_the_customer_only_after_the_last_consent() {
    const COMPANY: &str = "https://app.example.com/onboarded";
    for redirect in ["true", "false"] {
        let h = common::harness_with_env(&[
            ("MCP_ONBOARD_RETURN_URL", COMPANY),
            ("MCP_ONBOARD_RETURN_REDIRECT", redirect),
        ])
        .await;
        let link = acme_with_drive(&h).await;
        let (auth, line) = press(&h, &link).await;
        let pair = line.split(';').next().unwrap().to_owned();
        let cb = h.consent(&auth, "ann@acme.com", true, None).await;
        let (status, _, body) = back_from_google(&h, &cb, Some(&pair)).await;
        assert_eq!(status, 200, "not sent away before Drive's consent: {body}");
        assert!(body.contains("Continue with Google Drive</a>"), "{body}");
        assert!(
            !body.contains(COMPANY) && !body.contains(r#"class="next""#),
            "no way to the company's page halfway (redirect {redirect}): {body}"
        );
        let (auth, _) = press(&h, &link).await;
        let cb = h.consent(&auth, "ann@acme.com", true, None).await;
        let page = h.get(&cb).await;
        let company = format!("{COMPANY}?tenant=acme&outcome=connected");
        if redirect == "true" {
            assert_eq!(page.status, 303, "{}", page.body);
            assert_eq!(page.location.as_deref(), Some(company.as_str()));
        } else {
            assert_eq!(page.status, 200, "{}", page.body);
            let next = format!(
                r#"<a class="next" href="{}">"#,
                company.replace('&', "&amp;")
            );
            assert!(page.body.contains(&next), "{}", page.body);
            assert!(
                page.body.contains("connected (2 of 2)</h1>"),
                "{}",
                page.body
            );
        }
    }
}
