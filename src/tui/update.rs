//! `update(&mut Model, Msg) -> Vec<Effect>`: every change of the console's state, decided
//! without IO. The runner performs the effects and feeds their results back as messages,
//! tagged with the request id they answer.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use tui_input::Input;
use tui_input::backend::crossterm::EventHandler;

use super::keymap::{self, Action, Context};
use super::model::{
    Confirm, ConfirmAction, Effect, FLASH_MS, Field, Flash, Form, FormKind, Level, Model, Msg,
    Pending, Screen,
};
use crate::domain::lifecycle::{
    NewTenant, TenantEdit, normalise_email, valid_domain, validate_slug,
};
use crate::domain::link_ttl::parse_ttl;
use crate::domain::model::{ExpectedAccount, TenantStatus};
use crate::engine::api::{Command, ListQuery, Reply, SortKey, TenantSummary};
use crate::engine::{EventBody, Item};

/// Rows asked for first, so the first frame shows tenants before the whole list arrives.
pub const FIRST_PAGE: usize = 200;
/// Rows per page after the first.
pub const PAGE: usize = 5_000;
/// A load that failed is tried again this long after.
const RELOAD_AFTER_MS: i64 = 2_000;
/// The status is asked again this often (the alarm about our client is in it).
const STATUS_EVERY_MS: i64 = 30_000;
const DEFAULT_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

pub fn update(m: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut fx = Vec::new();
    match msg {
        Msg::Start => {
            call(m, &mut fx, Pending::Status, Command::Status);
            start_load(m, &mut fx);
        }
        Msg::Tick(now) => {
            m.now = now;
            if now - m.status_asked_at >= STATUS_EVERY_MS
                && !m.pending.values().any(|p| matches!(p, Pending::Status))
            {
                m.status_asked_at = now;
                call(m, &mut fx, Pending::Status, Command::Status);
            }
            if m.reload_at.is_some_and(|t| t <= now) {
                m.reload_at = None;
                start_load(m, &mut fx);
            }
            if m.flash.as_ref().is_some_and(|f| f.until <= now) {
                m.flash = None;
            }
        }
        Msg::Resize(w, h) => {
            m.size = (w, h);
            keep_in_view(m);
        }
        Msg::Key(k) => key(m, k, &mut fx),
        Msg::Paste(text) => paste(m, &text, &mut fx),
        Msg::Engine(item) => engine_event(m, item, &mut fx),
        Msg::Reply { id, result } => reply(m, id, result, &mut fx),
        Msg::Copied(r) => match r {
            Ok(what) => flash(
                m,
                Level::Ok,
                format!("✔ {what} copied to the clipboard (OSC 52)"),
            ),
            Err(e) => flash(m, Level::Error, format!("copy failed: {e}")),
        },
        Msg::Exported(r) => match r {
            Ok(paths) => flash(
                m,
                Level::Ok,
                format!("✔ QR code written to {}", super::selected::files(&paths)),
            ),
            Err(e) => flash(m, Level::Error, format!("export failed: {e}")),
        },
        Msg::Signal(name) => {
            tracing::info!(signal = name, "leaving on a signal");
            m.quit = true;
            fx.push(Effect::Quit);
        }
        Msg::OwnerLost => {
            if m.lost.is_none() {
                m.lost = Some(m.now);
            }
            let pid = match m.setup.mode {
                super::model::Mode::Attached { pid } => format!(" (pid {pid})"),
                super::model::Mode::Owner => String::new(),
            };
            flash(
                m,
                Level::Error,
                format!("✖ the owner{pid} went away: reconnecting; what is shown may be stale"),
            );
            // Nothing in flight will be answered.
            m.pending.clear();
            m.detail_wanted = None;
        }
        Msg::Reattached { pid } => {
            m.setup.mode = super::model::Mode::Attached { pid };
            m.lost = None;
            flash(m, Level::Ok, format!("✔ attached again, to pid {pid}"));
            fx.extend(update(m, Msg::Start));
            want_detail(m, &mut fx);
        }
    }
    fx
}

/// Load every tenant afresh, page by page: a first small page to draw at once, then pages
/// of `PAGE` (no one message has to hold 100,000 tenants, on either side of the socket).
fn start_load(m: &mut Model, fx: &mut Vec<Effect>) {
    m.load_generation += 1;
    let generation = m.load_generation;
    m.loading = Some(super::model::Loading {
        generation,
        ..Default::default()
    });
    ask_page(m, fx, generation, None, FIRST_PAGE);
}

fn ask_page(
    m: &mut Model,
    fx: &mut Vec<Effect>,
    generation: u64,
    after: Option<String>,
    limit: usize,
) {
    let query = ListQuery {
        after,
        limit: Some(limit),
        ..Default::default()
    };
    call(
        m,
        fx,
        Pending::Page { generation, limit },
        Command::ListTenants { query },
    );
}

/// A page came in: keep it, ask for the next, or finish the load.
fn page_in(
    m: &mut Model,
    generation: u64,
    limit: usize,
    tenants: Vec<TenantSummary>,
    fx: &mut Vec<Effect>,
) {
    let Some(loading) = m.loading.as_mut().filter(|l| l.generation == generation) else {
        return; // A load that was started over.
    };
    let first = loading.rows.is_empty();
    let got = tenants.len();
    loading.rows.extend(tenants);
    let last = loading.rows.last().map(|r| r.slug.clone());
    let more = got == limit && last.is_some();
    if more {
        if first && !m.loaded {
            // Draw the first page now; the rest follows.
            let rows = with_touched(loading.rows.clone(), &loading.touched);
            let had_detail = m.detail.is_some();
            set_rows(m, rows);
            if !had_detail {
                want_detail(m, fx);
            }
        }
        ask_page(m, fx, generation, last, PAGE);
        return;
    }
    let Some(done) = m.loading.take() else { return };
    let rows = with_touched(done.rows, &done.touched);
    m.loaded = true;
    let had_detail = m.detail.is_some();
    set_rows(m, rows);
    if !had_detail {
        want_detail(m, fx);
    }
}

/// The pages, with what events said since the load began put over them.
fn with_touched(
    mut rows: Vec<TenantSummary>,
    touched: &HashMap<String, Option<TenantSummary>>,
) -> Vec<TenantSummary> {
    if touched.is_empty() {
        return rows;
    }
    rows.retain(|r| !touched.contains_key(&r.slug));
    rows.extend(touched.values().flatten().cloned());
    rows
}

pub(super) fn call(m: &mut Model, fx: &mut Vec<Effect>, p: Pending, command: Command) {
    let id = m.next_id;
    m.next_id += 1;
    m.pending.insert(id, p);
    fx.push(Effect::Call { id, command });
}

pub fn flash(m: &mut Model, level: Level, text: String) {
    m.flash = Some(Flash {
        text,
        level,
        until: m.now + FLASH_MS,
    });
}

// ---- the table ----

fn cmp_rows(a: &TenantSummary, b: &TenantSummary, sort: SortKey) -> Ordering {
    match sort {
        SortKey::Slug => a.slug.cmp(&b.slug),
        SortKey::Name => a
            .display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then_with(|| a.slug.cmp(&b.slug)),
        SortKey::Status => a.status.cmp(&b.status).then_with(|| a.slug.cmp(&b.slug)),
        SortKey::Changed => b
            .updated_ms
            .cmp(&a.updated_ms)
            .then_with(|| a.slug.cmp(&b.slug)),
    }
}

fn sort_rows(rows: &mut [TenantSummary], sort: SortKey) {
    match sort {
        // One lowercase key per row, not one per comparison.
        SortKey::Name => {
            rows.sort_by_cached_key(|r| (r.display_name.to_lowercase(), r.slug.clone()))
        }
        // Slugs are unique: no two rows compare equal, so stability buys nothing.
        _ => rows.sort_unstable_by(|a, b| cmp_rows(a, b, sort)),
    }
}

/// Whether `hay` contains `needle` (already lowercase), ignoring case; no allocation for
/// ASCII text, which slugs, emails and most names are.
fn contains_folded(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() {
        let (h, n) = (hay.as_bytes(), needle.as_bytes());
        return needle.is_ascii()
            && h.len() >= n.len()
            && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
    }
    hay.to_lowercase().contains(needle)
}

fn passes(status_filter: &[TenantStatus], r: &TenantSummary, needle: &str) -> bool {
    if !status_filter.is_empty() && !status_filter.contains(&r.status) {
        return false;
    }
    if needle.is_empty() {
        return true;
    }
    let hit = |s: &str| contains_folded(s, needle);
    hit(&r.slug)
        || hit(&r.display_name)
        || r.google_email.as_deref().is_some_and(hit)
        || r.reason.as_deref().is_some_and(hit)
}

/// Recompute which rows pass the filter, keeping the selection on the same tenant.
pub fn refilter(m: &mut Model) {
    let keep = m.selected_slug();
    refilter_keeping(m, keep);
}

/// After a filter keystroke: when the text only grew (typing), only the rows shown can
/// still pass, so only they are looked at.
fn refilter_typed(m: &mut Model) {
    let needle = m.filter.value().to_lowercase();
    let (was, statuses) = &m.visible_for;
    if !was.is_empty() && needle.contains(was.as_str()) && *statuses == m.status_filter {
        let keep = m.selected_slug();
        let (rows, sf) = (&m.rows, &m.status_filter);
        m.visible.retain(|i| passes(sf, &rows[*i], &needle));
        m.visible_for.0 = needle;
        reselect(m, keep);
    } else {
        refilter(m);
    }
}

/// The same, when the rows changed under the selection: `keep` is who was selected.
fn refilter_keeping(m: &mut Model, keep: Option<String>) {
    let needle = m.filter.value().to_lowercase();
    let sf = &m.status_filter;
    let visible: Vec<usize> = if needle.is_empty() && sf.is_empty() {
        (0..m.rows.len()).collect()
    } else {
        (0..m.rows.len())
            .filter(|i| passes(sf, &m.rows[*i], &needle))
            .collect()
    };
    m.visible = visible;
    m.visible_for = (needle, m.status_filter.clone());
    reselect(m, keep);
}

/// Put the selection back on `keep` if it is still shown, else keep its place.
fn reselect(m: &mut Model, keep: Option<String>) {
    let at = keep
        .and_then(|s| row_index(m, &s))
        .and_then(|ri| m.visible.binary_search(&ri).ok());
    m.selected = at
        .unwrap_or(m.selected)
        .min(m.visible.len().saturating_sub(1));
    keep_in_view(m);
}

fn keep_in_view(m: &mut Model) {
    let h = m.table_rows();
    if m.selected < m.scroll {
        m.scroll = m.selected;
    } else if m.selected >= m.scroll + h {
        m.scroll = m.selected + 1 - h;
    }
    let max = m.visible.len().saturating_sub(h);
    m.scroll = m.scroll.min(max);
}

fn row_index(m: &Model, slug: &str) -> Option<usize> {
    m.row_of(slug)
}

/// Sort the rows again (the sort key changed), keeping the selection.
fn resort(m: &mut Model) {
    let keep = m.selected_slug();
    let mut rows = std::mem::take(&mut m.rows);
    sort_rows(&mut rows, m.sort);
    m.rows = rows;
    refilter_keeping(m, keep);
}

/// Replace every row (a load finished), sorted by the current key; counts and filter follow.
pub fn set_rows(m: &mut Model, mut rows: Vec<TenantSummary>) {
    let keep = m.selected_slug();
    sort_rows(&mut rows, m.sort);
    m.group_counts = [0; super::style::Group::ALL.len()];
    for r in &rows {
        m.group_counts[super::style::group(r.status).index()] += 1;
    }
    m.rows = rows;
    refilter_keeping(m, keep);
}

/// Take row `i` out, keeping `visible` and the counts right: O(shown rows), no refilter.
fn take_row(m: &mut Model, i: usize) -> TenantSummary {
    let old = m.rows.remove(i);
    let g = super::style::group(old.status).index();
    m.group_counts[g] = m.group_counts[g].saturating_sub(1);
    if let Ok(p) = m.visible.binary_search(&i) {
        m.visible.remove(p);
    }
    for v in &mut m.visible {
        if *v > i {
            *v -= 1;
        }
    }
    old
}

/// Put a row in its sorted place, shown if it passes the filter.
fn put_row(m: &mut Model, s: TenantSummary) {
    let at = m
        .rows
        .partition_point(|r| cmp_rows(r, &s, m.sort) == Ordering::Less);
    m.group_counts[super::style::group(s.status).index()] += 1;
    let shown = passes(&m.status_filter, &s, &m.visible_for.0);
    m.rows.insert(at, s);
    for v in &mut m.visible {
        if *v >= at {
            *v += 1;
        }
    }
    if shown {
        let p = m.visible.partition_point(|v| *v < at);
        m.visible.insert(p, at);
    }
}

/// One tenant changed (or was added): put its new summary in place.
fn upsert(m: &mut Model, s: TenantSummary) {
    if let Some(l) = m.loading.as_mut() {
        l.touched.insert(s.slug.clone(), Some(s.clone()));
    }
    let keep = m.selected_slug();
    if let Some(i) = row_index(m, &s.slug) {
        take_row(m, i);
    }
    put_row(m, s);
    reselect(m, keep);
}

fn remove(m: &mut Model, slug: &str) {
    if let Some(l) = m.loading.as_mut() {
        l.touched.insert(slug.to_owned(), None);
    }
    let keep = m.selected_slug();
    if let Some(i) = row_index(m, slug) {
        take_row(m, i);
        reselect(m, keep);
    }
}

/// Ask for the selected tenant's detail (one request at a time; the last wish wins).
fn want_detail(m: &mut Model, fx: &mut Vec<Effect>) {
    let Some(slug) = m.selected_slug() else {
        m.detail = None;
        return;
    };
    let in_flight = m.pending.values().any(|p| matches!(p, Pending::Show(_)));
    if in_flight {
        m.detail_wanted = Some(slug);
    } else {
        m.detail_wanted = None;
        call(
            m,
            fx,
            Pending::Show(slug.clone()),
            Command::ShowTenant { slug },
        );
    }
}

fn move_to(m: &mut Model, to: usize, fx: &mut Vec<Effect>) {
    let before = m.selected;
    m.selected = to.min(m.visible.len().saturating_sub(1));
    keep_in_view(m);
    if m.selected != before || m.detail.is_none() {
        want_detail(m, fx);
    }
}

// ---- engine events and replies ----

fn engine_event(m: &mut Model, item: Item, fx: &mut Vec<Effect>) {
    let e = match item {
        Item::Event(e) => e,
        Item::Lagged { missed } => {
            flash(
                m,
                Level::Info,
                format!("caught up after missing {missed} events"),
            );
            start_load(m, fx);
            call(m, fx, Pending::Status, Command::Status);
            return;
        }
    };
    let selected = m.selected_slug();
    match e.body {
        EventBody::TenantChanged { slug, summary, .. } => {
            if let Some(s) = summary {
                upsert(m, s);
            }
            if selected.is_none() || selected.as_deref() == Some(slug.as_str()) {
                want_detail(m, fx);
            }
        }
        EventBody::TenantRemoved { slug } => {
            remove(m, &slug);
            if selected.as_deref() == Some(slug.as_str()) {
                want_detail(m, fx);
            }
        }
        EventBody::LinkChanged { slug, .. } => {
            if selected.as_deref() == Some(slug.as_str()) {
                want_detail(m, fx);
            }
        }
        EventBody::ProvisionerChanged { provisioner } => m.provisioner = provisioner,
    }
}

fn reply(
    m: &mut Model,
    id: u64,
    result: Result<Reply, crate::engine::ApiError>,
    fx: &mut Vec<Effect>,
) {
    let Some(p) = m.pending.remove(&id) else {
        return; // Stale: nobody waits for it.
    };
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            match &p {
                // The engine cannot say: nothing to protect that could be seen.
                Pending::QuitCheck => {
                    m.quit = true;
                    fx.push(Effect::Quit);
                    return;
                }
                Pending::Add { .. } | Pending::Edit(_) => {
                    if let Some(Screen::Form(f)) = m.screens.last_mut() {
                        f.error = Some(e.message.clone());
                        return;
                    }
                }
                Pending::Show(_) => {
                    m.detail = None;
                    if let Some(next) = m.detail_wanted.take() {
                        let _ = next;
                        want_detail(m, fx);
                    }
                    return;
                }
                Pending::Page { generation, .. }
                    if m.loading
                        .as_ref()
                        .is_some_and(|l| l.generation == *generation) =>
                {
                    // Give this load up and start a fresh one a little later (on a tick).
                    m.loading = None;
                    m.reload_at = Some(m.now + RELOAD_AFTER_MS);
                    flash(
                        m,
                        Level::Error,
                        format!("✖ could not load the tenants: {}; trying again", e.message),
                    );
                    return;
                }
                _ => {}
            }
            flash(m, Level::Error, format!("✖ {}", e.message));
            return;
        }
    };
    match (p, r) {
        (Pending::Page { generation, limit }, Reply::Tenants { tenants, .. }) => {
            page_in(m, generation, limit, tenants, fx);
        }
        (Pending::Status, Reply::Status(s)) => {
            m.provisioner = s.provisioner_state.clone();
            super::attached::take_status(m, &s);
            m.status = Some(*s);
        }
        (Pending::QuitCheck, Reply::Status(s)) => {
            m.provisioner = s.provisioner_state.clone();
            quit_checked(m, &s, fx);
            m.status = Some(*s);
        }
        (Pending::Show(slug), Reply::Tenant(t)) => {
            if m.selected_slug().as_deref() == Some(slug.as_str()) {
                m.detail = Some(*t);
            }
            if let Some(next) = m.detail_wanted.take()
                && (next != slug || m.selected_slug().as_deref() != Some(slug.as_str()))
            {
                want_detail(m, fx);
            }
        }
        (Pending::Add { slug, ttl }, Reply::Tenant(t)) => {
            close_form(m);
            upsert(
                m,
                crate::engine::api::TenantSummary {
                    slug: t.slug.clone(),
                    display_name: t.display_name.clone(),
                    status: t.status,
                    failure: t.failure,
                    reason: t.reason.clone(),
                    google_email: t.google_email.clone(),
                    expected_account: t.expected_account.clone(),
                    step: None,
                    blaxel_status: None,
                    mcp_url: None,
                    updated_at: t.updated_at.clone(),
                    updated_ms: m.now,
                },
            );
            select_slug(m, &slug, fx);
            flash(m, Level::Ok, format!("✔ tenant {slug} added"));
            if let Some(ttl) = ttl {
                call(
                    m,
                    fx,
                    Pending::Link(slug.clone()),
                    Command::IssueLink {
                        slug,
                        ttl_secs: ttl,
                        replace: false,
                    },
                );
            }
        }
        (Pending::Edit(slug), Reply::Tenant(t)) => {
            close_form(m);
            flash(m, Level::Ok, format!("✔ tenant {slug} saved"));
            set_detail_if_selected(m, *t);
        }
        (Pending::Link(slug), Reply::Link(l)) => {
            m.links.insert(slug.clone(), l);
            if !matches!(m.screen(), Screen::Link(s) if *s == slug) {
                m.screens.push(Screen::Link(slug.clone()));
            }
            flash(m, Level::Ok, format!("✔ new consent link for {slug}"));
            want_detail(m, fx);
        }
        (Pending::Withdraw(slug), Reply::Tenant(t)) => {
            m.links.remove(&slug);
            flash(m, Level::Ok, format!("✔ unused links of {slug} withdrawn"));
            set_detail_if_selected(m, *t);
        }
        (Pending::Retry(slug), Reply::Tenant(t)) => {
            flash(m, Level::Ok, format!("✔ provisioning of {slug} runs again"));
            set_detail_if_selected(m, *t);
        }
        (
            Pending::Offboard(slug),
            Reply::Offboarding {
                started, skipped, ..
            },
        ) => {
            if started.contains(&slug) {
                flash(
                    m,
                    Level::Ok,
                    format!("✔ offboarding {slug}: each step shows on its timeline"),
                );
            } else {
                let why = skipped
                    .first()
                    .map_or("refused".to_owned(), |s| s.reason.clone());
                flash(m, Level::Error, format!("✖ {slug} not offboarded: {why}"));
            }
        }
        (Pending::Approve(slug), Reply::Tenant(t)) => {
            flash(
                m,
                Level::Ok,
                format!("✔ {slug}: the new account's consent is in; provisioning runs"),
            );
            set_detail_if_selected(m, *t);
        }
        (Pending::Reject(slug), Reply::Tenant(t)) => {
            flash(
                m,
                Level::Ok,
                format!("✔ {slug}: the waiting consent was rejected and wiped"),
            );
            set_detail_if_selected(m, *t);
        }
        (Pending::CheckToken(slug), Reply::Health { checks, alarm, .. }) => {
            if let Some(s) = m.status.as_mut() {
                s.health_alarm = alarm.clone();
            }
            match checks.first() {
                Some(c) => {
                    let level = match c.health {
                        crate::domain::health::Health::Healthy => Level::Ok,
                        crate::domain::health::Health::Transient => Level::Info,
                        _ => Level::Error,
                    };
                    flash(
                        m,
                        level,
                        format!("{slug}: token {}: {}", c.health, c.reason),
                    );
                }
                None => flash(m, Level::Info, format!("{slug}: nothing checked")),
            }
            // The check may have changed the tenant: its event brings the row; ask the detail.
            if m.selected_slug().as_deref() == Some(slug.as_str()) {
                call(
                    m,
                    fx,
                    Pending::Show(slug.clone()),
                    Command::ShowTenant { slug },
                );
            }
        }
        _ => {}
    }
}

/// A reply carries a tenant's detail: shown only if that tenant is still the one selected
/// (the operator may have moved on while it was out).
fn set_detail_if_selected(m: &mut Model, t: crate::engine::api::TenantView) {
    if m.selected_slug().as_deref() == Some(t.slug.as_str()) {
        m.detail = Some(t);
    }
}

fn select_slug(m: &mut Model, slug: &str, fx: &mut Vec<Effect>) {
    if let Some(pos) = m.visible.iter().position(|i| m.rows[*i].slug == slug) {
        move_to(m, pos, fx);
    } else {
        // Filtered out: clear the filter so the operator sees what was just done.
        m.filter = Input::default();
        m.status_filter.clear();
        refilter(m);
        if let Some(pos) = m.visible.iter().position(|i| m.rows[*i].slug == slug) {
            move_to(m, pos, fx);
        }
    }
}

// ---- keys ----

fn context(m: &Model) -> Context {
    if m.confirm.is_some() {
        return Context::Confirm;
    }
    match m.screen() {
        Screen::Setup => Context::Setup,
        Screen::Tenants => Context::Tenants,
        Screen::Link(_) => Context::Link,
        Screen::Form(_) => Context::Form,
        Screen::Help => Context::Help,
    }
}

fn key(m: &mut Model, k: KeyEvent, fx: &mut Vec<Effect>) {
    // No dependence on key-release events: only presses (and repeats) count.
    if k.kind == KeyEventKind::Release {
        return;
    }
    if k.code == KeyCode::Char('c')
        && k.modifiers.contains(KeyModifiers::CONTROL)
        && m.palette.is_none()
    {
        m.filtering = false;
        ask_quit(m, fx);
        return;
    }
    if m.palette.is_some() {
        palette_key(m, k, fx);
        return;
    }
    if m.filtering {
        filter_key(m, k, fx);
        return;
    }
    let ctx = context(m);
    if ctx == Context::Form {
        if let Some(a) = keymap::action(ctx, &k) {
            form_action(m, a, fx);
        } else if let Some(Screen::Form(f)) = m.screens.last_mut() {
            let i = f.focus;
            f.fields[i].input.handle_event(&Event::Key(k));
            validate_form(f);
        }
        return;
    }
    let Some(action) = keymap::action(ctx, &k) else {
        return;
    };
    match ctx {
        Context::Confirm => confirm_action(m, action, fx),
        Context::Help => match action {
            Action::Back => {
                m.screens.pop();
                m.help_scroll = 0;
            }
            Action::Up => m.help_scroll = m.help_scroll.saturating_sub(1),
            Action::Down => {
                let end = super::view::layout::help_max_scroll(m);
                m.help_scroll = m.help_scroll.saturating_add(1).min(end);
            }
            _ => {}
        },
        Context::Setup => match action {
            Action::Continue => {
                m.screens.pop();
            }
            Action::CopyRedirect => fx.push(Effect::Copy {
                text: m.setup.redirect_uri.clone(),
                what: "the redirect URI".into(),
            }),
            Action::Quit => {
                m.quit = true;
                fx.push(Effect::Quit);
            }
            _ => {}
        },
        Context::Link => link_action(m, action, fx),
        Context::Tenants => tenants_action(m, action, fx),
        Context::Form => {}
    }
}

fn tenants_action(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let page = m.table_rows();
    if keymap::needs_tenant(a) && m.selected_row().is_none() {
        let why = if m.rows.is_empty() {
            "no tenant yet: press a to add one"
        } else {
            "no tenant shown: esc clears the filter"
        };
        flash(m, Level::Info, why.into());
        return;
    }
    match a {
        Action::Up => move_to(m, m.selected.saturating_sub(1), fx),
        Action::Down => move_to(m, m.selected + 1, fx),
        Action::PageUp => move_to(m, m.selected.saturating_sub(page), fx),
        Action::PageDown => move_to(m, m.selected + page, fx),
        Action::Top => move_to(m, 0, fx),
        Action::Bottom => move_to(m, usize::MAX, fx),
        Action::Back if (!m.filter.value().is_empty() || !m.status_filter.is_empty()) => {
            m.filter = Input::default();
            m.status_filter.clear();
            refilter(m);
            want_detail(m, fx);
        }
        Action::Filter => m.filtering = true,
        Action::Sort => {
            m.sort = match m.sort {
                SortKey::Slug => SortKey::Status,
                SortKey::Status => SortKey::Changed,
                SortKey::Changed => SortKey::Name,
                SortKey::Name => SortKey::Slug,
            };
            resort(m);
        }
        Action::Help => m.screens.push(Screen::Help),
        Action::Palette => m.palette = Some(Input::default()),
        Action::Add => m.screens.push(Screen::Form(add_form())),
        Action::Edit => match edit_form(m) {
            Some(f) => m.screens.push(Screen::Form(f)),
            None => flash(
                m,
                Level::Info,
                "the tenant's details are still loading: try again in a moment".into(),
            ),
        },
        Action::Open => {
            if let Some(slug) = m.selected_slug() {
                m.screens.push(Screen::Link(slug));
            }
        }
        Action::NewLink => {
            if let Some(slug) = m.selected_slug() {
                issue_link(m, slug, DEFAULT_TTL.as_secs(), fx);
            }
        }
        Action::Withdraw => {
            if let Some(slug) = m.selected_slug() {
                ask_withdraw(m, slug);
            }
        }
        Action::Retry => {
            if let Some(slug) = m.selected_slug() {
                super::selected::retry(m, slug, fx);
            }
        }
        Action::CopyMcpUrl | Action::TimelineBack | Action::TimelineOn => {
            super::selected::act(m, a, fx)
        }
        Action::CheckToken => {
            if let Some(slug) = m.selected_slug() {
                flash(
                    m,
                    Level::Info,
                    format!("checking {slug}'s token at Google…"),
                );
                call(
                    m,
                    fx,
                    Pending::CheckToken(slug.clone()),
                    Command::CheckHealth { slug: Some(slug) },
                );
            }
        }
        Action::Approve | Action::Reject => ask_decision(m, a),
        Action::Offboard => {
            if let Some(slug) = m.selected_slug() {
                m.confirm = Some(Confirm {
                    text: format!(
                        "Offboard {slug}? Its grant goes back to Google (unless another tenant holds a consent by that account), its MCP server and connection are deleted at Blaxel and its secrets wiped. The record stays, as offboarded."
                    ),
                    action: ConfirmAction::Offboard(slug),
                });
            }
        }
        Action::Quit => ask_quit(m, fx),
        _ => {}
    }
}

/// `A`/`X`: only for a tenant with a consent waiting, shown with both accounts.
fn ask_decision(m: &mut Model, a: Action) {
    let Some(slug) = m.selected_slug() else {
        return;
    };
    let waiting = m.detail.as_ref().filter(|d| d.slug == slug).and_then(|d| {
        d.pending_consent
            .clone()
            .map(|p| (p, d.google_email.clone()))
    });
    let Some((p, before)) = waiting else {
        flash(
            m,
            Level::Error,
            format!("{slug} has no consent waiting for approval"),
        );
        return;
    };
    let before = before.unwrap_or_else(|| "the previous account".into());
    m.confirm = Some(if a == Action::Approve {
        Confirm {
            text: format!(
                "Approve the consent of {slug} by {}? It replaces {before}: its token goes to Blaxel, and {before}'s grant is given back at Google unless another tenant holds a consent by it.",
                p.account
            ),
            action: ConfirmAction::Approve(slug),
        }
    } else {
        Confirm {
            text: format!(
                "Reject the consent of {slug} by {}? Its grant is given back at Google (unless another tenant holds a consent by it) and wiped; {before} stays.",
                p.account
            ),
            action: ConfirmAction::Reject(slug),
        }
    });
}

fn issue_link(m: &mut Model, slug: String, ttl_secs: u64, fx: &mut Vec<Effect>) {
    call(
        m,
        fx,
        Pending::Link(slug.clone()),
        Command::IssueLink {
            slug,
            ttl_secs,
            replace: false,
        },
    );
}

fn ask_withdraw(m: &mut Model, slug: String) {
    m.confirm = Some(Confirm {
        text: format!(
            "Withdraw every unused consent link of {slug}? Customers who have them will see \"This link was withdrawn\"."
        ),
        action: ConfirmAction::Withdraw(slug),
    });
}

/// Quitting a console that owns the runtime stops the listener: ask first when that would
/// cut someone off. The numbers are asked for afresh (a console may have attached a moment
/// ago); the answer decides.
fn ask_quit(m: &mut Model, fx: &mut Vec<Effect>) {
    if m.setup.mode == super::model::Mode::Owner {
        if !m.pending.values().any(|p| *p == Pending::QuitCheck) {
            call(m, fx, Pending::QuitCheck, Command::Status);
        }
        return;
    }
    m.quit = true;
    fx.push(Effect::Quit);
}

/// The fresh numbers for `q` on the owning console.
fn quit_checked(m: &mut Model, s: &crate::engine::api::StatusView, fx: &mut Vec<Effect>) {
    let (others, flows) = (s.subscribers.saturating_sub(1), s.pending_flows);
    if others == 0 && flows == 0 {
        m.quit = true;
        fx.push(Effect::Quit);
        return;
    }
    let mut why = Vec::new();
    if others > 0 {
        why.push(format!(
            "{others} other console{} or watcher{} attached",
            plural(others),
            plural(others)
        ));
    }
    if flows > 0 {
        why.push(format!("{flows} customer{} mid-consent", plural(flows)));
    }
    m.confirm = Some(Confirm {
        text: format!(
            "Quit and stop the listener? {} will lose it.",
            why.join(" and ")
        ),
        action: ConfirmAction::Quit,
    });
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn confirm_action(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Some(c) = m.confirm.take() else { return };
    if a != Action::Confirm {
        return;
    }
    match c.action {
        ConfirmAction::Withdraw(slug) => {
            call(
                m,
                fx,
                Pending::Withdraw(slug.clone()),
                Command::RevokeLinks { slug },
            );
        }
        ConfirmAction::Approve(slug) => {
            call(
                m,
                fx,
                Pending::Approve(slug.clone()),
                Command::Approve { slug },
            );
        }
        ConfirmAction::Reject(slug) => {
            call(
                m,
                fx,
                Pending::Reject(slug.clone()),
                Command::Reject { slug },
            );
        }
        ConfirmAction::Offboard(slug) => {
            call(
                m,
                fx,
                Pending::Offboard(slug.clone()),
                Command::Offboard { slugs: vec![slug] },
            );
        }
        ConfirmAction::Quit => {
            m.quit = true;
            fx.push(Effect::Quit);
        }
    }
}

fn link_action(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Screen::Link(slug) = m.screen().clone() else {
        return;
    };
    let link = m.links.get(&slug).cloned();
    match a {
        Action::Back => {
            m.screens.pop();
        }
        Action::Help => m.screens.push(Screen::Help),
        Action::NewLink => issue_link(m, slug, DEFAULT_TTL.as_secs(), fx),
        Action::Withdraw => ask_withdraw(m, slug),
        Action::CopyLink | Action::CopyMessage | Action::Export => {
            let Some(link) = link else {
                flash(
                    m,
                    Level::Info,
                    "no link issued in this console yet: press n for a new one".into(),
                );
                return;
            };
            match a {
                Action::CopyLink => fx.push(Effect::Copy {
                    text: link.url.clone(),
                    what: "the link".into(),
                }),
                Action::CopyMessage => {
                    let text = message(m, &slug, &link);
                    fx.push(Effect::Copy {
                        text,
                        what: "the message".into(),
                    });
                }
                _ => fx.push(Effect::Export {
                    data_dir: m.setup.data_dir.clone().into(),
                    name: format!("{slug}-{}", link.id),
                    url: link.url,
                }),
            }
        }
        _ => {}
    }
}

/// The ready-to-send message for a link.
pub fn message(m: &Model, slug: &str, link: &crate::engine::api::LinkView) -> String {
    let row = m.rows.iter().find(|r| r.slug == slug);
    let name = row.map_or(slug, |r| r.display_name.as_str());
    crate::message::render(
        &m.setup.message_template,
        &crate::message::MessageFacts {
            tenant: name,
            link: &link.url,
            expires: &link.expires_at,
            integration: crate::domain::model::Integration::Gmail,
            expected: row.and_then(|r| r.expected_account.as_ref()),
        },
    )
}

// ---- the filter and the palette ----

fn filter_key(m: &mut Model, k: KeyEvent, fx: &mut Vec<Effect>) {
    match k.code {
        KeyCode::Enter => m.filtering = false,
        KeyCode::Esc => {
            m.filtering = false;
            m.filter = Input::default();
            refilter(m);
            want_detail(m, fx);
        }
        KeyCode::Down | KeyCode::Up => {
            m.filtering = false;
            tenants_action(
                m,
                if k.code == KeyCode::Down {
                    Action::Down
                } else {
                    Action::Up
                },
                fx,
            );
        }
        _ => {
            let before = m.filter.value().to_owned();
            m.filter.handle_event(&Event::Key(k));
            if m.filter.value() != before {
                refilter_typed(m);
                want_detail(m, fx);
            }
        }
    }
}

fn paste(m: &mut Model, text: &str, fx: &mut Vec<Effect>) {
    // One line only, and no control characters (nor bidi controls): a paste is text,
    // never keys.
    let clean: String = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !crate::text::is_unsafe(*c))
        .collect();
    let append = |input: &mut Input| {
        let v = format!("{}{}", input.value(), clean);
        *input = Input::new(v);
    };
    if let Some(p) = m.palette.as_mut() {
        append(p);
    } else if m.filtering {
        append(&mut m.filter);
        refilter_typed(m);
        want_detail(m, fx);
    } else if let Some(Screen::Form(f)) = m.screens.last_mut() {
        let i = f.focus;
        append(&mut f.fields[i].input);
        validate_form(f);
    }
}

/// The palette's commands: `(name, arguments, what it does)`.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("add", "", "add a tenant"),
    ("edit", "SLUG", "edit a tenant"),
    (
        "link",
        "SLUG [TTL]",
        "issue a consent link (TTL like 30m, 24h, 7d)",
    ),
    ("open", "SLUG", "show a tenant's link view"),
    ("withdraw", "SLUG", "withdraw a tenant's unused links"),
    ("retry", "SLUG", "retry a tenant's stopped provisioning"),
    ("filter", "TEXT", "filter the table by text"),
    (
        "status",
        "STATUS",
        "show only tenants in a status (e.g. failed); none: all",
    ),
    ("sort", "slug|status|changed|name", "sort the table"),
    ("help", "", "the keys"),
    ("quit", "", "quit"),
];

/// Completions for what is typed: command names, then slugs.
pub fn completions(m: &Model, typed: &str) -> Vec<String> {
    let mut parts = typed.splitn(2, ' ');
    let cmd = parts.next().unwrap_or("");
    match parts.next() {
        None => COMMANDS
            .iter()
            .filter(|(c, _, _)| c.starts_with(cmd))
            .map(|(c, _, _)| (*c).to_owned())
            .collect(),
        Some(arg) if ["edit", "link", "open", "withdraw", "retry"].contains(&cmd) => m
            .rows
            .iter()
            .filter(|r| r.slug.starts_with(arg))
            .take(20)
            .map(|r| format!("{cmd} {}", r.slug))
            .collect(),
        Some(arg) if cmd == "status" => STATUSES
            .iter()
            .filter(|s| s.as_str().starts_with(arg))
            .map(|s| format!("status {}", s.as_str()))
            .collect(),
        Some(_) => Vec::new(),
    }
}

const STATUSES: [TenantStatus; 12] = TenantStatus::ALL;

fn palette_key(m: &mut Model, k: KeyEvent, fx: &mut Vec<Effect>) {
    let Some(p) = m.palette.as_mut() else { return };
    match k.code {
        KeyCode::Esc => m.palette = None,
        KeyCode::Tab => {
            let typed = p.value().to_owned();
            if let Some(first) = completions(m, &typed).into_iter().next() {
                let done = if first.contains(' ') {
                    first
                } else {
                    format!("{first} ")
                };
                m.palette = Some(Input::new(done));
            }
        }
        KeyCode::Enter => {
            let line = p.value().trim().to_owned();
            m.palette = None;
            run_command(m, &line, fx);
        }
        _ => {
            p.handle_event(&Event::Key(k));
        }
    }
}

fn run_command(m: &mut Model, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let cmd = words.next().unwrap_or("");
    let arg = words.next();
    let slug = || arg.map(str::to_owned);
    match cmd {
        "" => {}
        "add" => m.screens.push(Screen::Form(add_form())),
        "help" => m.screens.push(Screen::Help),
        "quit" | "q" => ask_quit(m, fx),
        "filter" => {
            let text: Vec<&str> = line.split_whitespace().skip(1).collect();
            m.filter = Input::new(text.join(" "));
            refilter(m);
            want_detail(m, fx);
        }
        "status" => {
            m.status_filter = match arg {
                None => Vec::new(),
                Some(s) => match STATUSES.iter().find(|x| x.as_str() == s) {
                    Some(x) => vec![*x],
                    None => {
                        flash(m, Level::Error, format!("no status {s:?}: try tab"));
                        return;
                    }
                },
            };
            refilter(m);
            want_detail(m, fx);
        }
        "sort" => {
            m.sort = match arg {
                Some("status") => SortKey::Status,
                Some("changed") => SortKey::Changed,
                Some("name") => SortKey::Name,
                Some("slug") | None => SortKey::Slug,
                Some(other) => {
                    flash(
                        m,
                        Level::Error,
                        format!("cannot sort by {other:?}: slug, status, changed or name"),
                    );
                    return;
                }
            };
            resort(m);
        }
        "edit" | "link" | "open" | "withdraw" | "retry" => {
            let Some(slug) = slug().or_else(|| m.selected_slug()) else {
                flash(
                    m,
                    Level::Error,
                    format!("{cmd}: which tenant? (:{cmd} SLUG)"),
                );
                return;
            };
            if !m.rows.iter().any(|r| r.slug == slug) {
                flash(m, Level::Error, format!("no tenant {slug:?}"));
                return;
            }
            select_slug(m, &slug, fx);
            match cmd {
                "edit" => tenants_action(m, Action::Edit, fx),
                "open" => m.screens.push(Screen::Link(slug)),
                "withdraw" => ask_withdraw(m, slug),
                "retry" => super::selected::retry(m, slug, fx),
                _ => match words.next().map_or(Ok(DEFAULT_TTL), parse_ttl) {
                    Ok(t) => issue_link(m, slug, t.as_secs(), fx),
                    Err(e) => flash(m, Level::Error, format!("link lifetime: {e}")),
                },
            }
        }
        other => flash(
            m,
            Level::Error,
            format!("no command {other:?}: press tab to see them, ? for keys"),
        ),
    }
}

// ---- the form ----

fn field(label: &'static str, help: &'static str, value: &str) -> Field {
    Field {
        label,
        input: Input::new(value.to_owned()),
        help,
        error: None,
    }
}

pub fn add_form() -> Form {
    let mut f = Form {
        kind: FormKind::Add,
        fields: vec![
            field(
                "Slug",
                "a-z, 0-9 and inner hyphens, 1-31 long; it never changes",
                "",
            ),
            field(
                "Display name",
                "shown to the customer (default: the slug)",
                "",
            ),
            field("Contact", "who you deal with (for you only)", ""),
            field(
                "Expected email",
                "the customer must sign in with this Google account",
                "",
            ),
            field(
                "Expected domain",
                "…or with an account of this Workspace domain",
                "",
            ),
            field(
                "Link lifetime",
                "issue a link now, for 1m to 30d (empty: no link yet)",
                "7d",
            ),
        ],
        focus: 0,
        error: None,
    };
    validate_form(&mut f);
    f
}

fn edit_form(m: &Model) -> Option<Form> {
    let d = m.detail.as_ref()?;
    if Some(d.slug.as_str()) != m.selected_slug().as_deref() {
        return None;
    }
    let (email, domain) = match &d.expected_account {
        Some(ExpectedAccount::Email(e)) => (e.clone(), String::new()),
        Some(ExpectedAccount::Domain(x)) => (String::new(), x.clone()),
        None => (String::new(), String::new()),
    };
    let mut f = Form {
        kind: FormKind::Edit(d.slug.clone()),
        fields: vec![
            field("Display name", "shown to the customer", &d.display_name),
            field(
                "Contact",
                "who you deal with (empty removes it)",
                d.contact.as_deref().unwrap_or(""),
            ),
            field(
                "Expected email",
                "empty with an empty domain: any Google account",
                &email,
            ),
            field(
                "Expected domain",
                "…or an account of this Workspace domain",
                &domain,
            ),
        ],
        focus: 0,
        error: None,
    };
    validate_form(&mut f);
    Some(f)
}

fn value<'a>(f: &'a Form, label: &str) -> &'a str {
    f.fields
        .iter()
        .find(|x| x.label == label)
        .map_or("", |x| x.input.value())
}

/// Inline validation: every field says what is wrong with it as it is typed.
pub fn validate_form(f: &mut Form) {
    let email = value(f, "Expected email").trim().to_owned();
    let domain = value(f, "Expected domain").trim().to_owned();
    for fld in &mut f.fields {
        let v = fld.input.value().trim();
        if let Err(why) = crate::text::refuse_unsafe(v) {
            fld.error = Some(why);
            continue;
        }
        fld.error = match fld.label {
            // Empty is not wrong yet: saving says it is needed.
            "Slug" if v.is_empty() => None,
            "Slug" => validate_slug(v).err().map(|e| e.to_string()),
            "Display name" if v.chars().count() > 100 => Some("at most 100 characters".into()),
            "Expected email" if !v.is_empty() => normalise_email(v).err().map(|e| e.to_string()),
            "Expected domain" if !v.is_empty() && !email.is_empty() => {
                Some("give an email or a domain, not both".into())
            }
            "Expected domain" if !v.is_empty() => {
                let d = v.trim_start_matches('@').to_ascii_lowercase();
                (!valid_domain(&d)).then(|| format!("{d:?} is not a domain like example.com"))
            }
            "Link lifetime" if !v.is_empty() => {
                parse_ttl(v).err().map(|e| format!("link lifetime: {e}"))
            }
            _ => None,
        };
    }
    let _ = domain;
    f.error = None;
}

fn close_form(m: &mut Model) {
    if matches!(m.screen(), Screen::Form(_)) {
        m.screens.pop();
    }
}

fn form_action(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Some(Screen::Form(f)) = m.screens.last_mut() else {
        return;
    };
    match a {
        Action::NextField => f.focus = (f.focus + 1) % f.fields.len(),
        Action::PrevField => f.focus = (f.focus + f.fields.len() - 1) % f.fields.len(),
        Action::Cancel => {
            m.screens.pop();
        }
        Action::Submit => {
            validate_form(f);
            if let Some(slug) = f.fields.iter_mut().find(|x| x.label == "Slug")
                && slug.input.value().trim().is_empty()
            {
                slug.error = Some("a slug is needed".into());
            }
            if let Some(bad) = f.fields.iter().position(|x| x.error.is_some()) {
                f.focus = bad;
                f.error = Some("fix the field marked ✖ first".into());
                return;
            }
            let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
            let email = opt(value(f, "Expected email"));
            let domain = opt(value(f, "Expected domain"));
            match f.kind.clone() {
                FormKind::Add => {
                    let slug = value(f, "Slug").trim().to_owned();
                    let ttl = opt(value(f, "Link lifetime"))
                        .map(|t| parse_ttl(&t).unwrap_or(DEFAULT_TTL).as_secs());
                    let input = NewTenant {
                        slug: slug.clone(),
                        display_name: opt(value(f, "Display name")),
                        contact: opt(value(f, "Contact")),
                        expected_email: email,
                        expected_domain: domain,
                        integration: Default::default(),
                        return_url: None,
                    };
                    call(m, fx, Pending::Add { slug, ttl }, Command::AddTenant(input));
                }
                FormKind::Edit(slug) => {
                    let any = email.is_none() && domain.is_none();
                    let edit = TenantEdit {
                        display_name: opt(value(f, "Display name")),
                        contact: Some(value(f, "Contact").trim().to_owned()),
                        expected_email: email,
                        expected_domain: domain,
                        any_account: any,
                        return_url: None,
                    };
                    call(
                        m,
                        fx,
                        Pending::Edit(slug.clone()),
                        Command::EditTenant { slug, edit },
                    );
                }
            }
        }
        _ => {}
    }
}
