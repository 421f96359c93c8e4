//! A tenant's language from the command line: set with `tenant add/edit --lang`, checked
//! against the supported languages and shown by `tenant show/list --json`; its links carry
//! no language (the page reads the tenant's as it is when opened).

mod support_proc;

use support_proc::*;

#[test]
fn a_tenants_language_is_checked_stored_and_shown_and_not_written_into_its_links() {
    let w = World::new();
    let out = w.run(&[
        "tenant", "add", "acme", "--name", "Acme Ltd", "--lang", "it",
    ]);
    assert!(!out.ok());
    assert!(
        out.stderr
            .contains(r#"unsupported language "it": use one of en, de, fr, es, pt-BR, ja"#),
        "{}",
        out.stderr
    );
    w.ok(&[
        "tenant", "add", "acme", "--name", "Acme Ltd", "--lang", "pt-br",
    ]);
    assert_eq!(
        w.tenant("acme")["lang"],
        "pt-BR",
        "kept as the list spells it"
    );
    let list = w.json(&["tenant", "list"]);
    let row = list
        .as_array()
        .and_then(|t| t.iter().find(|t| t["slug"] == "acme"))
        .cloned()
        .unwrap_or_else(|| panic!("acme listed: {list:#}"));
    assert_eq!(row["lang"], "pt-BR");
    let link = w.json(&["link", "acme"]);
    let url = link["url"].as_str().expect("a URL");
    assert!(!url.contains("lang="), "{url}");

    let out = w.ok(&["tenant", "edit", "acme", "--lang", "ja"]);
    assert!(out.contains("language ja"), "{out}");
    assert_eq!(w.tenant("acme")["lang"], "ja");
    w.ok(&["tenant", "edit", "acme", "--lang", ""]);
    assert!(
        w.tenant("acme").get("lang").is_none(),
        "{:#}",
        w.tenant("acme")
    );
    let link = w.json(&["link", "acme"]);
    assert!(!link["url"].as_str().expect("a URL").contains("lang="));
}
