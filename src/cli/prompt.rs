//! Asking the operator before a command that changes many tenants (or creates a database):
//! on a terminal only; without one, `--yes` says it for them.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Result;

/// Ask on the terminal unless `yes`; without a terminal to ask on, refuse (`what` says
/// what would have been done).
pub fn confirm(yes: bool, question: &str, what: &str) -> Result<bool> {
    if yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(crate::engine::EngineError::BadRequest(format!(
            "{what}: add --yes to confirm (stdin is not a terminal to ask on)"
        ))
        .into());
    }
    eprint!("{question}");
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes" | "YES"))
}
