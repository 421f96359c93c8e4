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

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("a folder") {
        let e = e.expect("an entry");
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            for f in files_under(&e.path()) {
                out.push(format!("{name}/{f}"));
            }
        } else {
            out.push(name);
        }
    }
    out.sort();
    out
}

#[test]
fn pages_preview_writes_every_page_in_every_language_with_the_brand_and_creates_no_database() {
    let mut w = World::new();
    real(&mut w);
    let logo = w.tmp.path().join("logo.svg");
    std::fs::write(
        &logo,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"/>"#,
    )
    .expect("a logo");
    w.env
        .push(("MCP_ONBOARD_BRAND_NAME".into(), "Parcel AI".into()));
    w.env
        .push(("MCP_ONBOARD_BRAND_LOGO".into(), logo.display().to_string()));
    let out = w.tmp.path().join("preview");
    let dir = out.display().to_string();
    let printed = w.ok(&["pages", "preview", "--out", &dir]);
    assert!(
        printed.contains("wrote 210 pages (35 kinds in en, de, fr, es, pt-BR, ja)"),
        "{printed}"
    );
    assert!(printed.contains("index.html"), "{printed}");
    let files = files_under(&out);
    assert_eq!(files.len(), 210 + 2, "{files:?}");
    assert!(files.contains(&"logo.svg".to_owned()) && files.contains(&"index.html".to_owned()));
    // The pages of one link asking several consents are there to look at too.
    let step = std::fs::read_to_string(out.join("en/connected-1-of-2.html")).expect("1 of 2");
    assert!(step.contains("Continue with Google Drive</a>"), "{step}");
    let ja = std::fs::read_to_string(out.join("ja/ask.html")).expect("the ask page in Japanese");
    assert!(ja.contains(r#"<html lang="ja">"#));
    assert!(ja.contains("Parcel AI"), "{ja}");
    assert!(
        ja.contains(r#"<img src="../logo.svg" alt="">"#),
        "offline, beside it: {ja}"
    );
    assert!(
        !w.data_dir().exists(),
        "a preview creates no data dir: {}",
        w.data_dir().display()
    );
    // Again into the same folder (an earlier preview): fine, one language only.
    let printed = w.ok(&["pages", "preview", "--lang", "de", "--out", &dir]);
    assert!(
        printed.contains("wrote 35 pages (35 kinds in de)"),
        "{printed}"
    );
}

#[test]
fn pages_preview_refuses_a_folder_of_other_files_a_missing_parent_and_a_bad_language() {
    let mut w = World::new();
    real(&mut w);
    let busy = w.tmp.path().join("busy");
    std::fs::create_dir(&busy).expect("a folder");
    std::fs::write(busy.join("notes.txt"), "mine").expect("a file");
    let out = w.run(&["pages", "preview", "--out", &busy.display().to_string()]);
    assert!(!out.ok());
    assert!(
        out.stderr
            .contains("holds other files than a preview (such as notes.txt)"),
        "{}",
        out.stderr
    );
    assert_eq!(files_under(&busy), ["notes.txt"], "nothing written");
    let deep = w.tmp.path().join("no/such/preview");
    let out = w.run(&["pages", "preview", "--out", &deep.display().to_string()]);
    assert!(!out.ok());
    assert!(out.stderr.contains("does not exist"), "{}", out.stderr);
    let fresh = w.tmp.path().join("fresh").display().to_string();
    let out = w.run(&["pages", "preview", "--lang", "it", "--out", &fresh]);
    assert!(
        out.stderr.contains("unsupported language \"it\""),
        "{}",
        out.stderr
    );
    let out = w.run(&["pages", "preview", "--tenant", "acme", "--out", &fresh]);
    assert!(!out.ok(), "no database to read the tenant from");
    assert!(!w.data_dir().exists(), "and none made");
}

#[test]
fn pages_preview_of_a_tenant_shows_its_name_in_its_language() {
    let w = World::new();
    w.ok(&[
        "tenant",
        "add",
        "acme",
        "--name",
        "Acme SARL",
        "--lang",
        "fr",
    ]);
    let out = w.tmp.path().join("acme-pages");
    let printed = w.ok(&[
        "pages",
        "preview",
        "--tenant",
        "acme",
        "--out",
        &out.display().to_string(),
    ]);
    assert!(
        printed.contains("(35 kinds in fr) for Acme SARL"),
        "{printed}"
    );
    let ask = std::fs::read_to_string(out.join("fr/ask.html")).expect("the French ask page");
    assert!(ask.contains("pour Acme SARL"), "{ask}");
    assert!(ask.contains("Demo Company"), "the demo's brand: {ask}");
    assert!(!out.join("en").exists());
}
