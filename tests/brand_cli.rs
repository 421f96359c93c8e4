//! The brand from the operator's side: `serve` refuses a public listener without the
//! brand's name, `config check` reports the brand, and `pages preview` writes every page
//! as the customer sees it.

mod support_proc;

use support_proc::*;

fn real(w: &mut World) {
    w.demo = false;
    w.env.push((
        "MCP_ONBOARD_KEY".into(),
        "a-test-key-of-some-length-0123456789".into(),
    ));
}

#[test]
fn serve_with_a_public_url_refuses_to_start_without_the_brand_name() {
    let mut w = World::new();
    real(&mut w);
    w.env.push((
        "MCP_ONBOARD_PUBLIC_URL".into(),
        "https://onboard.example.com".into(),
    ));
    let out = w.run(&["serve"]);
    assert!(!out.ok(), "{}", out.stdout);
    assert!(
        out.stderr.contains("missing brand.name")
            && out.stderr.contains("MCP_ONBOARD_BRAND_NAME")
            && out.stderr.contains("[brand]"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("serving"), "{}", out.stdout);
}

#[test]
fn config_check_reports_the_brand_and_what_it_lacks() {
    let mut w = World::new();
    real(&mut w);
    w.env.push((
        "MCP_ONBOARD_PUBLIC_URL".into(),
        "https://onboard.example.com".into(),
    ));
    let out = w.run(&["config", "check"]);
    assert!(
        out.stdout
            .contains("brand:        PROBLEM: missing brand.name"),
        "{}",
        out.stdout
    );
    assert!(out.stderr.contains("brand.name"), "{}", out.stderr);
    w.env
        .push(("MCP_ONBOARD_BRAND_NAME".into(), "Parcel AI".into()));
    w.env.push((
        "MCP_ONBOARD_BRAND_GOOGLE_APP_NAME".into(),
        "Parcel Mail".into(),
    ));
    w.env.push((
        "MCP_ONBOARD_BRAND_SUPPORT_CONTACT".into(),
        "help@parcel.example".into(),
    ));
    let out = w.run(&["config", "check"]);
    assert!(
        out.stdout.contains(
            "brand:        Parcel AI (at Google: Parcel Mail); accent #1a66d2 (button text #ffffff); support help@parcel.example"
        ),
        "{}",
        out.stdout
    );
    let out = w.run(&["--json", "config", "check"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["brand"]["name"], "Parcel AI");
    assert_eq!(v["brand"]["google_app_name"], "Parcel Mail");
    assert_eq!(v["brand"]["ok"], true);
}
