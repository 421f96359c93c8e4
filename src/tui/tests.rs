//! Pure update tests: a message in, the model and the effects out. No terminal, no engine.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::{ConfirmAction, Effect, Mode, Model, Msg, Screen, Setup};
use super::style::Group;
use super::style::Theme;
use super::update::{FIRST_PAGE, PAGE, update};
use crate::domain::lifecycle::NewTenant;
use crate::domain::model::{ProvisionerState, TenantStatus};
use crate::engine::api::{
    Command, LinkView, ListQuery, Reply, SortKey, StatusView, TenantSummary, TenantView,
};
use crate::engine::{ApiError, ErrorCode, Event, EventBody, Item};

pub fn setup(mode: Mode) -> Setup {
    Setup {
        mode,
        public_url: "https://onboard.example.com/".into(),
        redirect_uri: "https://onboard.example.com/oauth/callback".into(),
        data_dir: "/var/lib/mcp-onboard".into(),
        message_template: crate::message::template(None),
        problems: Vec::new(),
    }
}

pub fn summary(slug: &str, status: TenantStatus, updated_ms: i64) -> TenantSummary {
    TenantSummary {
        slug: slug.into(),
        display_name: format!("{slug} Ltd"),
        status,
        failure: None,
        reason: None,
        google_email: status.has_consent().then(|| format!("it@{slug}.example")),
        expected_account: None,
        step: None,
        blaxel_status: None,
        mcp_url: None,
        updated_at: "2026-12-01T00:00:00Z".into(),
        updated_ms,
    }
}

pub(super) fn model() -> Model {
    let mut m = Model::new(setup(Mode::Owner), Theme { color: true }, 1_000_000);
    m.size = (80, 24);
    m
}

pub(super) fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(m: &mut Model, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(m, key(c))).collect()
}

/// Answer every call in `fx` that matches; returns the ids left.
pub(super) fn answer(
    m: &mut Model,
    fx: &[Effect],
    f: impl Fn(&Command) -> Option<Result<Reply, ApiError>>,
) -> Vec<Effect> {
    let mut out = Vec::new();
    for e in fx {
        if let Effect::Call { id, command } = e
            && let Some(result) = f(command)
        {
            out.extend(update(m, Msg::Reply { id: *id, result }));
        }
    }
    out
}

pub(super) fn calls(fx: &[Effect]) -> Vec<&Command> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Call { command, .. } => Some(command),
            _ => None,
        })
        .collect()
}

pub(super) fn view(slug: &str, status: TenantStatus) -> TenantView {
    TenantView {
        summary: TenantSummary {
            slug: slug.into(),
            display_name: format!("{slug} Ltd"),
            status,
            failure: None,
            reason: None,
            google_email: None,
            expected_account: None,
            step: None,
            blaxel_status: None,
            mcp_url: None,
            updated_at: "2026-12-01T00:00:00Z".into(),
            updated_ms: 0,
        },
        contact: None,
        integration: Default::default(),
        requested_scopes: vec![],
        granted_scopes: vec![],
        google_sub: None,
        consented_at: None,
        created_at: "2026-12-01T00:00:00Z".into(),
        provisioning: None,
        links: vec![],
        events: vec![],
        refused_signins: 0,
        token: None,
        pending_consent: None,
        return_url: None,
    }
}

/// What the engine answers to a list query over `rows` (sorted by slug): after, limit.
fn page_of(rows: &[TenantSummary], q: &ListQuery) -> Reply {
    let from = q
        .after
        .as_ref()
        .map_or(0, |a| rows.partition_point(|r| r.slug <= *a));
    let tenants: Vec<_> = rows[from..]
        .iter()
        .take(q.limit.unwrap_or(usize::MAX))
        .cloned()
        .collect();
    Reply::Tenants {
        tenants,
        total: rows.len(),
    }
}

/// Answer list pages from `rows` until the load is done; the other effects are returned.
fn serve_pages(m: &mut Model, mut fx: Vec<Effect>, rows: &[TenantSummary]) -> Vec<Effect> {
    let mut rest = Vec::new();
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            match e {
                Effect::Call {
                    id,
                    command: Command::ListTenants { query },
                } => next.extend(update(
                    m,
                    Msg::Reply {
                        id,
                        result: Ok(page_of(rows, &query)),
                    },
                )),
                other => rest.push(other),
            }
        }
        fx = next;
    }
    rest
}

/// A model holding `n` tenants, the first one's detail shown.
pub(super) fn loaded(n: usize) -> Model {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let rows: Vec<TenantSummary> = (0..n)
        .map(|i| summary(&format!("t{i:03}"), TenantStatus::Created, i as i64))
        .collect();
    let fx = serve_pages(&mut m, fx, &rows);
    answer(&mut m, &fx, |c| match c {
        Command::ShowTenant { slug } => Some(Ok(Reply::Tenant(Box::new(view(
            slug,
            TenantStatus::Created,
        ))))),
        _ => None,
    });
    m
}

#[test]
fn start_asks_for_status_and_a_first_page_then_the_rest_page_by_page() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let c = calls(&fx);
    assert_eq!(c.len(), 2);
    assert!(matches!(c[0], Command::Status));
    assert!(matches!(c[1], Command::ListTenants { query }
        if query.limit == Some(FIRST_PAGE) && query.after.is_none()));
    let rows: Vec<TenantSummary> = (0..FIRST_PAGE + PAGE + 7)
        .map(|i| summary(&format!("t{i:05}"), TenantStatus::Created, 0))
        .collect();
    // The first page is drawn at once, and the next is asked for after its last slug.
    let Effect::Call {
        id,
        command: Command::ListTenants { query },
    } = &fx[1]
    else {
        panic!("{fx:?}")
    };
    let fx = update(
        &mut m,
        Msg::Reply {
            id: *id,
            result: Ok(page_of(&rows, query)),
        },
    );
    assert_eq!(m.rows.len(), FIRST_PAGE);
    assert!(!m.loaded);
    let next: Vec<_> = calls(&fx)
        .into_iter()
        .filter_map(|c| match c {
            Command::ListTenants { query } => Some(query.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].limit, Some(PAGE));
    assert_eq!(
        next[0].after.as_deref(),
        Some(rows[FIRST_PAGE - 1].slug.as_str())
    );
    serve_pages(&mut m, fx, &rows);
    assert!(m.loaded && m.loading.is_none());
    assert_eq!(m.rows.len(), rows.len());
    assert_eq!(m.visible.len(), rows.len());
    assert_eq!(m.counts(), vec![(Group::Customer, rows.len())]);
}

#[test]
fn events_during_a_load_win_over_the_pages_that_come_after_them() {
    let mut m = model();
    let rows: Vec<TenantSummary> = (0..FIRST_PAGE + 50)
        .map(|i| summary(&format!("t{i:05}"), TenantStatus::Created, 0))
        .collect();
    let fx = update(&mut m, Msg::Start);
    let first = fx
        .iter()
        .find_map(|e| match e {
            Effect::Call {
                id,
                command: Command::ListTenants { query },
            } => Some((*id, query.clone())),
            _ => None,
        })
        .unwrap();
    let fx = update(
        &mut m,
        Msg::Reply {
            id: first.0,
            result: Ok(page_of(&rows, &first.1)),
        },
    );
    // While the second page is out: one tenant on it is deployed, one removed, one added.
    let changed = |slug: &str, st| {
        event(
            1,
            EventBody::TenantChanged {
                slug: slug.into(),
                status: st,
                summary: Some(summary(slug, st, 5)),
                entry: None,
            },
        )
    };
    update(&mut m, changed("t00220", TenantStatus::Deployed));
    update(&mut m, changed("zz-new", TenantStatus::Created));
    update(
        &mut m,
        event(
            2,
            EventBody::TenantRemoved {
                slug: "t00230".into(),
            },
        ),
    );
    // The page was read before those changes: it still has the old versions.
    serve_pages(&mut m, fx, &rows);
    assert!(m.loaded);
    assert_eq!(m.rows.len(), rows.len(), "one added, one removed");
    let get = |slug: &str| m.rows.iter().find(|r| r.slug == slug).map(|r| r.status);
    assert_eq!(get("t00220"), Some(TenantStatus::Deployed));
    assert_eq!(get("t00230"), None);
    assert_eq!(get("zz-new"), Some(TenantStatus::Created));
    assert_eq!(
        m.counts(),
        vec![(Group::Deployed, 1), (Group::Customer, rows.len() - 1)]
    );
}

#[test]
fn a_page_of_a_load_started_over_is_dropped() {
    let mut m = model();
    let rows: Vec<TenantSummary> = (0..10)
        .map(|i| summary(&format!("t{i}"), TenantStatus::Created, 0))
        .collect();
    let old = update(&mut m, Msg::Start);
    // The stream lagged: the console loads again before the first answer is in.
    let again = update(&mut m, Msg::Engine(Item::Lagged { missed: 9 }));
    let stale: Vec<TenantSummary> = rows[..3].to_vec();
    for e in &old {
        if let Effect::Call {
            id,
            command: Command::ListTenants { .. },
        } = e
        {
            update(
                &mut m,
                Msg::Reply {
                    id: *id,
                    result: Ok(Reply::Tenants {
                        tenants: stale.clone(),
                        total: 3,
                    }),
                },
            );
        }
    }
    assert!(
        !m.loaded,
        "the old load's answer does not finish the new one"
    );
    serve_pages(&mut m, again, &rows);
    assert!(m.loaded);
    assert_eq!(m.rows.len(), 10);
}

#[test]
fn moving_the_selection_asks_for_that_tenants_detail_and_pages_by_the_table() {
    let mut m = loaded(100);
    let fx = update(&mut m, code(KeyCode::Down));
    assert_eq!(m.selected, 1);
    assert!(matches!(calls(&fx)[..], [Command::ShowTenant { slug }] if slug == "t001"));
    // Another move while that request runs: remembered, asked once the answer is in.
    let fx2 = update(&mut m, key('j'));
    assert!(calls(&fx2).is_empty());
    assert_eq!(m.detail_wanted.as_deref(), Some("t002"));
    let fx3 = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t001",
            TenantStatus::Created,
        )))))
    });
    assert!(matches!(calls(&fx3)[..], [Command::ShowTenant { slug }] if slug == "t002"));
    update(&mut m, code(KeyCode::PageDown));
    assert_eq!(m.selected, 2 + m.table_rows());
    update(&mut m, key('G'));
    assert_eq!(m.selected, 99);
    assert!(m.scroll + m.table_rows() > 99, "the last row is in view");
    update(&mut m, key('g'));
    assert_eq!((m.selected, m.scroll), (0, 0));
}

#[test]
fn the_filter_narrows_live_and_esc_clears_it() {
    let mut m = loaded(30);
    update(&mut m, key('/'));
    assert!(m.filtering);
    typed(&mut m, "t01");
    assert_eq!(m.visible.len(), 10);
    update(&mut m, code(KeyCode::Enter));
    assert!(!m.filtering);
    assert_eq!(m.visible.len(), 10, "the filter stays after enter");
    update(&mut m, code(KeyCode::Esc));
    assert_eq!(m.visible.len(), 30);
    update(&mut m, key('/'));
    update(&mut m, Msg::Paste("t02\u{1b}[2J\nnext line".into()));
    assert_eq!(
        m.filter.value(),
        "t02[2J",
        "one line, no control characters"
    );
}

#[test]
fn sort_cycles_and_keeps_the_selected_tenant() {
    let mut m = loaded(5);
    m.rows[3].status = TenantStatus::Failed;
    update(&mut m, key('j'));
    update(&mut m, key('j'));
    let slug = m.selected_slug();
    update(&mut m, key('s'));
    assert_eq!(m.sort, SortKey::Status);
    assert_eq!(m.selected_slug(), slug);
    assert_eq!(m.rows.last().unwrap().status, TenantStatus::Failed);
    update(&mut m, key('s'));
    assert_eq!(m.sort, SortKey::Changed);
    assert_eq!(m.rows[0].slug, "t004", "most recent change first");
}

#[test]
fn the_add_form_validates_inline_and_submits_a_tenant_then_its_link() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    assert!(matches!(m.screen(), Screen::Form(_)));
    typed(&mut m, "Bad-");
    let Screen::Form(f) = m.screen() else {
        panic!()
    };
    assert!(
        f.fields[0]
            .error
            .as_deref()
            .unwrap()
            .contains("invalid slug")
    );
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(calls(&fx).is_empty(), "refused while a field is wrong");
    let Screen::Form(f) = m.screen() else {
        panic!()
    };
    assert!(f.error.is_some());
    for _ in 0..4 {
        update(&mut m, code(KeyCode::Backspace));
    }
    typed(&mut m, "beta");
    update(&mut m, code(KeyCode::Tab));
    typed(&mut m, "Beta Corp");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Tab));
    typed(&mut m, "not-an-email");
    let Screen::Form(f) = m.screen() else {
        panic!()
    };
    assert!(f.fields[3].error.is_some());
    for _ in 0.."not-an-email".len() {
        update(&mut m, code(KeyCode::Backspace));
    }
    typed(&mut m, "ops@beta.io");
    let fx = update(&mut m, code(KeyCode::Enter));
    let c = calls(&fx);
    let Command::AddTenant(NewTenant {
        slug,
        display_name,
        expected_email,
        ..
    }) = c[0]
    else {
        panic!("{c:?}")
    };
    assert_eq!(
        (
            slug.as_str(),
            display_name.as_deref(),
            expected_email.as_deref()
        ),
        ("beta", Some("Beta Corp"), Some("ops@beta.io"))
    );
    let fx = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "beta",
            TenantStatus::Created,
        )))))
    });
    assert!(!matches!(m.screen(), Screen::Form(_)), "the form closes");
    assert_eq!(m.selected_slug().as_deref(), Some("beta"));
    let link = calls(&fx).into_iter().find_map(|c| match c {
        Command::IssueLink { slug, ttl_secs, .. } => Some((slug.clone(), *ttl_secs)),
        _ => None,
    });
    assert_eq!(
        link,
        Some(("beta".into(), 7 * 24 * 3600)),
        "the default lifetime"
    );
}

#[test]
fn a_refused_add_keeps_the_form_and_says_why() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "t000");
    let fx = update(&mut m, code(KeyCode::Enter));
    answer(&mut m, &fx, |_| {
        Some(Err(ApiError::new(
            ErrorCode::Conflict,
            "a tenant \"t000\" already exists",
        )))
    });
    let Screen::Form(f) = m.screen() else {
        panic!("the form stays")
    };
    assert!(f.error.as_deref().unwrap().contains("already exists"));
}

#[test]
fn edit_starts_from_the_tenant_and_sends_what_changed() {
    let mut m = loaded(2);
    update(&mut m, key('e'));
    let Screen::Form(f) = m.screen() else {
        panic!()
    };
    assert_eq!(f.fields[0].input.value(), "t000 Ltd");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Tab));
    typed(&mut m, "ann@acme.com");
    let fx = update(&mut m, code(KeyCode::Enter));
    let c = calls(&fx);
    let Command::EditTenant { slug, edit } = c[0] else {
        panic!("{c:?}")
    };
    assert_eq!(slug, "t000");
    assert_eq!(edit.expected_email.as_deref(), Some("ann@acme.com"));
    assert!(!edit.any_account);
}

fn link_view(slug: &str) -> LinkView {
    LinkView {
        slug: slug.into(),
        url: "https://onboard.example.com/c/AAAAAAAAAAAAAAAAAAAAAA".into(),
        id: "ab12cd34".into(),
        expires_at: "2026-12-08T00:00:00Z".into(),
        expires_ms: 1_000_000 + 7 * 86_400_000,
        ..Default::default()
    }
}

#[test]
fn a_new_link_opens_the_link_view_where_it_can_be_copied_and_exported() {
    let mut m = loaded(3);
    let fx = update(&mut m, key('n'));
    assert!(matches!(calls(&fx)[..], [Command::IssueLink { slug, .. }] if slug == "t000"));
    answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t000"));
    let fx = update(&mut m, key('c'));
    assert_eq!(
        fx,
        vec![Effect::Copy {
            text: link_view("t000").url,
            what: "the link".into()
        }]
    );
    let fx = update(&mut m, key('t'));
    let [Effect::Copy { text, .. }] = &fx[..] else {
        panic!("{fx:?}")
    };
    assert!(
        text.contains(&link_view("t000").url)
            && text.contains("t000 Ltd")
            && text.contains("December 2026")
            && !text.contains("2026-12-08T"),
        "the expiry as a person reads it: {text}"
    );
    let fx = update(&mut m, key('e'));
    assert_eq!(
        fx,
        vec![Effect::Export {
            data_dir: "/var/lib/mcp-onboard".into(),
            name: "t000-ab12cd34".into(),
            url: link_view("t000").url
        }]
    );
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.screen(), Screen::Tenants));
}

#[test]
fn the_link_view_without_a_link_offers_a_new_one() {
    let mut m = loaded(1);
    update(&mut m, code(KeyCode::Enter));
    assert!(matches!(m.screen(), Screen::Link(_)));
    let fx = update(&mut m, key('c'));
    assert!(fx.is_empty());
    assert!(m.flash.as_ref().unwrap().text.contains("press n"));
}

#[test]
fn withdrawing_asks_first() {
    let mut m = loaded(2);
    let fx = update(&mut m, key('w'));
    assert!(fx.is_empty());
    assert!(matches!(&m.confirm, Some(c) if c.action == ConfirmAction::Withdraw("t000".into())));
    update(&mut m, key('n'));
    assert!(m.confirm.is_none());
    update(&mut m, key('w'));
    let fx = update(&mut m, key('y'));
    assert!(matches!(calls(&fx)[..], [Command::RevokeLinks { slug }] if slug == "t000"));
}

#[test]
fn retry_goes_straight_to_the_engine() {
    let mut m = loaded(2);
    let fx = update(&mut m, key('r'));
    assert!(matches!(calls(&fx)[..], [Command::Retry { slug }] if slug == "t000"));
    answer(&mut m, &fx, |_| {
        Some(Err(ApiError::new(ErrorCode::Conflict, "nothing to retry")))
    });
    assert!(m.flash.as_ref().unwrap().text.contains("nothing to retry"));
}

fn event(seq: u64, body: EventBody) -> Msg {
    Msg::Engine(Item::Event(Box::new(Event { seq, body })))
}

#[test]
fn engine_events_change_the_table_live() {
    let mut m = loaded(3);
    update(
        &mut m,
        event(
            10,
            EventBody::TenantChanged {
                slug: "new".into(),
                status: TenantStatus::Created,
                summary: Some(summary("new", TenantStatus::Created, 5)),
                entry: None,
            },
        ),
    );
    assert_eq!(m.rows.len(), 4);
    assert_eq!(m.rows[0].slug, "new", "in slug order");
    let fx = update(
        &mut m,
        event(
            11,
            EventBody::TenantChanged {
                slug: "new".into(),
                status: TenantStatus::Deployed,
                summary: Some(summary("new", TenantStatus::Deployed, 6)),
                entry: None,
            },
        ),
    );
    assert_eq!(m.rows.len(), 4);
    assert_eq!(m.rows[0].status, TenantStatus::Deployed);
    assert!(
        calls(&fx).is_empty(),
        "not the selected one: no detail asked"
    );
    update(
        &mut m,
        event(12, EventBody::TenantRemoved { slug: "new".into() }),
    );
    assert_eq!(m.rows.len(), 3);
    update(
        &mut m,
        event(
            13,
            EventBody::ProvisionerChanged {
                provisioner: ProvisionerState {
                    running: true,
                    in_flight: 2,
                    ..Default::default()
                },
            },
        ),
    );
    assert_eq!(m.provisioner.in_flight, 2);
    let fx = update(
        &mut m,
        event(
            14,
            EventBody::LinkChanged {
                slug: "t000".into(),
                link: crate::engine::api::LinkSummary {
                    id: "x".into(),
                    tenant: "t000".into(),
                    created_at: String::new(),
                    expires_at: String::new(),
                    expires_ms: 0,
                    state: crate::domain::model::LinkState::Active,
                    opened_at: None,
                    open_count: 1,
                    continue_count: 0,
                },
            },
        ),
    );
    assert!(
        matches!(calls(&fx)[..], [Command::ShowTenant { slug }] if slug == "t000"),
        "the selected tenant's detail is refreshed"
    );
}

#[test]
fn a_lag_refetches_a_snapshot() {
    let mut m = loaded(3);
    let fx = update(&mut m, Msg::Engine(Item::Lagged { missed: 40 }));
    let c = calls(&fx);
    assert!(
        c.iter().any(|c| matches!(c, Command::ListTenants { query }
            if query.after.is_none() && query.limit == Some(FIRST_PAGE))),
        "a fresh load from the first page: {c:?}"
    );
    assert!(c.iter().any(|c| matches!(c, Command::Status)));
}

pub(super) fn status_with(subscribers: usize, pending_flows: usize) -> StatusView {
    StatusView {
        tenants: 0,
        by_status: Default::default(),
        public_url: String::new(),
        redirect_uri: String::new(),
        data_dir: String::new(),
        owner: String::new(),
        owner_pid: 1,
        serving: true,
        provisioner: String::new(),
        provisioner_state: Default::default(),
        seq: 0,
        schema_version: 2,
        store: Default::default(),
        subscribers,
        pending_flows,
        consent: "enabled".into(),
        health: "every 6h (jittered)".into(),
        health_alarm: None,
        webhooks: 0,
        outbox: 0,
        setup: Vec::new(),
    }
}

/// `q` on the owning console asks the engine for fresh numbers and lets them decide.
fn quit_with(m: &mut Model, msg: Msg, answer_with: Result<Reply, ApiError>) -> Vec<Effect> {
    let fx = update(m, msg);
    assert!(!fx.contains(&Effect::Quit), "quit before the numbers came");
    assert!(matches!(calls(&fx)[..], [Command::Status]), "{fx:?}");
    answer(m, &fx, |_| Some(answer_with.clone()))
}

#[test]
fn quitting_an_owner_asks_first_when_it_would_cut_someone_off() {
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(3, 2)))),
    );
    assert!(!fx.contains(&Effect::Quit));
    let c = m.confirm.as_ref().unwrap();
    assert!(
        c.text.contains("2 other consoles") && c.text.contains("2 customers mid-consent"),
        "{}",
        c.text
    );
    let fx = update(&mut m, key('y'));
    assert!(fx.contains(&Effect::Quit));

    // What was known before does not count: a console attached a moment ago does.
    let mut m = loaded(1);
    m.status = Some(status_with(1, 0));
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(2, 0)))),
    );
    assert!(!fx.contains(&Effect::Quit));
    assert!(
        m.confirm
            .as_ref()
            .unwrap()
            .text
            .contains("1 other console or watcher")
    );
    update(&mut m, key('n'));
    assert!(m.confirm.is_none() && !m.quit);

    // Nobody else there: no question.
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        key('q'),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(fx.contains(&Effect::Quit) && m.confirm.is_none());
    // The engine cannot say: quit.
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        key('q'),
        Err(ApiError::new(
            crate::engine::error::ErrorCode::Unavailable,
            "gone",
        )),
    );
    assert!(fx.contains(&Effect::Quit));
    // Attached: quitting stops nothing, so nothing is asked.
    let mut m = Model::new(setup(Mode::Attached { pid: 7 }), Theme { color: true }, 0);
    m.status = Some(status_with(9, 9));
    assert!(update(&mut m, key('q')).contains(&Effect::Quit));
}

#[test]
fn an_attached_console_that_loses_its_owner_says_so_and_reloads_when_attached_again() {
    let mut m = Model::new(setup(Mode::Attached { pid: 7 }), Theme { color: true }, 0);
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| match c {
        Command::ListTenants { .. } => Some(Ok(Reply::Tenants {
            tenants: vec![summary("t000", TenantStatus::Deployed, 0)],
            total: 1,
        })),
        _ => None,
    });
    assert!(!m.pending.is_empty(), "the status call is still out");
    update(&mut m, Msg::OwnerLost);
    assert!(m.lost.is_some());
    assert!(m.pending.is_empty(), "nothing in flight will be answered");
    assert!(m.flash.as_ref().unwrap().text.contains("pid 7"));
    assert_eq!(m.rows.len(), 1, "what was known stays on screen");
    let fx = update(&mut m, Msg::Reattached { pid: 8 });
    assert!(m.lost.is_none());
    assert_eq!(m.setup.mode, Mode::Attached { pid: 8 });
    let c = calls(&fx);
    assert!(c.iter().any(|c| matches!(c, Command::Status)));
    assert!(
        c.iter().any(|c| matches!(c, Command::ListTenants { query }
            if query.after.is_none() && query.limit == Some(FIRST_PAGE))),
        "a fresh load from the first page: {c:?}"
    );
}

#[test]
fn the_palette_completes_and_runs_commands() {
    let mut m = loaded(3);
    update(&mut m, key(':'));
    typed(&mut m, "li");
    update(&mut m, code(KeyCode::Tab));
    assert_eq!(m.palette.as_ref().unwrap().value(), "link ");
    typed(&mut m, "t00");
    update(&mut m, code(KeyCode::Tab));
    assert_eq!(m.palette.as_ref().unwrap().value(), "link t000");
    typed(&mut m, " 30m");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        matches!(calls(&fx)[..], [Command::IssueLink { slug, ttl_secs: 1800, .. }] if slug == "t000")
    );
    update(&mut m, key(':'));
    typed(&mut m, "status fail");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.status_filter, vec![TenantStatus::Failed]);
    assert!(m.visible.is_empty());
    update(&mut m, key(':'));
    typed(&mut m, "explode");
    update(&mut m, code(KeyCode::Enter));
    assert!(m.flash.as_ref().unwrap().text.contains("no command"));
}

#[test]
fn signals_and_ctrl_c_quit_and_key_releases_do_nothing() {
    let mut m = loaded(1);
    let mut release = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert!(update(&mut m, Msg::Key(release)).is_empty());
    assert!(matches!(m.screen(), Screen::Tenants));
    assert!(update(&mut m, Msg::Signal("SIGHUP")).contains(&Effect::Quit));
    let mut m = loaded(1);
    let fx = quit_with(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(fx.contains(&Effect::Quit));
}

#[test]
fn help_opens_and_closes_and_flashes_fade() {
    let mut m = loaded(1);
    update(&mut m, key('?'));
    assert!(matches!(m.screen(), Screen::Help));
    update(&mut m, key('q'));
    assert!(matches!(m.screen(), Screen::Tenants));
    update(&mut m, Msg::Copied(Ok("the link".into())));
    assert!(m.flash.is_some());
    let later = m.now + 10_000;
    update(&mut m, Msg::Tick(later));
    assert!(m.flash.is_none());
}

#[test]
fn the_setup_panel_comes_first_when_something_is_missing_and_enter_goes_on() {
    let mut s = setup(Mode::Owner);
    s.problems.push(super::model::SetupLine {
        ok: false,
        what: "google client".into(),
        detail: "missing".into(),
    });
    let mut m = Model::new(s, Theme { color: true }, 0);
    assert!(matches!(m.screen(), Screen::Setup));
    let fx = update(&mut m, key('c'));
    assert!(matches!(&fx[..], [Effect::Copy { text, .. }] if text.ends_with("/oauth/callback")));
    update(&mut m, code(KeyCode::Enter));
    assert!(matches!(m.screen(), Screen::Tenants));
}

#[test]
fn a_reply_nobody_waits_for_is_dropped() {
    let mut m = loaded(2);
    let before = m.rows.len();
    let waiting = m.pending.len();
    update(
        &mut m,
        Msg::Reply {
            id: 9999,
            result: Ok(Reply::Tenants {
                tenants: vec![],
                total: 0,
            }),
        },
    );
    assert_eq!(m.rows.len(), before);
    assert_eq!(m.pending.len(), waiting);
    assert!(!m.pending.contains_key(&9999));
}

mod incremental {
    //! The table is kept by small steps (a row out, a row in, indices shifted); whatever
    //! happens, it must equal what sorting and filtering everything afresh gives.
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Change {
            who: u8,
            status: u8,
            name: u8,
            at: i64,
        },
        Remove {
            who: u8,
        },
        Sort,
        Filter(&'static str),
        Type(char),
        Status(Option<u8>),
        Select(u8),
    }

    const STATUSES: [TenantStatus; 4] = [
        TenantStatus::Created,
        TenantStatus::LinkIssued,
        TenantStatus::Deployed,
        TenantStatus::Failed,
    ];
    const NAMES: [&str; 4] = ["Acme", "beta Labs", "Ünïcode GmbH", "zeta"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u8..40, 0u8..4, 0u8..4, 0i64..50)
                .prop_map(|(who, status, name, at)| Op::Change { who, status, name, at }),
            2 => (0u8..40).prop_map(|who| Op::Remove { who }),
            1 => Just(Op::Sort),
            1 => prop::sample::select(vec!["", "t1", "lab", "ünï", "ZETA", "t0"]).prop_map(Op::Filter),
            1 => prop::sample::select(vec!['a', '1', 'e', 'ï']).prop_map(Op::Type),
            1 => prop::option::of(0u8..4).prop_map(Op::Status),
            1 => (0u8..50).prop_map(Op::Select),
        ]
    }

    fn expected(m: &Model) -> Vec<String> {
        let mut rows = m.rows.clone();
        rows.sort_by(|a, b| match m.sort {
            SortKey::Slug => a.slug.cmp(&b.slug),
            SortKey::Name => (a.display_name.to_lowercase(), &a.slug)
                .cmp(&(b.display_name.to_lowercase(), &b.slug)),
            SortKey::Status => (a.status, &a.slug).cmp(&(b.status, &b.slug)),
            SortKey::Changed => (std::cmp::Reverse(a.updated_ms), &a.slug)
                .cmp(&(std::cmp::Reverse(b.updated_ms), &b.slug)),
        });
        let needle = m.filter.value().to_lowercase();
        rows.iter()
            .filter(|r| m.status_filter.is_empty() || m.status_filter.contains(&r.status))
            .filter(|r| {
                needle.is_empty()
                    || [
                        Some(&r.slug),
                        Some(&r.display_name),
                        r.google_email.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|s| s.to_lowercase().contains(&needle))
            })
            .map(|r| r.slug.clone())
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn the_table_equals_sorting_and_filtering_afresh(ops in prop::collection::vec(op(), 1..60)) {
            let mut m = loaded(20);
            for op in ops {
                let selected_before = if matches!(op, Op::Select(_)) { None } else { m.selected_slug() };
                match op {
                    Op::Change { who, status, name, at } => {
                        let slug = format!("t{who:03}");
                        let mut s = summary(&slug, STATUSES[status as usize], at);
                        s.display_name = NAMES[name as usize].into();
                        update(&mut m, event(1, EventBody::TenantChanged {
                            slug, status: s.status, summary: Some(s), entry: None,
                        }));
                    }
                    Op::Remove { who } => {
                        update(&mut m, event(1, EventBody::TenantRemoved { slug: format!("t{who:03}") }));
                    }
                    Op::Sort => { update(&mut m, key('s')); }
                    Op::Filter(f) => {
                        m.filter = tui_input::Input::new(f.into());
                        super::super::update::refilter(&mut m);
                    }
                    Op::Type(c) => {
                        m.filtering = true;
                        update(&mut m, key(c));
                        m.filtering = false;
                    }
                    Op::Status(s) => {
                        m.status_filter = s.map(|i| vec![STATUSES[i as usize]]).unwrap_or_default();
                        super::super::update::refilter(&mut m);
                    }
                    Op::Select(i) => {
                        m.selected = (i as usize).min(m.visible.len().saturating_sub(1));
                    }
                }
                let shown: Vec<String> = m.visible.iter().map(|i| m.rows[*i].slug.clone()).collect();
                prop_assert_eq!(&shown, &expected(&m));
                let mut counts = [0usize; crate::tui::style::Group::ALL.len()];
                for r in &m.rows {
                    counts[crate::tui::style::group(r.status).index()] += 1;
                }
                prop_assert_eq!(counts, m.group_counts);
                let mut slugs: Vec<&str> = m.rows.iter().map(|r| r.slug.as_str()).collect();
                slugs.sort();
                slugs.dedup();
                prop_assert_eq!(slugs.len(), m.rows.len(), "one row per tenant");
                prop_assert!(m.visible.is_empty() || m.selected < m.visible.len());
                // The selected tenant stays selected while it is shown.
                if let Some(was) = selected_before
                    && shown.contains(&was)
                {
                    prop_assert_eq!(m.selected_slug(), Some(was));
                }
            }
        }
    }
}

#[test]
fn actions_on_a_tenant_with_none_shown_say_why_and_the_bar_leaves_them_out() {
    let mut m = loaded(0);
    for c in ['e', 'n', 'r', 'w', 'l'] {
        m.flash = None;
        let fx = update(&mut m, key(c));
        assert!(fx.is_empty(), "{c}: {fx:?}");
        assert!(m.flash.as_ref().unwrap().text.contains("press a"), "{c}");
    }
    let bar: Vec<&str> =
        crate::tui::keymap::hints_with(crate::tui::keymap::Context::Tenants, false)
            .into_iter()
            .map(|h| h.1)
            .collect();
    assert!(bar.contains(&"add") && bar.contains(&"quit"));
    assert!(!bar.contains(&"edit") && !bar.contains(&"retry") && !bar.contains(&"link"));
    // Filtered to nothing: the way back is named.
    let mut m = loaded(3);
    update(&mut m, key('/'));
    typed(&mut m, "zzz");
    update(&mut m, code(KeyCode::Enter));
    update(&mut m, key('e'));
    assert!(m.flash.as_ref().unwrap().text.contains("esc clears"));
}

// ---- coverage of every action, event and message ----

use super::model::{FLASH_MS, Level};

/// Answer every detail request in `fx` (and those that follow) with a plain view; the other
/// effects are returned.
fn settle(m: &mut Model, mut fx: Vec<Effect>) -> Vec<Effect> {
    let mut rest = Vec::new();
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            match e {
                Effect::Call {
                    id,
                    command: Command::ShowTenant { slug },
                } => next.extend(update(
                    m,
                    Msg::Reply {
                        id,
                        result: Ok(Reply::Tenant(Box::new(view(&slug, TenantStatus::Created)))),
                    },
                )),
                other => rest.push(other),
            }
        }
        fx = next;
    }
    rest
}

pub(super) fn flashed(m: &Model) -> (Level, &str) {
    let f = m.flash.as_ref().expect("a flash");
    (f.level, f.text.as_str())
}

fn refused(code: ErrorCode, message: &str) -> Option<Result<Reply, ApiError>> {
    Some(Err(ApiError::new(code, message)))
}

fn shows(fx: &[Effect]) -> Vec<&str> {
    calls(fx)
        .into_iter()
        .filter_map(|c| match c {
            Command::ShowTenant { slug } => Some(slug.as_str()),
            _ => None,
        })
        .collect()
}

fn setup_panel(mode: Mode) -> Model {
    let mut s = setup(mode);
    s.problems.push(super::model::SetupLine {
        ok: false,
        what: "google client".into(),
        detail: "missing".into(),
    });
    Model::new(s, Theme { color: true }, 0)
}

fn link_summary(slug: &str) -> crate::engine::api::LinkSummary {
    crate::engine::api::LinkSummary {
        id: "x".into(),
        tenant: slug.into(),
        created_at: String::new(),
        expires_at: String::new(),
        expires_ms: 0,
        state: crate::domain::model::LinkState::Active,
        opened_at: None,
        open_count: 1,
        continue_count: 0,
    }
}

/// The link view of `t000`, with a link issued in this console.
fn link_screen_with_a_link(n: usize) -> Model {
    let mut m = loaded(n);
    let fx = update(&mut m, key('n'));
    let fx = answer(&mut m, &fx, |c| match c {
        Command::IssueLink { slug, .. } => Some(Ok(Reply::Link(link_view(slug)))),
        _ => None,
    });
    settle(&mut m, fx);
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t000"));
    m
}

// -- Tenants --

#[test]
fn up_and_k_move_the_selection_up_and_ask_for_that_tenants_detail() {
    let mut m = loaded(10);
    let fx = update(&mut m, key('G'));
    settle(&mut m, fx);
    let fx = update(&mut m, code(KeyCode::Up));
    assert_eq!(m.selected_slug().as_deref(), Some("t008"));
    assert_eq!(shows(&fx), vec!["t008"]);
    settle(&mut m, fx);
    let fx = update(&mut m, key('k'));
    assert_eq!(m.selected_slug().as_deref(), Some("t007"));
    assert_eq!(shows(&fx), vec!["t007"]);
    settle(&mut m, fx);
    // At the top, up stays there and asks nothing again.
    let fx = update(&mut m, key('g'));
    settle(&mut m, fx);
    let fx = update(&mut m, key('k'));
    assert_eq!(m.selected, 0);
    assert!(calls(&fx).is_empty(), "{fx:?}");
}

#[test]
fn page_up_moves_back_by_a_table_of_rows_and_stops_at_the_top() {
    let mut m = loaded(100);
    let fx = update(&mut m, key('G'));
    settle(&mut m, fx);
    let page = m.table_rows();
    let fx = update(&mut m, code(KeyCode::PageUp));
    assert_eq!(m.selected, 99 - page);
    let want = format!("t{:03}", 99 - page);
    assert_eq!(shows(&fx), vec![want.as_str()]);
    assert!(m.scroll <= m.selected && m.selected < m.scroll + page);
    settle(&mut m, fx);
    for _ in 0..(100 / page + 2) {
        let fx = update(&mut m, code(KeyCode::PageUp));
        settle(&mut m, fx);
    }
    assert_eq!((m.selected, m.scroll), (0, 0));
}

#[test]
fn esc_on_the_table_without_a_filter_does_nothing() {
    let mut m = loaded(3);
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(m.screen(), Screen::Tenants));
    assert!(!m.quit && m.confirm.is_none());
    assert_eq!(m.visible.len(), 3);
}

#[test]
fn esc_on_the_table_clears_a_status_filter_and_asks_for_the_selected_detail() {
    let mut m = loaded(3);
    update(&mut m, key(':'));
    typed(&mut m, "status failed");
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.status_filter, vec![TenantStatus::Failed]);
    assert!(m.visible.is_empty());
    assert!(m.detail.is_none(), "nothing shown: no detail");
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(m.status_filter.is_empty());
    assert_eq!(m.visible.len(), 3);
    assert_eq!(m.selected_slug().as_deref(), Some("t000"));
    assert_eq!(shows(&fx), vec!["t000"]);
}

#[test]
fn sort_goes_on_to_name_and_then_back_to_slug() {
    let mut m = loaded(3);
    m.rows[0].display_name = "zeta".into();
    m.rows[1].display_name = "Alpha".into();
    m.rows[2].display_name = "beta".into();
    for _ in 0..3 {
        update(&mut m, key('s'));
    }
    assert_eq!(m.sort, SortKey::Name);
    let order: Vec<&str> = m.visible.iter().map(|i| m.rows[*i].slug.as_str()).collect();
    assert_eq!(
        order,
        vec!["t001", "t002", "t000"],
        "by name, ignoring case"
    );
    assert_eq!(m.selected_slug().as_deref(), Some("t000"), "still selected");
    update(&mut m, key('s'));
    assert_eq!(m.sort, SortKey::Slug);
    let order: Vec<&str> = m.visible.iter().map(|i| m.rows[*i].slug.as_str()).collect();
    assert_eq!(order, vec!["t000", "t001", "t002"]);
    assert_eq!(m.selected_slug().as_deref(), Some("t000"));
}

#[test]
fn l_opens_the_link_view_of_the_selected_tenant() {
    let mut m = loaded(3);
    let fx = update(&mut m, key('j'));
    settle(&mut m, fx);
    let fx = update(&mut m, key('l'));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t001"));
}

#[test]
fn pressing_quit_twice_asks_the_engine_only_once() {
    let mut m = loaded(1);
    let first = update(&mut m, key('q'));
    assert!(matches!(calls(&first)[..], [Command::Status]));
    let again = update(&mut m, key('q'));
    assert!(again.is_empty(), "the question is out already: {again:?}");
    let fx = answer(&mut m, &first, |_| {
        Some(Ok(Reply::Status(Box::new(status_with(1, 0)))))
    });
    assert_eq!(fx, vec![Effect::Quit]);
    assert!(m.quit);
}

// -- Link view --

#[test]
fn n_in_the_link_view_issues_a_new_link_and_stays_in_that_view() {
    let mut m = loaded(2);
    update(&mut m, code(KeyCode::Enter));
    let depth = m.screens.len();
    let fx = update(&mut m, key('n'));
    assert!(
        matches!(calls(&fx)[..], [Command::IssueLink { slug, ttl_secs, .. }]
            if slug == "t000" && *ttl_secs == 7 * 24 * 3600),
        "{fx:?}"
    );
    answer(&mut m, &fx, |_| Some(Ok(Reply::Link(link_view("t000")))));
    assert_eq!(m.screens.len(), depth, "no second link view on top");
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t000"));
    assert_eq!(flashed(&m), (Level::Ok, "✔ new consent link for t000"));
    let fx = update(&mut m, key('c'));
    assert_eq!(
        fx,
        vec![Effect::Copy {
            text: link_view("t000").url,
            what: "the link".into()
        }]
    );
}

#[test]
fn w_in_the_link_view_asks_then_withdraws_and_forgets_the_link() {
    let mut m = link_screen_with_a_link(2);
    let fx = update(&mut m, key('w'));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(matches!(&m.confirm, Some(c) if c.action == ConfirmAction::Withdraw("t000".into())));
    let fx = update(&mut m, key('y'));
    assert!(m.confirm.is_none());
    assert!(matches!(calls(&fx)[..], [Command::RevokeLinks { slug }] if slug == "t000"));
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t000",
            TenantStatus::LinkIssued,
        )))))
    });
    assert!(!m.links.contains_key("t000"));
    assert_eq!(flashed(&m), (Level::Ok, "✔ unused links of t000 withdrawn"));
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t000"));
    assert_eq!(
        m.detail.as_ref().map(|d| d.status),
        Some(TenantStatus::LinkIssued)
    );
    // The withdrawn link can no longer be copied.
    let fx = update(&mut m, key('c'));
    assert!(fx.is_empty());
    assert!(flashed(&m).1.contains("press n"));
}

#[test]
fn help_from_the_link_view_returns_to_it_and_q_goes_back_to_the_tenants() {
    let mut m = loaded(1);
    update(&mut m, code(KeyCode::Enter));
    update(&mut m, key('?'));
    assert!(matches!(m.screen(), Screen::Help));
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t000"));
    let fx = update(&mut m, key('q'));
    assert!(
        fx.is_empty(),
        "q in the link view goes back, it does not quit"
    );
    assert!(matches!(m.screen(), Screen::Tenants));
    assert!(!m.quit);
}

// -- Form --

#[test]
fn shift_tab_and_up_go_to_the_previous_field_and_focus_wraps_around() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    let focus = |m: &Model| match m.screen() {
        Screen::Form(f) => (f.focus, f.fields.len()),
        _ => panic!("not a form"),
    };
    assert_eq!(focus(&m), (0, 6));
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    assert_eq!(focus(&m).0, 5, "from the first field to the last");
    update(&mut m, code(KeyCode::Up));
    assert_eq!(focus(&m).0, 4);
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, code(KeyCode::Down));
    assert_eq!(focus(&m).0, 0, "from the last field to the first");
}

#[test]
fn esc_cancels_a_form_without_sending_anything() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "beta");
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert!(matches!(m.screen(), Screen::Tenants));
    assert_eq!(m.rows.len(), 1);
    update(&mut m, key('e'));
    assert!(matches!(m.screen(), Screen::Form(_)));
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    assert!(matches!(m.screen(), Screen::Tenants));
}

#[test]
fn a_refused_add_after_the_form_was_cancelled_is_flashed() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "t000");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(matches!(calls(&fx)[..], [Command::AddTenant(_)]));
    update(&mut m, code(KeyCode::Esc));
    answer(&mut m, &fx, |_| {
        refused(ErrorCode::Conflict, "a tenant \"t000\" already exists")
    });
    assert!(matches!(m.screen(), Screen::Tenants));
    assert_eq!(
        flashed(&m),
        (Level::Error, "✖ a tenant \"t000\" already exists")
    );
}

#[test]
fn an_add_without_a_link_lifetime_issues_no_link() {
    let mut m = loaded(1);
    update(&mut m, key('a'));
    typed(&mut m, "beta");
    update(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT)),
    );
    update(&mut m, code(KeyCode::Backspace));
    update(&mut m, code(KeyCode::Backspace));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        matches!(calls(&fx)[..], [Command::AddTenant(NewTenant { slug, .. })] if slug == "beta")
    );
    let fx = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "beta",
            TenantStatus::Created,
        )))))
    });
    assert!(
        !calls(&fx)
            .iter()
            .any(|c| matches!(c, Command::IssueLink { .. })),
        "{fx:?}"
    );
    assert_eq!(flashed(&m), (Level::Ok, "✔ tenant beta added"));
    assert_eq!(m.selected_slug().as_deref(), Some("beta"));
    assert!(matches!(m.screen(), Screen::Tenants));
}

#[test]
fn a_refused_edit_keeps_the_form_and_says_why() {
    let mut m = loaded(2);
    update(&mut m, key('e'));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(matches!(calls(&fx)[..], [Command::EditTenant { slug, .. }] if slug == "t000"));
    answer(&mut m, &fx, |_| {
        refused(ErrorCode::InvalidInput, "display name too long")
    });
    let Screen::Form(f) = m.screen() else {
        panic!("the form stays")
    };
    assert_eq!(f.error.as_deref(), Some("display name too long"));
    assert!(m.flash.is_none(), "said in the form, not flashed");
}

#[test]
fn a_saved_edit_closes_the_form_and_shows_the_new_detail() {
    let mut m = loaded(2);
    update(&mut m, key('e'));
    let fx = update(&mut m, code(KeyCode::Enter));
    answer(&mut m, &fx, |_| {
        let mut v = view("t000", TenantStatus::Created);
        v.display_name = "New Name".into();
        Some(Ok(Reply::Tenant(Box::new(v))))
    });
    assert!(matches!(m.screen(), Screen::Tenants));
    assert_eq!(flashed(&m), (Level::Ok, "✔ tenant t000 saved"));
    assert_eq!(
        m.detail.as_ref().map(|d| d.display_name.as_str()),
        Some("New Name")
    );
}

// -- Help --

#[test]
fn help_scrolls_within_bounds_and_starts_at_the_top_again() {
    let mut m = loaded(1);
    update(&mut m, key('?'));
    update(&mut m, code(KeyCode::Up));
    assert_eq!(m.help_scroll, 0, "not above the top");
    update(&mut m, key('j'));
    update(&mut m, code(KeyCode::Down));
    update(&mut m, key('j'));
    assert_eq!(m.help_scroll, 3);
    update(&mut m, key('k'));
    assert_eq!(m.help_scroll, 2);
    for _ in 0..100 {
        update(&mut m, code(KeyCode::Down));
    }
    let end = super::view::layout::help_max_scroll(&m);
    assert!(end > 3, "the help is longer than its box at 80x24");
    assert_eq!(m.help_scroll, end, "scrolling stops at the help's last row");
    update(&mut m, code(KeyCode::Esc));
    assert!(matches!(m.screen(), Screen::Tenants));
    assert_eq!(m.help_scroll, 0);
    update(&mut m, key('?'));
    update(&mut m, key('?'));
    assert!(matches!(m.screen(), Screen::Tenants), "? closes it too");
}

// -- Confirm --

#[test]
fn enter_confirms_esc_cancels_and_other_keys_leave_the_question_open() {
    let mut m = loaded(2);
    update(&mut m, key('w'));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(matches!(calls(&fx)[..], [Command::RevokeLinks { slug }] if slug == "t000"));
    assert!(m.confirm.is_none());
    update(&mut m, key('w'));
    let fx = update(&mut m, code(KeyCode::Esc));
    assert!(fx.is_empty(), "{fx:?}");
    assert!(m.confirm.is_none());
    update(&mut m, key('w'));
    let fx = update(&mut m, key('x'));
    assert!(fx.is_empty());
    assert!(m.confirm.is_some(), "an unbound key answers nothing");
    assert!(matches!(m.screen(), Screen::Tenants));
}

// -- Setup --

#[test]
fn q_or_esc_on_the_setup_panel_quits() {
    let mut m = setup_panel(Mode::Owner);
    assert!(matches!(m.screen(), Screen::Setup));
    assert_eq!(update(&mut m, key('q')), vec![Effect::Quit]);
    assert!(m.quit);
    let mut m = setup_panel(Mode::Owner);
    assert_eq!(update(&mut m, code(KeyCode::Esc)), vec![Effect::Quit]);
    assert!(m.quit);
}

// -- Messages --

#[test]
fn resize_keeps_the_selected_row_in_view_and_the_table_full() {
    let mut m = loaded(100);
    let fx = update(&mut m, key('G'));
    settle(&mut m, fx);
    assert_eq!(m.selected, 99);
    // Taller: more rows fit, so the table scrolls back to stay full.
    let fx = update(&mut m, Msg::Resize(80, 60));
    assert!(fx.is_empty());
    assert_eq!(m.size, (80, 60));
    assert_eq!(m.scroll, 100 - m.table_rows());
    // Shorter: the selected row stays in view.
    update(&mut m, Msg::Resize(80, 10));
    let h = m.table_rows();
    assert!(m.scroll <= 99 && 99 < m.scroll + h, "{} + {h}", m.scroll);
    assert_eq!(m.selected, 99);
}

#[test]
fn copies_and_exports_are_flashed_as_done_or_failed() {
    let mut m = loaded(1);
    assert!(update(&mut m, Msg::Copied(Ok("the link".into()))).is_empty());
    assert_eq!(
        flashed(&m),
        (Level::Ok, "✔ the link copied to the clipboard (OSC 52)")
    );
    update(&mut m, Msg::Copied(Err("no terminal".into())));
    assert_eq!(flashed(&m), (Level::Error, "copy failed: no terminal"));
    assert!(
        update(
            &mut m,
            Msg::Exported(Ok(vec![
                "/data/exports/t000-ab12cd34.png".into(),
                "/data/exports/t000-ab12cd34.svg".into()
            ]))
        )
        .is_empty()
    );
    assert_eq!(
        flashed(&m),
        (
            Level::Ok,
            "✔ QR code written to /data/exports/t000-ab12cd34.png and .svg"
        )
    );
    update(&mut m, Msg::Exported(Err("disk full".into())));
    assert_eq!(flashed(&m), (Level::Error, "export failed: disk full"));
}

#[test]
fn a_flash_stays_until_its_time_is_up() {
    let mut m = loaded(1);
    update(&mut m, Msg::Copied(Ok("the link".into())));
    let until = m.now + FLASH_MS;
    update(&mut m, Msg::Tick(until - 1));
    assert_eq!(m.now, until - 1);
    assert!(m.flash.is_some(), "not yet");
    update(&mut m, Msg::Tick(until));
    assert!(m.flash.is_none());
}

#[test]
fn paste_goes_into_the_palette_or_the_focused_form_field() {
    let mut m = loaded(3);
    update(&mut m, key(':'));
    assert!(update(&mut m, Msg::Paste("link t001\nrm -rf /".into())).is_empty());
    assert_eq!(m.palette.as_ref().map(|p| p.value()), Some("link t001"));
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(
        calls(&fx)
            .iter()
            .any(|c| matches!(c, Command::IssueLink { slug, .. } if slug == "t001")),
        "the pasted command runs: {fx:?}"
    );

    let mut m = loaded(1);
    update(&mut m, key('a'));
    update(&mut m, Msg::Paste("Bad-".into()));
    let Screen::Form(f) = m.screen() else {
        panic!()
    };
    assert_eq!(f.fields[0].input.value(), "Bad-");
    assert!(f.fields[0].error.is_some(), "a paste is validated too");
    update(&mut m, code(KeyCode::Tab));
    update(&mut m, Msg::Paste("Beta\tCorp\nsecond".into()));
    let Screen::Form(f) = m.screen() else {
        panic!()
    };
    assert_eq!(f.fields[1].input.value(), "BetaCorp");
}

#[test]
fn paste_on_the_bare_table_does_nothing() {
    let mut m = loaded(3);
    let fx = update(&mut m, Msg::Paste("t001".into()));
    assert!(fx.is_empty());
    assert_eq!(m.filter.value(), "");
    assert!(!m.filtering);
    assert_eq!(m.visible.len(), 3);
}

#[test]
fn pasting_into_the_filter_asks_for_the_newly_selected_tenants_detail() {
    let mut m = loaded(30);
    update(&mut m, key('/'));
    let fx = update(&mut m, Msg::Paste("t01".into()));
    assert_eq!(m.visible.len(), 10);
    assert_eq!(m.selected_slug().as_deref(), Some("t010"));
    assert_eq!(
        shows(&fx),
        vec!["t010"],
        "typing the same asks for it; a paste must too"
    );
}

// -- Engine events --

#[test]
fn a_replayed_change_without_a_summary_keeps_the_row_and_refreshes_the_selected_detail() {
    let mut m = loaded(3);
    let replayed = |slug: &str| {
        event(
            20,
            EventBody::TenantChanged {
                slug: slug.into(),
                status: TenantStatus::Deployed,
                summary: None,
                entry: None,
            },
        )
    };
    let fx = update(&mut m, replayed("t000"));
    assert_eq!(shows(&fx), vec!["t000"]);
    assert!(m.rows.iter().all(|r| r.status == TenantStatus::Created));
    assert_eq!(m.rows.len(), 3);
    settle(&mut m, fx);
    let fx = update(&mut m, replayed("t001"));
    assert!(calls(&fx).is_empty(), "not the selected one: {fx:?}");
}

#[test]
fn removing_the_selected_tenant_selects_the_next_and_asks_for_its_detail() {
    let mut m = loaded(3);
    let fx = update(
        &mut m,
        event(
            21,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    assert_eq!(m.rows.len(), 2);
    assert_eq!(m.selected_slug().as_deref(), Some("t001"));
    assert_eq!(shows(&fx), vec!["t001"]);
    // The last one gone: nothing selected, no detail.
    let mut m = loaded(1);
    let fx = update(
        &mut m,
        event(
            22,
            EventBody::TenantRemoved {
                slug: "t000".into(),
            },
        ),
    );
    assert!(calls(&fx).is_empty());
    assert!(m.rows.is_empty() && m.visible.is_empty());
    assert!(m.detail.is_none());
}

#[test]
fn a_link_change_of_another_tenant_asks_nothing() {
    let mut m = loaded(3);
    let fx = update(
        &mut m,
        event(
            23,
            EventBody::LinkChanged {
                slug: "t001".into(),
                link: link_summary("t001"),
            },
        ),
    );
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(m.selected_slug().as_deref(), Some("t000"));
}

#[test]
fn a_lag_says_how_many_events_were_missed() {
    let mut m = loaded(3);
    update(&mut m, Msg::Engine(Item::Lagged { missed: 40 }));
    assert_eq!(
        flashed(&m),
        (Level::Info, "caught up after missing 40 events")
    );
    assert!(m.loading.is_some(), "a fresh load is under way");
    assert_eq!(m.rows.len(), 3, "the old rows stay until it is in");
}

// -- Replies, per request --

#[test]
fn the_status_reply_sets_the_status_and_the_provisioner() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| match c {
        Command::Status => {
            let mut s = status_with(2, 1);
            s.provisioner_state.running = true;
            s.provisioner_state.in_flight = 3;
            Some(Ok(Reply::Status(Box::new(s))))
        }
        _ => None,
    });
    assert_eq!(m.status.as_ref().map(|s| s.subscribers), Some(2));
    assert!(m.provisioner.running);
    assert_eq!(m.provisioner.in_flight, 3);
    assert!(
        !m.quit && m.confirm.is_none(),
        "a plain status decides nothing"
    );
}

#[test]
fn a_failed_status_is_flashed() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| match c {
        Command::Status => refused(ErrorCode::Unavailable, "engine busy"),
        _ => None,
    });
    assert_eq!(flashed(&m), (Level::Error, "✖ engine busy"));
    assert!(m.status.is_none());
}

#[test]
fn a_failed_page_is_flashed() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let fx = answer(&mut m, &fx, |c| match c {
        Command::ListTenants { .. } => refused(ErrorCode::Internal, "store locked"),
        _ => None,
    });
    assert!(shows(&fx).is_empty());
    assert_eq!(
        flashed(&m),
        (
            Level::Error,
            "✖ could not load the tenants: store locked; trying again"
        )
    );
    assert!(m.rows.is_empty() && !m.loaded);
    // A tick before the pause is over asks nothing; one after starts a fresh load.
    let soon = m.now + 500;
    assert!(calls(&update(&mut m, Msg::Tick(soon))).is_empty());
    let later = m.now + 5_000;
    let fx = update(&mut m, Msg::Tick(later));
    assert!(
        matches!(calls(&fx)[..], [Command::ListTenants { query }] if query.after.is_none()),
        "{fx:?}"
    );
    assert!(m.loading.is_some());
}

#[test]
fn a_failed_page_does_not_leave_the_load_hanging() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    let fx = answer(&mut m, &fx, |c| match c {
        Command::ListTenants { .. } => refused(ErrorCode::Internal, "store locked"),
        _ => None,
    });
    let retried = calls(&fx)
        .iter()
        .any(|c| matches!(c, Command::ListTenants { .. }));
    assert!(
        m.loading.is_none() || retried,
        "either the load is given up or it is asked again"
    );
}

#[test]
fn a_failed_detail_clears_it_and_asks_for_the_one_wanted_next() {
    let mut m = loaded(3);
    let first = update(&mut m, key('j'));
    assert_eq!(shows(&first), vec!["t001"]);
    assert!(calls(&update(&mut m, key('j'))).is_empty());
    assert_eq!(m.detail_wanted.as_deref(), Some("t002"));
    let fx = answer(&mut m, &first, |_| {
        refused(ErrorCode::NotFound, "no tenant \"t001\"")
    });
    assert!(m.detail.is_none());
    assert!(m.detail_wanted.is_none());
    assert_eq!(shows(&fx), vec!["t002"]);
    assert!(m.flash.is_none(), "a missing detail is not flashed");
    // Nothing else wanted: cleared, nothing asked.
    let fx = answer(&mut m, &fx, |_| {
        refused(ErrorCode::NotFound, "no tenant \"t002\"")
    });
    assert!(fx.is_empty());
    assert!(m.detail.is_none());
}

#[test]
fn a_refused_link_is_flashed_and_opens_nothing() {
    let mut m = loaded(2);
    let fx = update(&mut m, key('n'));
    answer(&mut m, &fx, |_| {
        refused(ErrorCode::Conflict, "t000 is offboarded")
    });
    assert_eq!(flashed(&m), (Level::Error, "✖ t000 is offboarded"));
    assert!(matches!(m.screen(), Screen::Tenants));
    assert!(m.links.is_empty());
}

#[test]
fn a_refused_withdraw_is_flashed_and_keeps_the_link() {
    let mut m = link_screen_with_a_link(2);
    update(&mut m, key('w'));
    let fx = update(&mut m, key('y'));
    answer(&mut m, &fx, |_| {
        refused(ErrorCode::Unavailable, "store busy")
    });
    assert_eq!(flashed(&m), (Level::Error, "✖ store busy"));
    assert!(m.links.contains_key("t000"));
    assert!(matches!(m.screen(), Screen::Link(s) if s == "t000"));
    assert!(matches!(
        &update(&mut m, key('c'))[..],
        [Effect::Copy { .. }]
    ));
}

#[test]
fn a_retry_that_runs_says_so_and_shows_the_new_detail() {
    let mut m = loaded(2);
    let fx = update(&mut m, key('r'));
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t000",
            TenantStatus::ConnectionReady,
        )))))
    });
    assert_eq!(
        flashed(&m),
        (Level::Ok, "✔ provisioning of t000 runs again")
    );
    assert_eq!(
        m.detail.as_ref().map(|d| (d.slug.as_str(), d.status)),
        Some(("t000", TenantStatus::ConnectionReady))
    );
}

#[test]
fn a_retry_reply_after_the_selection_moved_keeps_the_selected_detail() {
    let mut m = loaded(3);
    let retry = update(&mut m, key('r'));
    let fx = update(&mut m, key('j'));
    settle(&mut m, fx);
    assert_eq!(m.detail.as_ref().map(|d| d.slug.as_str()), Some("t001"));
    answer(&mut m, &retry, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t000",
            TenantStatus::ConnectionReady,
        )))))
    });
    assert_eq!(flashed(&m).0, Level::Ok);
    assert_eq!(
        m.detail.as_ref().map(|d| d.slug.as_str()),
        Some("t001"),
        "the selected tenant's detail stays"
    );
    update(&mut m, key('e'));
    assert!(matches!(m.screen(), Screen::Form(_)), "so e still edits it");
}

#[test]
fn a_withdraw_reply_after_the_selection_moved_keeps_the_selected_detail() {
    let mut m = loaded(3);
    update(&mut m, key('w'));
    let withdraw = update(&mut m, key('y'));
    let fx = update(&mut m, key('j'));
    settle(&mut m, fx);
    assert_eq!(m.detail.as_ref().map(|d| d.slug.as_str()), Some("t001"));
    answer(&mut m, &withdraw, |_| {
        Some(Ok(Reply::Tenant(Box::new(view(
            "t000",
            TenantStatus::LinkIssued,
        )))))
    });
    assert_eq!(flashed(&m).0, Level::Ok);
    assert_eq!(
        m.detail.as_ref().map(|d| d.slug.as_str()),
        Some("t001"),
        "the selected tenant's detail stays"
    );
}

#[test]
fn edit_before_the_detail_arrived_says_so() {
    let mut m = loaded(3);
    m.detail = None;
    let fx = update(&mut m, key('e'));
    assert!(fx.is_empty());
    assert!(matches!(m.screen(), Screen::Tenants));
    assert!(m.flash.as_ref().unwrap().text.contains("still loading"));
}

#[test]
fn ctrl_c_while_filtering_quits_as_anywhere_else() {
    let mut m = loaded(3);
    update(&mut m, key('/'));
    typed(&mut m, "t0");
    let fx = quit_with(
        &mut m,
        Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Ok(Reply::Status(Box::new(status_with(1, 0)))),
    );
    assert!(fx.contains(&Effect::Quit));
    assert!(!m.filtering);
}

#[test]
fn h_checks_the_selected_tenants_token_and_a_refusal_raises_the_alarm_in_the_header() {
    use crate::domain::health::Health;
    use crate::engine::api::{HealthAlarm, HealthCheck};
    let mut m = loaded(2);
    m.status = Some(status_with(2, 0));
    let fx = update(&mut m, key('h'));
    assert!(
        matches!(calls(&fx)[..], [Command::CheckHealth { slug: Some(s) }] if s == "t000"),
        "{fx:?}"
    );
    assert_eq!(flashed(&m).0, Level::Info);
    let fx = answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Health {
            skipped: vec![],
            checks: vec![HealthCheck {
                slug: "t000".into(),
                health: Health::ClientError,
                reason: "Google refused our OAuth client (401 invalid_client)".into(),
                checked_at: "2026-12-01T00:00:00Z".into(),
                status: TenantStatus::Deployed,
            }],
            alarm: Some(HealthAlarm {
                reason: "Google refused our OAuth client (401 invalid_client)".into(),
                since: "2026-12-01T00:00:00Z".into(),
            }),
        }))
    });
    let (level, text) = flashed(&m);
    assert_eq!(level, Level::Error);
    assert!(text.contains("t000: token client_error"), "{text}");
    assert!(m.status.as_ref().unwrap().health_alarm.is_some());
    // The detail is asked again: the check may have changed the tenant.
    assert!(
        matches!(calls(&fx)[..], [Command::ShowTenant { slug }] if slug == "t000"),
        "{fx:?}"
    );
    // With no tenant shown, h says why it does nothing.
    let mut empty = loaded(0);
    assert!(calls(&update(&mut empty, key('h'))).is_empty());
}

#[test]
fn a_and_x_decide_a_waiting_consent_after_a_confirm_that_names_both_accounts() {
    use crate::engine::api::PendingView;
    let mut m = loaded(2);
    // No consent waits: A says so and asks nothing.
    let fx = update(&mut m, key('A'));
    assert!(calls(&fx).is_empty());
    assert!(m.confirm.is_none());
    assert!(
        flashed(&m).1.contains("no consent waiting"),
        "{:?}",
        m.flash
    );

    let mut d = view("t000", TenantStatus::AwaitingApproval);
    d.google_email = Some("ann@acme.com".into());
    d.pending_consent = Some(PendingView {
        account: "bob@acme.com".into(),
        sub: "2".into(),
        at: "2026-12-01T00:00:00Z".into(),
        underlying: TenantStatus::Deployed,
    });
    m.detail = Some(d.clone());
    for (k, want) in [('A', "Approve"), ('X', "Reject")] {
        let fx = update(&mut m, key(k));
        assert!(fx.is_empty(), "asks first");
        let text = m
            .confirm
            .as_ref()
            .map(|c| c.text.clone())
            .unwrap_or_default();
        assert!(
            text.starts_with(want)
                && text.contains("bob@acme.com")
                && text.contains("ann@acme.com"),
            "{text}"
        );
        let fx = update(&mut m, key('y'));
        let sent = calls(&fx);
        match k {
            'A' => assert!(matches!(sent[..], [Command::Approve { slug }] if slug == "t000")),
            _ => assert!(matches!(sent[..], [Command::Reject { slug }] if slug == "t000")),
        }
        let mut after = d.clone();
        after.status = TenantStatus::Deployed;
        after.pending_consent = None;
        answer(&mut m, &fx, |_| {
            Some(Ok(Reply::Tenant(Box::new(after.clone()))))
        });
        assert_eq!(flashed(&m).0, Level::Ok);
        assert!(m.detail.as_ref().unwrap().pending_consent.is_none());
        m.detail = Some(d.clone());
    }
    // n cancels.
    update(&mut m, key('X'));
    let fx = update(&mut m, key('n'));
    assert!(calls(&fx).is_empty() && m.confirm.is_none());
}

#[test]
fn the_status_is_asked_again_every_half_minute_for_the_alarm_no_event_carries() {
    let mut m = model();
    let fx = update(&mut m, Msg::Start);
    answer(&mut m, &fx, |c| {
        matches!(c, Command::Status).then(|| Ok(Reply::Status(Box::new(status_with(1, 0)))))
    });
    let soon = m.now + 1_000;
    let fx = update(&mut m, Msg::Tick(soon));
    assert!(calls(&fx).is_empty(), "{fx:?}");
    let t = m.now + 31_000;
    let fx = update(&mut m, Msg::Tick(t));
    assert!(matches!(calls(&fx)[..], [Command::Status]), "{fx:?}");
    // Not again while that one is out.
    assert!(calls(&update(&mut m, Msg::Tick(t + 40_000))).is_empty());
    let mut s = status_with(1, 0);
    s.health_alarm = Some(crate::engine::api::HealthAlarm {
        reason: "401 invalid_client".into(),
        since: "2026-12-01T00:00:00Z".into(),
    });
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Status(Box::new(s.clone()))))
    });
    assert!(m.status.as_ref().unwrap().health_alarm.is_some());
}

#[test]
fn o_offboards_the_selected_tenant_after_a_confirm() {
    let mut m = loaded(2);
    assert!(update(&mut m, key('O')).is_empty());
    assert!(matches!(&m.confirm, Some(c) if c.action == ConfirmAction::Offboard("t000".into())));
    let fx = update(&mut m, key('y'));
    assert!(
        matches!(&calls(&fx)[..], [Command::Offboard { slugs }] if slugs == &["t000".to_owned()]),
        "{fx:?}"
    );
    answer(&mut m, &fx, |_| {
        Some(Ok(Reply::Offboarding {
            note: None,
            started: vec![],
            skipped: vec![crate::engine::api::Skipped {
                slug: "t000".into(),
                reason: "tenant t000 is being offboarded".into(),
            }],
        }))
    });
    assert_eq!(
        flashed(&m),
        (
            Level::Error,
            "✖ t000 not offboarded: tenant t000 is being offboarded"
        )
    );
}
