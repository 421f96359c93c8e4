//! The command palette (`:`): `Tab` completes from the registry, `Enter` runs the command
//! typed. A command on a tenant selects it first, then does what its key does.

use tui_input::Input;

use super::effect::{allowed, flash};
use super::form::parse_ttl;
use super::link::new_link;
use super::rows::{refilter, resort, select_slug, want_detail};
use super::{form, help, question, table};
use crate::domain::link_ttl::DEFAULT_LINK_TTL;
use crate::domain::model::TenantStatus;
use crate::engine::api::SortKey;
use crate::tui::commands::complete::completions;
use crate::tui::commands::{self, Action, Scope, Target};
use crate::tui::model::{Effect, Level, Mode, Model};

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Mode::Palette(p) = &m.mode else {
        return;
    };
    let typed = p.value().to_owned();
    match a {
        Action::Cancel => m.mode = Mode::Table,
        Action::Complete => {
            if let Some(first) = completions(m, &typed).into_iter().next() {
                let done = if first.contains(' ') {
                    first
                } else {
                    format!("{first} ")
                };
                m.mode = Mode::Palette(Input::new(done));
            }
        }
        Action::Run => {
            m.mode = Mode::Table;
            run(m, typed.trim(), fx);
        }
        _ => {}
    }
}

fn run(m: &mut Model, line: &str, fx: &mut Vec<Effect>) {
    let mut words = line.split_whitespace();
    let Some(cmd) = words.next() else {
        return;
    };
    let Some(entry) = commands::typed(cmd) else {
        flash(
            m,
            Level::Error,
            format!("no command {cmd:?}: press tab to see them, ? for keys"),
        );
        return;
    };
    let arg = words.next();
    match entry.action.target() {
        Target::Tenant => on_tenant(m, cmd, entry.action, arg, words.next(), fx),
        Target::Text => {
            let text: Vec<&str> = line.split_whitespace().skip(1).collect();
            m.table.filter = Input::new(text.join(" "));
            refilter(m);
            want_detail(m, fx);
        }
        Target::Status => {
            m.table.status_filter = match arg {
                None => Vec::new(),
                Some(s) => match TenantStatus::ALL.iter().find(|x| x.as_str() == s) {
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
        Target::SortKey => {
            m.table.sort = match arg {
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
        Target::Nothing => match entry.action {
            Action::Add => m.mode = Mode::Form(form::add_form()),
            Action::Help => help::open(m),
            Action::Quit => question::ask_quit(m, fx),
            Action::Setup => super::online::open(m),
            Action::CheckOnline => {
                super::online::open(m);
                super::online::start(m, fx);
            }
            Action::MailAll if allowed(m, Scope::Table, Action::MailAll) => {
                super::mail::ask_mail_all(m);
            }
            _ => {}
        },
    }
}

/// `:CMD [SLUG] [TTL]`: the tenant named (else the selected one) is selected, then the
/// command runs on it as its key would.
fn on_tenant(
    m: &mut Model,
    cmd: &str,
    a: Action,
    slug: Option<&str>,
    ttl: Option<&str>,
    fx: &mut Vec<Effect>,
) {
    let Some(slug) = slug.map(str::to_owned).or_else(|| m.selected_slug()) else {
        flash(
            m,
            Level::Error,
            format!("{cmd}: which tenant? (:{cmd} SLUG)"),
        );
        return;
    };
    if m.row_of(&slug).is_none() {
        flash(m, Level::Error, format!("no tenant {slug:?}"));
        return;
    }
    select_slug(m, &slug, fx);
    if a == Action::NewLink {
        match ttl.map(parse_ttl).unwrap_or(Ok(DEFAULT_LINK_TTL.as_secs())) {
            Ok(t) => new_link(m, slug, t, fx),
            Err(e) => flash(m, Level::Error, e),
        }
    } else if allowed(m, Scope::Table, a) {
        table::act(m, a, fx);
    }
}
