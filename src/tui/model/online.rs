//! The online checks as the set-up panel holds them (`config check --online`'s lines):
//! not run yet, running (for one request id: a late answer to an earlier run is dropped),
//! or done.

use crate::config::online::CheckLine;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OnlineState {
    #[default]
    NotRun,
    Running {
        id: u64,
    },
    Done(Vec<CheckLine>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Online {
    pub state: OnlineState,
    /// The panel was opened from the console (`:setup`, `:check`): leaving it goes back to
    /// the table, not out of the console.
    pub from_table: bool,
    /// How many rows the panel is scrolled down.
    pub scroll: u16,
}
