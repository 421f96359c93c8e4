//! Review of the CLI's declined tenants and `--json` refusals.

use clap::Parser;

use super::Cli;
use super::bad_args::json_error;
use crate::domain::model::{FailureKind, TenantStatus};
use crate::engine::{Event, EventBody};

/// `watch` is the CLI's third text face of a tenant's status: a customer's Deny reads
/// `declined` in the console, `tenant list` and `tenant show`, but `failed` here.
#[test]
fn watch_says_declined_like_list_and_show() {
    let mut summary = super::fixtures::summary("acme", "Acme Ltd");
    summary.status = TenantStatus::Failed;
    summary.failure = Some(FailureKind::ConsentDenied);
    let e = Event {
        seq: 7,
        body: EventBody::TenantChanged {
            slug: "acme".into(),
            status: TenantStatus::Failed,
            summary: Some(summary),
            entry: None,
        },
    };
    let line = super::watch::text_line(&e);
    assert!(line.contains("failed (declined)"), "{line}");
}

/// A subcommand that shows its help when given nothing (`webhook`) is refused, with
/// `--json`, as a JSON error whose message is the whole help text (usage, commands,
/// options) where `tenant` says one line: "'mcp-onboard tenant' requires a subcommand".
#[test]
fn json_refusal_of_a_bare_subcommand_is_one_message_not_its_help() {
    let args = ["mcp-onboard", "--json", "webhook"];
    let e = Cli::try_parse_from(args).expect_err("refused");
    let v: serde_json::Value = serde_json::from_str(&json_error(e)).unwrap();
    let message = v["error"]["message"].as_str().unwrap_or_default();
    assert!(
        !message.contains("Usage:") && !message.contains('\n'),
        "{message}"
    );
}
