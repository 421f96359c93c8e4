//! Pure update tests: a message in, the model and the effects out. No terminal, no engine.
//! Helpers here; the tests by concern beside them.

mod available;
mod commands;
mod details;
mod earlier_links;
mod engine_events;
mod form;
mod google_help;
mod incremental;
mod integrations;
mod link;
mod load;
mod mail;
mod mail_guard;
mod messages;
mod modes;
mod online;
mod palette;
mod registry;
mod selected;
mod several;
mod table;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::model::{Effect, Form, Level, Mode, Model, Msg, Setup, SetupLine};
use super::style::Theme;
use super::update::update;
use crate::domain::model::{LinkState, TenantStatus};
use crate::engine::api::{
    Command, LinkSummary, LinkView, ListQuery, Reply, StatusView, TenantSummary, TenantView,
};
use crate::engine::{ApiError, Attachment, ErrorCode, Event, EventBody, Item};

/// A console that runs the owner.
pub(super) fn owner() -> Attachment {
    Attachment::InProcess {
        pid: 1,
        placement: crate::engine::Placement::Serving,
    }
}

/// A console attached to the owner `pid`.
pub(super) fn attached(pid: u32) -> Attachment {
    Attachment::Socket {
        pid,
        version: "test".into(),
    }
}

/// The console's own exports folder in these tests.
pub(super) const EXPORTS: &str = "/home/op/.local/share/mcp-onboard/exports";

pub(super) fn setup(attachment: Attachment) -> Setup {
    Setup {
        attachment,
        public_url: "https://onboard.example.com/".into(),
        redirect_uri: "https://onboard.example.com/oauth/callback".into(),
        data_dir: "/var/lib/mcp-onboard".into(),
        exports: EXPORTS.into(),
        message_template: crate::message::template(None),
        problems: Vec::new(),
        mail: Err(crate::mail::MailError::Off.to_string()),
    }
}

pub(super) fn summary(slug: &str, status: TenantStatus, updated_ms: i64) -> TenantSummary {
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
        lang: None,
        statuses: Vec::new(),
        mail_to: None,
        mailed: None,
        updated_at: "2026-12-01T00:00:00Z".into(),
        updated_ms,
    }
}

pub(super) fn model() -> Model {
    let mut m = Model::new(setup(owner()), Theme { color: true }, 1_000_000);
    m.size = (80, 24);
    m
}

pub(super) fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub(super) fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub(super) fn ctrl_c() -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL))
}

pub(super) fn typed(m: &mut Model, text: &str) -> Vec<Effect> {
    text.chars().flat_map(|c| update(m, key(c))).collect()
}

/// Answer every call in `fx` that matches; returns the effects that follow.
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
    let mut v = crate::engine::api::fixtures::view(slug, &format!("{slug} Ltd"));
    v.summary.status = status;
    v.summary.updated_at = "2026-12-01T00:00:00Z".into();
    v.created_at = "2026-12-01T00:00:00Z".into();
    v
}

/// A tenant's reply to a command: its detail.
pub(super) fn tenant(slug: &str, status: TenantStatus) -> Option<Result<Reply, ApiError>> {
    Some(Ok(Reply::Tenant(Box::new(view(slug, status)))))
}

/// What the engine answers to a list query over `rows` (sorted by slug): after, limit.
pub(super) fn page_of(rows: &[TenantSummary], q: &ListQuery) -> Reply {
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

/// Answer the calls in `fx` that `f` answers, and those that follow, until none is left;
/// the other effects are returned.
pub(super) fn serve(
    m: &mut Model,
    mut fx: Vec<Effect>,
    f: impl Fn(&Command) -> Option<Result<Reply, ApiError>>,
) -> Vec<Effect> {
    let mut rest = Vec::new();
    while !fx.is_empty() {
        let mut next = Vec::new();
        for e in fx {
            match &e {
                Effect::Call { id, command } => match f(command) {
                    Some(result) => next.extend(update(m, Msg::Reply { id: *id, result })),
                    None => rest.push(e),
                },
                _ => rest.push(e),
            }
        }
        fx = next;
    }
    rest
}

/// Answer list pages from `rows` until the load is done; the other effects are returned.
pub(super) fn serve_pages(m: &mut Model, fx: Vec<Effect>, rows: &[TenantSummary]) -> Vec<Effect> {
    serve(m, fx, |c| match c {
        Command::ListTenants { query } => Some(Ok(page_of(rows, query))),
        _ => None,
    })
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
        Command::ShowTenant { slug } => tenant(slug, TenantStatus::Created),
        _ => None,
    });
    m
}

/// Answer every detail request in `fx` (and those that follow) with a plain view; the other
/// effects are returned.
pub(super) fn settle(m: &mut Model, fx: Vec<Effect>) -> Vec<Effect> {
    serve(m, fx, |c| match c {
        Command::ShowTenant { slug } => tenant(slug, TenantStatus::Created),
        _ => None,
    })
}

/// The slugs of the rows shown, in order.
pub(super) fn shown(m: &Model) -> Vec<&str> {
    m.table
        .visible
        .iter()
        .map(|i| m.table.rows[*i].slug.as_str())
        .collect()
}

/// What `c` does in the link view of `t000` with its link.
pub(super) fn copy_of_the_link() -> Vec<Effect> {
    vec![Effect::Copy {
        text: link_view("t000").url,
        what: "the link".into(),
    }]
}

pub(super) fn event(seq: u64, body: EventBody) -> Msg {
    Msg::Engine(Item::Event(Box::new(Event { seq, body })))
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
        deployment: String::new(),
        cluster: Default::default(),
    }
}

/// `q` on the owning console asks the engine for fresh numbers and lets them decide.
pub(super) fn quit_with(
    m: &mut Model,
    msg: Msg,
    answer_with: Result<Reply, ApiError>,
) -> Vec<Effect> {
    let fx = update(m, msg);
    assert!(!fx.contains(&Effect::Quit), "quit before the numbers came");
    assert!(matches!(calls(&fx)[..], [Command::Status]), "{fx:?}");
    answer(m, &fx, |_| Some(answer_with.clone()))
}

pub(super) fn flashed(m: &Model) -> (Level, &str) {
    let f = m.flash.as_ref().expect("a flash");
    (f.level, f.text.as_str())
}

pub(super) fn refused(code: ErrorCode, message: &str) -> Option<Result<Reply, ApiError>> {
    Some(Err(ApiError::new(code, message)))
}

pub(super) fn shows(fx: &[Effect]) -> Vec<&str> {
    calls(fx)
        .into_iter()
        .filter_map(|c| match c {
            Command::ShowTenant { slug } => Some(slug.as_str()),
            _ => None,
        })
        .collect()
}

pub(super) fn setup_panel(attachment: Attachment) -> Model {
    let mut s = setup(attachment);
    s.problems.push(SetupLine {
        ok: false,
        what: "google client".into(),
        detail: "missing".into(),
    });
    Model::new(s, Theme { color: true }, 0)
}

pub(super) fn link_summary(slug: &str) -> LinkSummary {
    LinkSummary {
        id: "x".into(),
        tenant: slug.into(),
        created_at: String::new(),
        expires_at: String::new(),
        expires_ms: 0,
        state: LinkState::Active,
        opened_at: None,
        open_count: 1,
        continue_count: 0,
    }
}

pub(super) fn link_view(slug: &str) -> LinkView {
    LinkView {
        slug: slug.into(),
        url: "https://onboard.example.com/c/AAAAAAAAAAAAAAAAAAAAAA".into(),
        id: "ab12cd34".into(),
        expires_at: "2026-12-08T00:00:00Z".into(),
        expires_ms: 1_000_000 + 7 * 86_400_000,
        ..Default::default()
    }
}

/// The link view of `t000`, with a link issued in this console.
pub(super) fn link_screen_with_a_link(n: usize) -> Model {
    let mut m = loaded(n);
    let fx = update(&mut m, key('n'));
    let fx = answer(&mut m, &fx, |c| match c {
        Command::IssueLink { slug, .. } => Some(Ok(Reply::Link(link_view(slug)))),
        _ => None,
    });
    settle(&mut m, fx);
    assert!(matches!(&m.mode, Mode::Link(s) if s == "t000"));
    m
}

/// What is typed in the palette, when it is open.
pub(super) fn palette(m: &Model) -> Option<&str> {
    match &m.mode {
        Mode::Palette(p) => Some(p.value()),
        _ => None,
    }
}

pub(super) fn filtering(m: &Model) -> bool {
    matches!(m.mode, Mode::Filter)
}

/// How far the help is scrolled, when it is open.
pub(super) fn help_scroll(m: &Model) -> Option<u16> {
    match &m.mode {
        Mode::Help { scroll, .. } => Some(*scroll),
        _ => None,
    }
}

/// The form shown.
pub(super) fn form(m: &Model) -> &Form {
    match &m.mode {
        Mode::Form(f) => f,
        other => panic!("no form: {other:?}"),
    }
}
