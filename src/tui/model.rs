//! The console's state, the messages that change it and the effects it asks for. The model
//! holds only what it was told: replies and events from the engine, keys, ticks.

use std::collections::HashMap;

use crossterm::event::KeyEvent;
use tui_input::Input;

use super::style::{Group, Theme};
use crate::domain::model::{ProvisionerState, TenantStatus};
use crate::engine::api::{
    Command, LinkView, Reply, SortKey, StatusView, TenantSummary, TenantView,
};
use crate::engine::{ApiError, Item};
use crate::time::Millis;

/// How the console holds the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// This console runs the owner: the listener stops when it quits.
    Owner,
    /// Attached to the owner `pid` over its control socket.
    Attached { pid: u32 },
}

/// What the console learns once at start.
#[derive(Debug, Clone)]
pub struct Setup {
    pub mode: Mode,
    pub public_url: String,
    pub redirect_uri: String,
    pub data_dir: String,
    /// The message template for `t`.
    pub message_template: String,
    /// The first-run panel, when the configuration is not complete.
    pub problems: Vec<SetupLine>,
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
    Reattached {
        pid: u32,
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
    /// Write the QR code of `url` as `NAME.png` and `NAME.svg` in the data dir's exports.
    Export {
        data_dir: std::path::PathBuf,
        name: String,
        url: String,
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
    /// `q` on the owning console: quit once fresh numbers say nobody would be cut off.
    QuitCheck,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormKind {
    Add,
    Edit(String),
}

#[derive(Debug, Clone)]
pub struct Field {
    pub label: &'static str,
    pub input: Input,
    pub help: &'static str,
    pub error: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Form {
    pub kind: FormKind,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmAction {
    Withdraw(String),
    Approve(String),
    Reject(String),
    Offboard(String),
    Quit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub text: String,
    pub action: ConfirmAction,
}

#[derive(Debug, Clone)]
pub enum Screen {
    Setup,
    Tenants,
    Link(String),
    Form(Form),
    Help,
}

pub struct Model {
    pub theme: Theme,
    pub setup: Setup,
    pub now: Millis,
    pub size: (u16, u16),
    /// Every tenant in brief, sorted by `sort`.
    pub rows: Vec<TenantSummary>,
    /// Which rows pass the filter, in order (indices into `rows`).
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    /// The first visible row drawn.
    pub scroll: usize,
    pub filter: Input,
    pub filtering: bool,
    /// Only these statuses (from `:status`).
    pub status_filter: Vec<TenantStatus>,
    pub sort: SortKey,
    /// Whether the full list has arrived (the first page comes first).
    pub loaded: bool,
    /// The list being loaded page by page, when one is.
    pub loading: Option<Loading>,
    pub load_generation: u64,
    /// Rows by status group (`Group::index`), kept as rows come and go.
    pub group_counts: [usize; Group::ALL.len()],
    /// The filter text and statuses `visible` was computed for (typing narrows from it).
    pub visible_for: (String, Vec<TenantStatus>),
    pub detail: Option<TenantView>,
    /// The tenant whose detail is wanted next (a request is in flight).
    pub detail_wanted: Option<String>,
    /// Links issued in this console: only their hash is stored, so their text exists
    /// only here.
    pub links: HashMap<String, LinkView>,
    pub screens: Vec<Screen>,
    pub palette: Option<Input>,
    pub confirm: Option<Confirm>,
    pub flash: Option<Flash>,
    pub pending: HashMap<u64, Pending>,
    pub next_id: u64,
    pub status: Option<StatusView>,
    /// When the status was last asked for: it is asked again now and then, for what no
    /// event carries (the alarm about our OAuth client).
    pub status_asked_at: Millis,
    pub provisioner: ProvisionerState,
    /// How far the help is scrolled.
    pub help_scroll: u16,
    /// How many entries back the timeline of this tenant is scrolled (`[` and `]`).
    pub timeline_back: Option<(String, usize)>,
    /// Since when an attached console has had no owner to talk to.
    pub lost: Option<Millis>,
    /// When to load the list again after a failed load.
    pub reload_at: Option<Millis>,
    /// Whether the set-up panel was decided on (at start, or from the owner's first status).
    pub setup_checked: bool,
    pub quit: bool,
}

/// How long a flash stays.
pub const FLASH_MS: Millis = 6_000;

impl Model {
    pub fn new(setup: Setup, theme: Theme, now: Millis) -> Self {
        let first = if setup.problems.iter().any(|p| !p.ok) {
            Screen::Setup
        } else {
            Screen::Tenants
        };
        let owner = setup.mode == Mode::Owner;
        let mut screens = vec![Screen::Tenants];
        if matches!(first, Screen::Setup) {
            screens.push(Screen::Setup);
        }
        Self {
            theme,
            setup,
            now,
            size: (80, 24),
            rows: Vec::new(),
            visible: Vec::new(),
            selected: 0,
            scroll: 0,
            filter: Input::default(),
            filtering: false,
            status_filter: Vec::new(),
            sort: SortKey::Slug,
            loaded: false,
            loading: None,
            load_generation: 0,
            group_counts: [0; Group::ALL.len()],
            visible_for: (String::new(), Vec::new()),
            detail: None,
            detail_wanted: None,
            links: HashMap::new(),
            screens,
            palette: None,
            confirm: None,
            flash: None,
            pending: HashMap::new(),
            next_id: 1,
            status: None,
            status_asked_at: now,
            provisioner: ProvisionerState::default(),
            help_scroll: 0,
            timeline_back: None,
            lost: None,
            reload_at: None,
            setup_checked: owner,
            quit: false,
        }
    }

    pub fn screen(&self) -> &Screen {
        self.screens.last().unwrap_or(&Screen::Tenants)
    }

    pub fn selected_row(&self) -> Option<&TenantSummary> {
        self.visible
            .get(self.selected)
            .and_then(|i| self.rows.get(*i))
    }

    pub fn selected_slug(&self) -> Option<String> {
        self.selected_row().map(|r| r.slug.clone())
    }

    /// Rows of the table that fit the screen (what `page up`/`page down` move by).
    pub fn table_rows(&self) -> usize {
        super::view::layout::table_rows(self).max(1)
    }

    /// Where a tenant's row is: a binary search when sorted by slug, else a scan.
    pub fn row_of(&self, slug: &str) -> Option<usize> {
        if self.sort == crate::engine::api::SortKey::Slug {
            self.rows
                .binary_search_by(|r| r.slug.as_str().cmp(slug))
                .ok()
        } else {
            self.rows.iter().position(|r| r.slug == slug)
        }
    }

    /// Tenants by status group, from the rows the console holds.
    pub fn counts(&self) -> Vec<(super::style::Group, usize)> {
        super::style::Group::ALL
            .iter()
            .map(|g| (*g, self.group_counts[g.index()]))
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// A list arriving page by page. Events that arrive meanwhile are newer than the pages
/// (or as new): they are kept aside and win over the pages when the last one is in.
#[derive(Debug, Default)]
pub struct Loading {
    pub generation: u64,
    pub rows: Vec<TenantSummary>,
    /// Slug → its summary from an event, or `None`: removed.
    pub touched: HashMap<String, Option<TenantSummary>>,
}
