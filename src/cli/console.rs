//! No command: the console, attached to the owner running on this data dir, or owning the
//! database itself (after asking, when a `--demo` owner runs and no database is here yet;
//! with `--demo`, it adds the demo's sample tenant to a database that wants it).

use anyhow::Result;

use super::first_run;
use super::instance::Instance;

pub async fn run(instance: &Instance) -> Result<()> {
    crate::tui::require_terminal()?;
    if !first_run::console_may_create(instance).await? {
        return Ok(());
    }
    let _log = first_run::prepare(instance)?;
    let attach = instance.connect_owner().await?;
    // Said only when this process is about to own (and so maybe create) the database.
    let notes = match &attach {
        Some(_) => Vec::new(),
        None => instance.new_database_notes().await,
    };
    // The demo's console that owns the database offers it the sample tenant.
    let sample = instance.demo && attach.is_none();
    crate::tui::run(crate::tui::Launch {
        attach,
        owner: instance.owner_options(),
        notes,
        sample,
    })
    .await
}
