//! A tenant's status as people read it: a customer who pressed Deny reads as
//! `failed (declined)`, as the console shows it.

use crate::domain::before_consent;
use crate::domain::model::{FailureKind, TenantStatus};

/// A status as people read it: `failed (declined)` when the customer pressed Deny (the
/// stored status, which `--json` prints, stays `failed`), else the status itself.
pub fn status_text(status: TenantStatus, failure: Option<FailureKind>) -> String {
    let word = before_consent::failed_word(failure);
    if status == TenantStatus::Failed && word != status.as_str() {
        format!("{} ({word})", status.as_str())
    } else {
        status.as_str().to_owned()
    }
}
