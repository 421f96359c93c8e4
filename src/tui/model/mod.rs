//! The console's state, the messages that change it and the effects it asks for. The model
//! holds only what it was told (replies and events from the engine, keys, ticks) and knows
//! nothing of how it is drawn: the layout and the view read it, never the other way round.

mod form;
mod mailing;
mod mode;
mod online;
mod table;

use std::collections::HashMap;

use crossterm::event::KeyEvent;

pub use form::{Field, FieldKey, Form, FormKind};
pub use mailing::{MailJob, Mailing};
pub use mode::{Confirm, ConfirmAction, Mode};
pub use online::{Online, OnlineState};
pub use table::{Load, Loading, Table};

use super::style::{Group, Theme};
use crate::domain::before_consent;
use crate::domain::model::{LinkState, ProvisionerState};
use crate::engine::api::{Command, LinkView, Reply, StatusView, TenantSummary, TenantView};
use crate::engine::{ApiError, Attachment, Item};
use crate::time::Millis;

/// What the console learns once at start.
#[derive(Debug, Clone)]
pub struct Setup {
    /// Where the engine it talks to runs: in this process (the console owns it), or behind
    /// an owner's control socket.
    pub attachment: Attachment,
    pub public_url: String,
    pub redirect_uri: String,
    pub data_dir: String,
    /// Where `e` writes QR codes: a folder of the console's own user, never one its owner
    /// names (see [`crate::tui::exports`]).
    pub exports: std::path::PathBuf,
    /// The message template for `t`.
    pub message_template: crate::message::OwnTemplates,
    /// The first-run panel, when the configuration is not complete.
    pub problems: Vec<SetupLine>,
    /// Whether this console mails links: the relay it mails through (as it may be shown),
    /// or why it cannot.
    pub mail: Result<String, String>,
}

impl Setup {
    /// Whether this console runs the owner (quitting it stops the listener).
    pub fn owns(&self) -> bool {
        matches!(self.attachment, Attachment::InProcess { .. })
    }
}

/// One line of the first-run panel (the owner's, when attached).
pub use crate::engine::api::SetupLine;

#[derive(Debug)]
pub enum Msg {
    /// The console has started: ask for the first data.
    Start,
    Key(KeyEvent),
    Paste(String),
    Resize(u16, u16),
    /// Once a second: countdowns move, flashes fade.
    Tick(Millis),
    Engine(Item),
    Reply {
        id: u64,
        result: Result<Reply, ApiError>,
    },
    /// The clipboard copy went out (or not).
    Copied(Result<String, String>),
    Exported(Result<Vec<String>, String>),
    /// SIGHUP, SIGTERM or SIGINT: leave at once, gracefully.
    Signal(&'static str),
    /// An attached console's owner went away (stopped or restarted); the runner keeps
    /// trying to reach the next one.
    OwnerLost,
    /// An owner answers again (the same or a new process): everything is loaded afresh.
    Reattached(Attachment),
    /// A link issued for this console outside its own requests (the demo's sample's): kept
    /// like one it asked for, so its link view shows it.
    LinkIssued(LinkView),
    /// A mailing's progress: `done` of `total` links mailed (or given up on).
    MailProgress {
        id: u64,
        done: usize,
        total: usize,
    },
    /// A mailing is over: what became of each link, and the tenants given no link (why).
    Mailed {
        id: u64,
        reports: Vec<crate::mail::MailReport>,
        not_issued: Vec<(String, String)>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Call {
        id: u64,
        command: Command,
    },
    /// Copy this to the operator's clipboard (OSC 52); `what` says what it is.
    Copy {
        text: String,
        what: String,
    },
    /// Write the QR code of `url` as `NAME.png` and `NAME.svg` in `folder`.
    Export {
        folder: std::path::PathBuf,
        name: String,
        url: String,
    },
    /// Mail links through the console's relay, off the loop: progress and the end come
    /// back as [`Msg::MailProgress`] and [`Msg::Mailed`] with `id`.
    Mail {
        id: u64,
        job: MailJob,
    },
    Quit,
}

/// What a request was for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// One page of the tenant list, for load `generation`, asked with this `limit`.
    Page {
        generation: u64,
        limit: usize,
    },
    Status,
    Show(String),
    Add {
        slug: String,
        ttl: Option<u64>,
    },
    Edit(String),
    Link(String),
    Withdraw(String),
    Retry(String),
    CheckToken(String),
    Approve(String),
    Reject(String),
    Offboard(String),
    /// The online checks (`Command::CheckOnline`), run by the engine with its config.
    CheckOnline,
    /// `q` on the owning console: quit once fresh numbers say nobody would be cut off.
    QuitCheck,
}

/// The requests out to the engine, by id: a reply nobody waits for is dropped.
#[derive(Debug)]
pub struct Requests {
    pub pending: HashMap<u64, Pending>,
    pub next_id: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Ok,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub text: String,
    pub level: Level,
    pub until: Millis,
}

/// How long a flash stays.
pub const FLASH_MS: Millis = 6_000;
/// The `until` of a flash that stays until the operator presses a key (or the next flash).
pub const UNTIL_KEY: Millis = Millis::MAX;

/// The selected tenant's detail, and what is asked or scrolled of it.
#[derive(Debug, Default)]
pub struct Detail {
    pub view: Option<TenantView>,
    /// The tenant whose detail is wanted next (a request is in flight).
    pub wanted: Option<String>,
    /// How many entries back the timeline of this tenant is scrolled (`[` and `]`).
    pub timeline_back: Option<(String, usize)>,
}

/// What the console knows of the engine it talks to, besides the tenants.
#[derive(Debug)]
pub struct EngineState {
    pub status: Option<StatusView>,
    /// When the status was last asked for: it is asked again now and then, for what no
    /// event carries (the alarm about our OAuth client).
    pub status_asked_at: Millis,
    pub provisioner: ProvisionerState,
    /// Since when an attached console has had no owner to talk to.
    pub lost: Option<Millis>,
    /// Whether the set-up panel was decided on (at start, or from the owner's first status).
    pub setup_checked: bool,
}

pub struct Model {
    pub theme: Theme,
    pub setup: Setup,
    pub now: Millis,
    pub size: (u16, u16),
    /// What the console is doing: one thing at a time.
    pub mode: Mode,
    pub table: Table,
    pub load: Load,
    pub detail: Detail,
    /// Links issued in this console: only their hash is stored, so their text exists
    /// only here.
    pub links: HashMap<String, LinkView>,
    pub flash: Option<Flash>,
    pub requests: Requests,
    pub engine: EngineState,
    /// The online checks of the set-up panel.
    pub online: Online,
    /// The mailing under way, if one is.
    pub mailing: Option<Mailing>,
    /// The zone times are said in: the operator's (the runner sets it), UTC until then.
    pub zone: jiff::tz::TimeZone,
    pub quit: bool,
}

impl Model {
    pub fn new(setup: Setup, theme: Theme, now: Millis) -> Self {
        let mode = if setup.problems.iter().any(|p| !p.ok) {
            Mode::Setup
        } else {
            Mode::Table
        };
        let setup_checked = setup.owns();
        Self {
            theme,
            setup,
            now,
            size: (80, 24),
            mode,
            table: Table::default(),
            load: Load::default(),
            detail: Detail::default(),
            links: HashMap::new(),
            flash: None,
            requests: Requests {
                pending: HashMap::new(),
                next_id: 1,
            },
            engine: EngineState {
                status: None,
                status_asked_at: now,
                provisioner: ProvisionerState::default(),
                lost: None,
                setup_checked,
            },
            online: Online::default(),
            mailing: None,
            zone: jiff::tz::TimeZone::UTC,
            quit: false,
        }
    }

    pub fn selected_row(&self) -> Option<&TenantSummary> {
        self.table.selected_row()
    }

    pub fn selected_slug(&self) -> Option<String> {
        self.selected_row().map(|r| r.slug.clone())
    }

    /// Where a tenant's row is.
    pub fn row_of(&self, slug: &str) -> Option<usize> {
        self.table.row_of(slug)
    }

    /// Tenants by status group, from the rows the console holds.
    pub fn counts(&self) -> Vec<(Group, usize)> {
        Group::ALL
            .iter()
            .map(|g| (*g, self.table.group_counts[g.index()]))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// The tenant in front of the operator: the one of the full view when it is open (its
    /// own, whatever the selection), else the selected one.
    pub fn in_view(&self) -> Option<&str> {
        self.mode
            .details_slug()
            .or_else(|| self.selected_row().map(|r| r.slug.as_str()))
    }

    /// The detail held for the tenant in view, if it is that tenant's.
    pub fn shown_detail(&self) -> Option<&TenantView> {
        let slug = self.in_view()?;
        self.detail.view.as_ref().filter(|d| d.slug == slug)
    }

    /// The MCP URL of the tenant in view (from its detail, else from its row).
    pub fn mcp_url(&self) -> Option<&str> {
        let row = || {
            self.row_of(self.in_view()?)
                .and_then(|i| self.table.rows.get(i))
        };
        self.shown_detail()
            .and_then(|d| d.mcp_url.as_deref())
            .or_else(|| row().and_then(|r| r.mcp_url.as_deref()))
    }

    /// How many entries back the selected tenant's timeline is scrolled.
    pub fn timeline_back(&self) -> usize {
        match (&self.detail.timeline_back, self.shown_detail()) {
            (Some((slug, n)), Some(d)) if *slug == d.slug => *n,
            _ => 0,
        }
    }

    /// The links of `slug` a customer can still use: how many, and until when the last of
    /// them works; `None` while its detail is not held.
    pub fn active_links(&self, slug: &str) -> Option<(usize, Option<Millis>)> {
        let d = self.detail.view.as_ref().filter(|d| d.slug == slug)?;
        let active: Vec<(LinkState, Millis)> = d
            .links
            .iter()
            .filter(|l| l.state == LinkState::Active && l.expires_ms > self.now)
            .map(|l| (l.state, l.expires_ms))
            .collect();
        Some((active.len(), before_consent::link_works_until(active)))
    }

    /// The state of the link issued here for `slug` (the one its link view shows): as the
    /// tenant's detail last said, expired once its time is up, else active.
    pub fn issued_link_state(&self, slug: &str) -> Option<LinkState> {
        let link = self.links.get(slug)?;
        let said = self
            .detail
            .view
            .as_ref()
            .filter(|d| d.slug == slug)
            .and_then(|d| d.links.iter().find(|x| x.id == link.id))
            .map(|x| x.state);
        Some(match said {
            Some(state) if state != LinkState::Active => state,
            _ if link.expires_ms <= self.now => LinkState::Expired,
            _ => LinkState::Active,
        })
    }

    /// Whether anything is out to the engine for `p`.
    pub fn asked(&self, p: impl Fn(&Pending) -> bool) -> bool {
        self.requests.pending.values().any(p)
    }
}
