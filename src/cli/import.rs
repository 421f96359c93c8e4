//! `tenant import`: read and check every row of a CSV file (naming each bad one by its
//! line), then add them all in one transaction, or none, and say which it was.
//!
//! One connection for the whole command: the running owner's control socket, or the
//! database opened once by this process. The rows travel in parts that fit a control-socket
//! frame, staged under an import id and committed together (see `engine::ops::import`), so a
//! slug another client adds meanwhile makes the whole import fail and adds nothing.

use std::collections::HashMap;

use anyhow::{Context as _, Result};

use super::instance::Instance;
use super::output;
use crate::engine::lifecycle::NewTenant;
use crate::engine::{ApiError, Attachment, Command, EngineApi, ErrorCode, Reply};

const COLUMNS: [&str; 7] = [
    "slug",
    "name",
    "contact",
    "contact_email",
    "email",
    "domain",
    "integrations",
];
/// The rows of one part over the control socket, as JSON, at most (its frames hold 64 KiB).
const PART_BYTES: usize = 48 * 1024;
/// Rows of one part when the engine runs in this process (no frame to fit).
const LOCAL_PART_ROWS: usize = 5_000;

/// A row, with the line of the file it is on.
type Row = (usize, NewTenant);
/// A bad row: its line, and why.
type Bad = (usize, String);

pub async fn run(instance: &Instance, file: &std::path::Path, as_json: bool) -> Result<()> {
    let (rows, errors) = read(file)?;
    let conn = instance.connect().await?;
    let res = import(&*conn.api(), file, rows, errors).await;
    let closed = conn.close().await;
    let added = res?;
    closed?;
    output::print(&Reply::Imported { added }, as_json, None)
}

fn refused(text: String) -> anyhow::Error {
    crate::engine::EngineError::BadRequest(text).into()
}

/// Every row of the file, checked; the bad ones as `(line, why)`.
fn read(file: &std::path::Path) -> Result<(Vec<Row>, Vec<Bad>)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("reading {}", file.display()))?;
    let headers = reader
        .headers()
        .with_context(|| format!("reading the header row of {}", file.display()))?
        .clone();
    if let Some(bad) = headers.iter().find(|h| !COLUMNS.contains(h)) {
        return Err(refused(format!(
            "{}: unknown column {bad:?} (the columns are {}); nothing was added",
            file.display(),
            COLUMNS.join(",")
        )));
    }
    let Some(at_slug) = headers.iter().position(|h| h == "slug") else {
        return Err(refused(format!(
            "{}: no slug column; nothing was added",
            file.display()
        )));
    };
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (at_name, at_contact, at_email, at_domain) =
        (col("name"), col("contact"), col("email"), col("domain"));
    let at_integrations = col("integrations");
    let at_contact_email = col("contact_email");
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push((line, e.to_string()));
                continue;
            }
        };
        let get = |at: Option<usize>| {
            at.and_then(|a| rec.get(a))
                .map(str::to_owned)
                .filter(|v| !v.is_empty())
        };
        // `gmail google-drive` (or `;`, or a quoted `,`): the first first; none: gmail.
        let held = crate::domain::integration::Integration::parse_list(
            &get(at_integrations).unwrap_or_default(),
        );
        let (integration, also) = match held.as_deref() {
            Ok([first, also @ ..]) => (*first, also.to_vec()),
            Ok([]) => (Default::default(), Vec::new()),
            Err(why) => {
                errors.push((line, why.clone()));
                continue;
            }
        };
        let input = NewTenant {
            slug: rec.get(at_slug).unwrap_or_default().to_owned(),
            display_name: get(at_name),
            contact: get(at_contact),
            contact_email: get(at_contact_email),
            expected_email: get(at_email),
            expected_domain: get(at_domain),
            integration,
            also,
            return_url: None,
            lang: None,
        };
        if input.expected_email.is_some() && input.expected_domain.is_some() {
            errors.push((
                line,
                "email and domain are both set; give at most one".into(),
            ));
            continue;
        }
        if let Err(e) = crate::engine::lifecycle::new_tenant(&input, 0) {
            errors.push((line, e.to_string()));
            continue;
        }
        if let Some(first) = seen.insert(input.slug.clone(), line) {
            errors.push((line, format!("{} is already on line {first}", input.slug)));
            continue;
        }
        rows.push((line, input));
    }
    Ok((rows, errors))
}

/// The rows in parts: each fits a control-socket frame, or (in process) a few thousand.
fn parts(socket: bool, rows: Vec<Row>, errors: &mut Vec<Bad>) -> Vec<Vec<Row>> {
    let mut out: Vec<Vec<Row>> = Vec::new();
    let mut bytes = 0;
    for (line, row) in rows {
        let size = serde_json::to_vec(&row).map_or(usize::MAX, |v| v.len() + 1);
        if socket && size > PART_BYTES {
            errors.push((line, format!("the row is too long ({size} bytes as sent)")));
            continue;
        }
        let full = out.last().is_none_or(|p| {
            if socket {
                bytes + size > PART_BYTES
            } else {
                p.len() >= LOCAL_PART_ROWS
            }
        });
        if full {
            out.push(Vec::new());
            bytes = 0;
        }
        bytes += size;
        if let Some(p) = out.last_mut() {
            p.push((line, row));
        }
    }
    out
}

/// Add `rows` in one transaction unless a row is bad (`errors`, and the slugs that exist
/// already): then nothing.
async fn import(
    api: &dyn EngineApi,
    file: &std::path::Path,
    rows: Vec<Row>,
    mut errors: Vec<Bad>,
) -> Result<usize> {
    let socket = matches!(api.attachment(), Attachment::Socket { .. });
    let total = rows.len();
    let line_of: HashMap<String, usize> = rows.iter().map(|(l, r)| (r.slug.clone(), *l)).collect();
    let mut import: Option<String> = None;
    for part in parts(socket, rows, &mut errors) {
        let tenants = part.into_iter().map(|(_, r)| r).collect();
        let staged = api
            .call(Command::ImportStage {
                import: import.clone(),
                tenants,
            })
            .await;
        match staged {
            Ok(Reply::ImportStaged {
                import: id,
                existing,
                ..
            }) => {
                import = Some(id);
                for slug in existing {
                    let line = line_of.get(&slug).copied().unwrap_or(0);
                    errors.push((line, format!("a tenant {slug:?} exists already")));
                }
            }
            Ok(other) => {
                discard(api, import).await;
                anyhow::bail!("the engine answered {other:?} to a staged part; nothing was added");
            }
            Err(e) => {
                discard(api, import).await;
                return Err(nothing_added(e).into());
            }
        }
    }
    if !errors.is_empty() {
        discard(api, import).await;
        errors.sort();
        let n = errors.len();
        return Err(refused(format!(
            "{}: {n} bad row{}, nothing was added:\n  {}",
            file.display(),
            if n == 1 { "" } else { "s" },
            errors
                .iter()
                .map(|(line, why)| format!("line {line}: {why}"))
                .collect::<Vec<_>>()
                .join("\n  ")
        )));
    }
    let Some(import) = import else {
        return Ok(0);
    };
    match api.call(Command::ImportCommit { import, rows: total }).await {
        Ok(Reply::Imported { added }) => Ok(added),
        Ok(other) => anyhow::bail!("the engine answered {other:?} to the import's commit"),
        // The commit is one transaction: the engine refused it, so nothing was added.
        Err(e) if matches!(e.code, ErrorCode::Conflict | ErrorCode::InvalidInput) => {
            Err(nothing_added(e).into())
        }
        Err(e) => Err(ApiError::new(
            e.code,
            format!(
                "{e}: the import's commit did not finish with an answer, so whether its {total} tenants were added (all of them, or none) is unknown; `mcp-onboard status` counts the tenants"
            ),
        )
        .into()),
    }
}

/// An error before the commit: say that nothing was added, if it does not already.
fn nothing_added(e: ApiError) -> ApiError {
    if e.message.contains("nothing was added") || e.message.contains("none was added") {
        e
    } else {
        let message = format!("{}; nothing was added", e.message);
        ApiError::new(e.code, message)
    }
}

/// Drop a staged import (best effort: an import left alone is dropped by the engine).
async fn discard(api: &dyn EngineApi, import: Option<String>) {
    if let Some(import) = import {
        let _ = api.call(Command::ImportDiscard { import }).await;
    }
}
