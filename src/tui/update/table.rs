//! The tenants table's commands: moving, filtering and sorting, opening what works on the
//! selected tenant (a form, its link view, a question, a call to the engine).

use tui_input::Input;

use super::effect::{call, flash};
use super::rows::{clear_filter, move_to, resort};
use super::{details, form, help, link, mail, question, selected};
use crate::domain::link_ttl::DEFAULT_LINK_TTL;
use crate::engine::api::Command;
use crate::tui::commands::Action;
use crate::tui::layout;
use crate::tui::model::{Effect, Level, Mode, Model, Pending};

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let page = layout::table_rows(m);
    let at = m.table.selected;
    match a {
        Action::Up => move_to(m, at.saturating_sub(1), fx),
        Action::Down => move_to(m, at + 1, fx),
        Action::PageUp => move_to(m, at.saturating_sub(page), fx),
        Action::PageDown => move_to(m, at + page, fx),
        Action::Top => move_to(m, 0, fx),
        Action::Bottom => move_to(m, usize::MAX, fx),
        Action::ClearFilter if m.table.filtered() => clear_filter(m, fx),
        Action::Filter => m.mode = Mode::Filter,
        Action::Sort => {
            m.table.sort = m.table.next_sort();
            resort(m);
        }
        Action::Help => help::open(m),
        Action::Palette => m.mode = Mode::Palette(Input::default()),
        Action::Add => m.mode = Mode::Form(form::add_form()),
        Action::Quit => question::ask_quit(m, fx),
        Action::MailAll => mail::ask_mail_all(m),
        _ => on_selected(m, a, fx),
    }
}

/// The commands on the selected tenant (one is selected: the registry's availability
/// said so before).
fn on_selected(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Some(slug) = m.selected_slug() else {
        return;
    };
    match a {
        Action::Edit => match form::edit_form(m) {
            Some(f) => m.mode = Mode::Form(f),
            None => flash(
                m,
                Level::Info,
                "the tenant's details are still loading: try again in a moment".into(),
            ),
        },
        Action::Open => m.mode = Mode::Link(slug),
        Action::Details => details::open(m, slug, fx),
        Action::NewLink => link::new_link(m, slug, DEFAULT_LINK_TTL.as_secs(), fx),
        Action::Mail => mail::mail_new_link(m, &slug, fx),
        Action::Withdraw => question::ask_withdraw(m, slug),
        Action::Retry => selected::retry(m, slug, fx),
        Action::CopyMcpUrl | Action::TimelineBack | Action::TimelineOn => {
            selected::act(m, a, fx);
        }
        Action::CheckToken => {
            flash(
                m,
                Level::Info,
                format!("checking {slug}'s token at Google…"),
            );
            call(
                m,
                fx,
                Pending::CheckToken(slug.clone()),
                Command::CheckHealth {
                    slug: Some(slug),
                    mcp: false,
                },
            );
        }
        Action::Approve | Action::Reject => question::ask_decision(m, a, slug),
        Action::Offboard => question::ask_offboard(m, slug),
        _ => {}
    }
}
