//! The engine's live events as a test reads them.

use std::time::Duration;

use mcp_onboard::engine::{Event, Events, Item};

/// Drain what is there now (stop after a quiet moment).
pub async fn drain(events: &mut Events) -> Vec<Event> {
    let mut out = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_millis(300), events.next()).await
    {
        match item {
            Item::Event(e) => out.push(*e),
            Item::Lagged { missed } => panic!("lagged by {missed}"),
        }
    }
    out
}
