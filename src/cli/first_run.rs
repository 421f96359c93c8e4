//! Which commands may create the database (with its data dir, log files and key) and which
//! only use one that is there: a command that only reads leaves nothing on disk, and says
//! how to start when there is nothing yet. The rule itself is [`super::creation`].

use anyhow::Result;
use tracing_appender::non_blocking::WorkerGuard;

use super::instance::{Creation, Instance};
use super::probe::{demo_owner_runs, listening, nothing_yet};

/// Make what the command may use: the data dir (0700) and the log file in it. A command
/// that may not create logs only where a database is already, and otherwise nowhere.
pub fn prepare(instance: &Instance) -> Result<Option<WorkerGuard>> {
    if instance.creation == Creation::Existing
        && !crate::store::exists_for(&instance.config.store, &instance.data_dir)
    {
        return Ok(None);
    }
    // Before the logger, which would otherwise create the data dir with the umask's mode.
    instance.create_data_dir()?;
    Ok(crate::logging::init(
        &instance.data_dir,
        instance.config.logging.keep_files,
    ))
}

/// Stop unless a database is there (for commands that open it without the engine).
pub async fn require_database(instance: &Instance) -> Result<()> {
    if crate::store::exists_for(&instance.config.store, &instance.data_dir) {
        Ok(())
    } else {
        Err(nothing_yet(&instance.data_dir).await.into())
    }
}

/// A console started without `--demo` where no database is yet, while a `--demo` owner
/// runs: the operator most likely meant the demo, so ask before a real database (and its
/// key) is created beside it. `false`: nothing is to be done.
pub async fn console_may_create(instance: &Instance) -> Result<bool> {
    if instance.demo
        || crate::store::exists_for(&instance.config.store, &instance.data_dir)
        || listening(&instance.data_dir).await
        || !demo_owner_runs().await
    {
        return Ok(true);
    }
    let question = format!(
        "A --demo owner is running (`mcp-onboard --demo` opens a console on it), and there is \
         no database in {} yet. Create a real database and key there? [y/N] ",
        instance.data_dir.display()
    );
    if super::prompt::confirm(false, &question, "a real database would be created")? {
        return Ok(true);
    }
    eprintln!("nothing created; `mcp-onboard --demo` opens a console on the demo");
    Ok(false)
}
