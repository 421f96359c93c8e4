//! Completion in the palette: the registry's command names, then what the command takes
//! (the tenants' slugs, the statuses).

use super::{Target, typed, typed_commands};
use crate::domain::model::TenantStatus;
use crate::tui::model::Model;

/// Completions for what is typed: command names, then slugs or statuses.
pub fn completions(m: &Model, typed_so_far: &str) -> Vec<String> {
    let mut parts = typed_so_far.splitn(2, ' ');
    let cmd = parts.next().unwrap_or("");
    let Some(arg) = parts.next() else {
        return typed_commands()
            .filter(|(name, _, _)| name.starts_with(cmd))
            .map(|(name, _, _)| name.to_owned())
            .collect();
    };
    match typed(cmd).map(|e| e.action.target()) {
        Some(Target::Tenant) => m
            .table
            .rows
            .iter()
            .filter(|r| r.slug.starts_with(arg))
            .take(20)
            .map(|r| format!("{cmd} {}", r.slug))
            .collect(),
        Some(Target::Status) => TenantStatus::ALL
            .iter()
            .filter(|s| s.as_str().starts_with(arg))
            .map(|s| format!("{cmd} {}", s.as_str()))
            .collect(),
        _ => Vec::new(),
    }
}
