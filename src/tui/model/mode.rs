//! What the console is doing, as one value: the table, its filter being typed, the palette,
//! a form, a link view, the full view of a tenant, the help, a question or the set-up
//! panel. A help or a question remembers what it was opened over and goes back to it;
//! nothing else stacks, so the combinations that cannot happen (a palette over a form, a
//! filter over a link view) cannot be written down either.

use tui_input::Input;

use super::form::Form;

#[derive(Debug, Clone)]
pub enum Mode {
    /// The tenants table.
    Table,
    /// Typing the table's filter (`/`): keys go to it.
    Filter,
    /// The command palette (`:`), with what is typed so far.
    Palette(Input),
    /// The add or edit form, over the table.
    Form(Form),
    /// A tenant's link view.
    Link(String),
    /// The full view of a tenant (`d`, opened on the selected one), scrolled this many rows
    /// down.
    Details { slug: String, scroll: usize },
    /// The help, scrolled this far, over what it goes back to (the table, a link view or
    /// the full view of a tenant).
    Help { scroll: u16, back: Box<Mode> },
    /// A question, over what it was asked from and goes back to.
    Confirm { confirm: Confirm, back: Box<Mode> },
    /// The first-run set-up panel, over the table.
    Setup,
}

impl Mode {
    /// What stays under a help or a question opened now: what is typed in the palette or
    /// the filter line is done with, and a question replaces the one before it.
    pub fn underneath(self) -> Mode {
        match self {
            Mode::Palette(_) | Mode::Filter => Mode::Table,
            Mode::Confirm { back, .. } => *back,
            other => other,
        }
    }

    /// The question asked, if one is.
    pub fn confirm(&self) -> Option<&Confirm> {
        match self {
            Mode::Confirm { confirm, .. } => Some(confirm),
            _ => None,
        }
    }

    /// The tenant of the full view shown, or under a help or a question.
    pub fn details_slug(&self) -> Option<&str> {
        match self {
            Mode::Details { slug, .. } => Some(slug),
            Mode::Help { back, .. } | Mode::Confirm { back, .. } => back.details_slug(),
            _ => None,
        }
    }

    /// The full view of `slug`, shown or under a help or a question, closed back to the
    /// table (its tenant is gone); whether there was one.
    pub fn close_details(&mut self, slug: &str) -> bool {
        match self {
            Mode::Details { slug: s, .. } if s == slug => {
                *self = Mode::Table;
                true
            }
            Mode::Help { back, .. } | Mode::Confirm { back, .. } => back.close_details(slug),
            _ => false,
        }
    }

    /// The tenant of the link view shown, or under a help or a question.
    pub fn link_slug(&self) -> Option<&str> {
        match self {
            Mode::Link(slug) => Some(slug),
            Mode::Help { back, .. } | Mode::Confirm { back, .. } => back.link_slug(),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    Withdraw(String),
    Approve(String),
    Reject(String),
    Offboard(String),
    Quit,
    /// A new link for a tenant whose earlier links are still active: keep them, or
    /// withdraw them as the new one is issued.
    EarlierLinks {
        slug: String,
        ttl_secs: u64,
    },
    /// A new link mailed to each tenant of `to` (those the table showed with an address
    /// when it was asked); `without`: those it showed without one, left out.
    MailAll {
        to: Vec<String>,
        without: Vec<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub text: String,
    pub action: ConfirmAction,
}
