//! Pure update tests for the keys on the selected tenant (`c` copies its MCP URL, `[`/`]`
//! scroll its timeline, `r` on a declined tenant), the attached console's set-up panel from
//! its owner's status, and the keymap listing the new keys.

use crossterm::event::KeyCode;

use super::*;
use crate::domain::model::{EventKind, FailureKind, ProvisionStep};
use crate::engine::api::EventView;
use crate::tui::commands::{self, Scope};
use crate::tui::layout;
use crate::tui::update::set_rows;

const URL: &str = "https://run.blaxel.ai/ws/functions/gmail-mcp-t000/mcp";

/// `t000` deployed with its MCP URL and a timeline of `events` entries, `t001` created.
fn deployed(events: usize) -> Model {
    let mut m = loaded(2);
    let mut rows = m.table.rows.clone();
    rows[0].status = TenantStatus::Deployed;
    rows[0].mcp_url = Some(URL.into());
    set_rows(&mut m, rows);
    let mut d = view("t000", TenantStatus::Deployed);
    d.mcp_url = Some(URL.into());
    d.events = (0..events)
        .map(|i| EventView {
            seq: i as u64,
            at: format!("2026-12-01T00:{:02}:00Z", i % 60),
            kind: EventKind::TenantAdded,
            detail: format!("entry {i}"),
            status: None,
            integration: None,
        })
        .collect();
    m.detail.view = Some(d);
    m
}

#[test]
fn c_copies_the_selected_tenants_whole_mcp_url_and_says_when_there_is_none() {
    let mut m = deployed(1);
    let fx = update(&mut m, key('c'));
    assert_eq!(
        fx,
        vec![Effect::Copy {
            text: URL.into(),
            what: "the MCP URL of t000".into()
        }]
    );
    update(&mut m, key('j'));
    let fx = update(&mut m, key('c'));
    assert!(
        fx.iter().all(|e| !matches!(e, Effect::Copy { .. })),
        "{fx:?}"
    );
    assert_eq!(
        flashed(&m),
        (
            Level::Info,
            "t001 has no MCP URL yet: it comes once its server is deployed"
        )
    );
}

#[test]
fn brackets_scroll_the_timeline_back_to_its_first_entry_and_on_again() {
    let mut m = deployed(30);
    let max = layout::timeline_max_back(&m);
    assert!(max > 0 && max < 30, "{max}");
    for _ in 0..100 {
        assert!(update(&mut m, key('[')).is_empty());
    }
    assert_eq!(
        m.detail.timeline_back,
        Some(("t000".into(), max)),
        "no further back"
    );
    update(&mut m, key(']'));
    assert_eq!(m.detail.timeline_back, Some(("t000".into(), max - 1)));
    for _ in 0..100 {
        update(&mut m, key(']'));
    }
    assert_eq!(
        m.detail.timeline_back,
        Some(("t000".into(), 0)),
        "no further on"
    );
    // The scroll belongs to its tenant: another one starts at its newest entry.
    update(&mut m, key('['));
    update(&mut m, key('j'));
    assert_eq!(m.mcp_url(), None);
    assert_ne!(
        m.detail.timeline_back.as_ref().map(|(s, _)| s.as_str()),
        Some("t001")
    );
}

#[test]
fn a_timeline_that_fits_says_so_instead_of_scrolling() {
    let mut m = deployed(2);
    assert_eq!(layout::timeline_max_back(&m), 0);
    update(&mut m, key('['));
    assert_eq!(m.detail.timeline_back, Some(("t000".into(), 0)));
    assert_eq!(
        flashed(&m),
        (Level::Info, "t000's whole timeline is in view")
    );
}

/// `t000` declined at Google (stored `failed`, consent_denied, no job), its link active.
fn declined() -> Model {
    let mut m = loaded(2);
    let mut rows = m.table.rows.clone();
    rows[0].status = TenantStatus::Failed;
    rows[0].failure = Some(FailureKind::ConsentDenied);
    rows[0].reason = Some("the customer declined access at Google (access_denied)".into());
    set_rows(&mut m, rows);
    let mut d: TenantView = view("t000", TenantStatus::Failed);
    d.failure = Some(FailureKind::ConsentDenied);
    d.links = vec![LinkSummary {
        id: "ab12cd34".into(),
        tenant: "t000".into(),
        created_at: String::new(),
        expires_at: String::new(),
        // 1970-01-02 00:01 UTC, well after the model's now.
        expires_ms: 86_460_000,
        state: LinkState::Active,
        opened_at: None,
        open_count: 1,
        continue_count: 1,
    }];
    m.detail.view = Some(d);
    m
}

#[test]
fn r_on_a_declined_tenant_says_their_link_still_works_and_asks_nothing() {
    let mut m = declined();
    let fx = update(&mut m, key('r'));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert_eq!(
        flashed(&m),
        (
            Level::Info,
            "tenant t000 declined at Google: nothing to retry; their link works until \
             1970-01-02 00:01 UTC; n issues a new one"
        )
    );
    // The palette's `:retry` tells the same story.
    m.flash = None;
    update(&mut m, key(':'));
    for c in "retry t000".chars() {
        update(&mut m, key(c));
    }
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert!(flashed(&m).1.contains("their link works until"));
}

/// What the engine answers to a retry of `slug` declined at Google, its link still active.
fn engine_refusal(slug: &str) -> Option<Result<Reply, ApiError>> {
    refused(
        crate::engine::ErrorCode::Conflict,
        &format!(
            "tenant {slug} declined at Google: nothing to retry; their link works until \
             1970-01-02 00:01 UTC; `mcp-onboard link {slug}` issues a new one"
        ),
    )
}

/// `t001` declined too, with no detail of it held yet.
fn declined_unread() -> Model {
    let mut m = declined();
    let mut rows = m.table.rows.clone();
    rows[1].status = TenantStatus::Failed;
    rows[1].failure = Some(FailureKind::ConsentDenied);
    set_rows(&mut m, rows);
    m
}

#[test]
fn r_right_after_moving_to_a_declined_tenant_lets_the_engine_say_until_when_its_link_works() {
    let mut m = declined_unread();
    // Its detail is asked for, not in yet.
    let shown = update(&mut m, key('j'));
    assert_eq!(shows(&shown), vec!["t001"]);
    let fx = update(&mut m, key('r'));
    assert!(
        matches!(calls(&fx)[..], [Command::Retry { slug }] if slug == "t001"),
        "{fx:?}"
    );
    assert!(
        m.flash
            .as_ref()
            .is_none_or(|f| !f.text.contains("no active link")),
        "{:?}",
        m.flash
    );
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Retry { .. })
            .then(|| engine_refusal("t001"))
            .flatten()
    });
    assert_eq!(
        flashed(&m),
        (
            Level::Info,
            "tenant t001 declined at Google: nothing to retry; their link works until \
             1970-01-02 00:01 UTC; n issues a new one"
        )
    );
}

#[test]
fn retry_typed_for_a_declined_tenant_not_selected_asks_the_engine_too() {
    let mut m = declined_unread();
    typed(&mut m, ":retry t001");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        calls(&fx)
            .iter()
            .any(|c| matches!(c, Command::Retry { slug } if slug == "t001")),
        "{fx:?}"
    );
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Retry { .. })
            .then(|| engine_refusal("t001"))
            .flatten()
    });
    let (level, text) = flashed(&m);
    assert_eq!(level, Level::Info);
    assert!(text.ends_with("their link works until 1970-01-02 00:01 UTC; n issues a new one"));
    // Any other refusal is said as the engine says it.
    let fx = update(&mut m, key('r'));
    answer(&mut m, &fx, |_| {
        refused(crate::engine::ErrorCode::Unavailable, "the store is closed")
    });
    assert_eq!(flashed(&m), (Level::Error, "✖ the store is closed"));
}

#[test]
fn r_on_stopped_provisioning_still_asks_the_engine() {
    let mut m = loaded(1);
    let mut rows = m.table.rows.clone();
    rows[0].status = TenantStatus::Failed;
    rows[0].step = Some(ProvisionStep::Stopped);
    set_rows(&mut m, rows);
    let fx = update(&mut m, key('r'));
    assert!(matches!(calls(&fx)[..], [Command::Retry { slug }] if slug == "t000"));
}

fn attached_console() -> Model {
    let mut m = Model::new(setup(attached(7)), Theme { color: true }, 0);
    m.size = (80, 24);
    m
}

fn owner_status(setup: Vec<SetupLine>) -> Reply {
    let mut s = status_with(0, 0);
    s.public_url = "https://owner.example.com/".into();
    s.setup = setup;
    Reply::Status(Box::new(s))
}

fn line(ok: bool, what: &str) -> SetupLine {
    SetupLine {
        ok,
        what: what.into(),
        detail: if ok { "set" } else { "missing" }.into(),
    }
}

#[test]
fn an_attached_console_shows_its_owners_set_up_not_its_own() {
    // Fully set up owner: the console opens on the tenants, whatever its own config.
    let mut m = attached_console();
    assert!(matches!(&m.mode, Mode::Table));
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(|| Ok(owner_status(vec![line(true, "google client")])))
    });
    assert!(matches!(&m.mode, Mode::Table));
    assert_eq!(m.setup.public_url, "https://owner.example.com/");
    assert_eq!(m.setup.problems, vec![line(true, "google client")]);

    // An owner missing its Google client: the panel says so, once.
    let mut m = attached_console();
    let fx = update(&mut m, Msg::Start);
    let missing = || Some(Ok(owner_status(vec![line(false, "google client")])));
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(missing).flatten()
    });
    assert!(matches!(&m.mode, Mode::Setup));
    update(&mut m, code(KeyCode::Enter));
    assert!(matches!(&m.mode, Mode::Table));
    let fx = update(&mut m, Msg::Tick(60_000));
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(missing).flatten()
    });
    assert!(matches!(&m.mode, Mode::Table), "not pushed again");
}

#[test]
fn an_owning_console_keeps_the_panel_it_started_with() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(|| Ok(owner_status(vec![line(false, "blaxel")])))
    });
    assert!(matches!(&m.mode, Mode::Table));
    assert!(m.setup.problems.is_empty());
}

#[test]
fn the_new_keys_are_in_the_hints_and_the_help() {
    let hints = commands::hints(Scope::Table);
    for (k, word) in [("c", "copy URL"), ("[", "timeline")] {
        assert!(hints.iter().any(|h| h.key == k && h.word == word), "{k}");
    }
    let help = commands::help(Scope::Table);
    for k in ["c", "[", "]"] {
        assert!(help.iter().any(|l| l.keys == k), "{k} in the help");
    }
}

#[test]
fn a_status_from_an_owner_of_before_still_reads_with_no_set_up() {
    let mut v = serde_json::to_value(status_with(0, 0)).unwrap();
    assert!(v.get("setup").is_none(), "an empty set-up is not sent");
    v["setup"] = serde_json::json!([{"ok": false, "what": "blaxel", "detail": "missing"}]);
    let with: crate::engine::api::StatusView = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(with.setup, vec![line(false, "blaxel")]);
    v.as_object_mut().unwrap().remove("setup");
    let old: crate::engine::api::StatusView = serde_json::from_value(v).unwrap();
    assert!(old.setup.is_empty());
    // Attached to such an owner, the console has nothing to say about the set-up.
    let mut m = attached_console();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(|| Ok(Reply::Status(Box::new(old.clone()))))
    });
    assert!(matches!(&m.mode, Mode::Table));
    assert!(m.setup.problems.is_empty());
}
