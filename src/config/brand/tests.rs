//! `[brand]` as the file and the environment set it, and each value it refuses.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::brand_logo::LogoKind;
use crate::config::{Config, SupportContact};
use crate::http::brand_color::{DEFAULT_ACCENT, Rgb};

fn load(file: Option<&Path>, env: &[(&str, &str)]) -> Result<Config, String> {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Config::load(file, file.is_some(), &|k| env.get(k).cloned()).map_err(|e| e.to_string())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SVG: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>"#;

#[test]
fn the_file_sets_the_brand_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "logo.svg", SVG);
    let file = write(
        dir.path(),
        "config.toml",
        "[brand]\nname = \"Parcel AI\"\nlogo = \"logo.svg\"\naccent_color = \"#FFCC00\"\nsupport_contact = \"help@parcel.example\"\nprivacy_policy_url = \"https://parcel.example/privacy\"\nterms_url = \"https://parcel.example/terms\"\n",
    );
    let cfg = load(Some(&file), &[]).unwrap();
    let b = &cfg.brand;
    assert_eq!(b.name.as_deref(), Some("Parcel AI"));
    assert_eq!(b.google_app(), Some("Parcel AI"), "defaults to the name");
    let logo = b
        .logo
        .as_ref()
        .expect("a logo, found beside the config file");
    assert_eq!((logo.kind, &*logo.bytes), (LogoKind::Svg, SVG.as_bytes()));
    assert_eq!(b.accent, Rgb(0xff, 0xcc, 0x00));
    assert_eq!(
        b.support_contact,
        Some(SupportContact::Email("help@parcel.example".into()))
    );
    assert_eq!(
        b.privacy_policy_url.as_ref().map(|u| u.as_str()),
        Some("https://parcel.example/privacy")
    );
    let cfg = load(
        Some(&file),
        &[
            ("MCP_ONBOARD_BRAND_NAME", "Parcel Inc."),
            ("MCP_ONBOARD_BRAND_GOOGLE_APP_NAME", "Parcel Mail"),
            (
                "MCP_ONBOARD_BRAND_SUPPORT_CONTACT",
                "https://parcel.example/help",
            ),
        ],
    )
    .unwrap();
    assert_eq!(cfg.brand.name.as_deref(), Some("Parcel Inc."));
    assert_eq!(cfg.brand.google_app(), Some("Parcel Mail"));
    assert!(matches!(
        cfg.brand.support_contact,
        Some(SupportContact::Web(_))
    ));
    let none = load(None, &[]).unwrap();
    assert_eq!((none.brand.name, none.brand.accent), (None, DEFAULT_ACCENT));
}

#[test]
fn each_bad_value_is_refused_naming_its_key_and_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let evil = write(
        dir.path(),
        "evil.svg",
        r#"<svg><script>alert(1)</script></svg>"#,
    );
    let gif = write(dir.path(), "logo.gif", "GIF89a....");
    let big = dir.path().join("big.png");
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.resize(300 * 1024, 0);
    std::fs::write(&big, bytes).unwrap();
    let missing = dir.path().join("missing.png");
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "MCP_ONBOARD_BRAND_ACCENT_COLOR",
            "blue".into(),
            "brand.accent_color",
            "#rrggbb",
        ),
        (
            "MCP_ONBOARD_BRAND_LOGO",
            evil.display().to_string(),
            "brand.logo",
            "<script>",
        ),
        (
            "MCP_ONBOARD_BRAND_LOGO",
            gif.display().to_string(),
            "brand.logo",
            "neither a PNG",
        ),
        (
            "MCP_ONBOARD_BRAND_LOGO",
            big.display().to_string(),
            "brand.logo",
            "at most 256 KiB",
        ),
        (
            "MCP_ONBOARD_BRAND_LOGO",
            missing.display().to_string(),
            "brand.logo",
            "cannot read",
        ),
        (
            "MCP_ONBOARD_BRAND_PRIVACY_POLICY_URL",
            "http://parcel.example/privacy".into(),
            "brand.privacy_policy_url",
            "https://",
        ),
        (
            "MCP_ONBOARD_BRAND_TERMS_URL",
            "javascript:alert(1)".into(),
            "brand.terms_url",
            "https://",
        ),
        (
            "MCP_ONBOARD_BRAND_SUPPORT_CONTACT",
            "call us".into(),
            "brand.support_contact",
            "email address",
        ),
        (
            "MCP_ONBOARD_BRAND_SUPPORT_CONTACT",
            "http://parcel.example/help".into(),
            "brand.support_contact",
            "https://",
        ),
        (
            "MCP_ONBOARD_BRAND_NAME",
            "x".repeat(81),
            "brand.name",
            "at most 80",
        ),
        (
            "MCP_ONBOARD_BRAND_GOOGLE_APP_NAME",
            "two\nlines".into(),
            "brand.google_app_name",
            "one line",
        ),
    ];
    for (env, value, key, why) in cases {
        let err = load(None, &[(env, &value)]).expect_err(env);
        assert!(
            err.contains(key) && err.contains(why) && err.contains(env),
            "{env}={value}: {err}"
        );
    }
    let file = write(dir.path(), "c.toml", "[brand]\nnmae = \"typo\"\n");
    let err = load(Some(&file), &[]).unwrap_err();
    assert!(err.contains("unknown field `nmae`"), "{err}");
}

#[test]
fn a_public_listener_needs_the_brand_name_and_says_where_to_set_it() {
    let public = [("MCP_ONBOARD_PUBLIC_URL", "https://onboard.example.com")];
    let cfg = load(None, &public).unwrap();
    let err = cfg.check_for_serving(false).unwrap_err().to_string();
    assert!(
        err.contains("brand.name")
            && err.contains("MCP_ONBOARD_BRAND_NAME")
            && err.contains("[brand]"),
        "{err}"
    );
    assert!(cfg.check_for_serving(true).is_ok(), "the demo has its own");
    let named = load(None, &[public[0], ("MCP_ONBOARD_BRAND_NAME", "Parcel AI")]).unwrap();
    assert!(named.check_for_serving(false).is_ok());
    let local = load(None, &[]).unwrap();
    assert!(
        local.check_for_serving(false).is_ok(),
        "loopback: a developer's own"
    );
}
