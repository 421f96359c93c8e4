//! `blaxel.write`: only with `--write`, whether the key may create connections, learnt by
//! creating a connection labelled `mcp-onboard-check` and deleting it again. It is deleted
//! even when the create's answer was an error (a create may be applied and still fail);
//! when the create's outcome is unknown (no answer, 408, 5xx) and the delete found
//! nothing, Blaxel is asked a few times more whether it appeared, and it is deleted when it
//! does; the line never claims it was not created. Before creating, the check's own
//! connections left over by an earlier run (older than [`STALE_AFTER`]) are deleted.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;

use super::{CheckLine, Level};
use crate::blaxel::{
    BlaxelClient, BlaxelError, ConnectionRequest, GOOGLE_OAUTH_SECRETS, GoogleOAuthSecret,
    IntegrationConnection, RequestMetadata,
};

/// The label of the connection `--write` creates; its value is the connection's own
/// random part.
pub const CHECK_LABEL: &str = "mcp-onboard-check";

const NAME: &str = "blaxel.write";

/// How often, and how far apart, Blaxel is asked whether a create of unknown outcome
/// appeared.
const POLLS: u32 = 3;
pub(super) const POLL_EVERY: Duration = Duration::from_secs(2);

/// A check's connection older than this is left over from an earlier run (a run lasts
/// seconds).
const STALE_AFTER: Duration = Duration::from_secs(60);

/// The line; `poll_every`: the wait between the questions after an unknown outcome.
pub(super) async fn line(client: &BlaxelClient, write: bool, poll_every: Duration) -> CheckLine {
    if !write {
        return CheckLine::new(
            NAME,
            Level::Warn,
            "whether the key may create connections: not checked (use --write)",
            "",
        );
    }
    let swept = sweep(client).await;
    let id = crate::engine::token::random_token(6).to_ascii_lowercase();
    let id: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    let name = format!("{CHECK_LABEL}-{id}");
    let label = format!("{CHECK_LABEL}={id}");
    let created = client.create_connection(&request(&name, &id)).await;
    let mut deleted = client.delete_connection(&name).await;
    let ws = client.workspace();
    if let (Err(e), Err(d)) = (&created, &deleted)
        && unknown(e)
        && d.is_not_found()
    {
        deleted = match appeared(client, &name, poll_every).await {
            Appeared::Yes => client.delete_connection(&name).await,
            Appeared::NotSeen => {
                return CheckLine::new(
                    NAME,
                    Level::Fail,
                    format!(
                        "creating {name} got no clear answer ({e}) and it has not appeared since: it may exist yet"
                    ),
                    format!(
                        "look for connections labelled {label} in workspace {ws} (Integrations > Connections) and delete them"
                    ),
                );
            }
        };
    }
    let mut line = verdict(created, deleted, &name, &label, ws);
    if swept > 0 {
        line.detail
            .push_str(&format!("; {swept} left over by earlier checks deleted"));
    }
    line
}

fn verdict(
    created: Result<IntegrationConnection, BlaxelError>,
    deleted: Result<IntegrationConnection, BlaxelError>,
    name: &str,
    label: &str,
    ws: &str,
) -> CheckLine {
    match (created, deleted) {
        (Ok(_), Ok(_)) => CheckLine::ok(
            NAME,
            format!("created and deleted the connection {name} (label {label}) in workspace {ws}"),
        ),
        (Err(e), Err(_)) if e.is_refused() => CheckLine::new(
            NAME,
            Level::Fail,
            format!("the key may not create connections (tried {name}, label {label}): {e}"),
            format!(
                "give the API key the right to manage integration connections in workspace {ws} (a workspace admin's key)"
            ),
        ),
        (Err(e), Err(d)) if d.is_not_found() => CheckLine::new(
            NAME,
            Level::Fail,
            format!("Blaxel refused the connection {name} (label {label}): {e}"),
            "see the other Blaxel lines; what Blaxel said names the cause",
        ),
        (_, Err(d)) => CheckLine::new(
            NAME,
            Level::Fail,
            format!("the connection {name} (label {label}) could not be deleted: {d}"),
            format!(
                "delete the connection {name} in the Blaxel console (Integrations > Connections)"
            ),
        ),
        (Err(e), Ok(_)) => CheckLine::new(
            NAME,
            Level::Warn,
            format!(
                "creating {name} (label {label}) answered an error, yet it was there and is deleted: {e}"
            ),
            "",
        ),
    }
}

/// Whether a create that answered `e` may have been applied all the same.
fn unknown(e: &BlaxelError) -> bool {
    match e {
        BlaxelError::Transport { .. } => true,
        BlaxelError::Api { status, .. } => matches!(status, 408 | 500..=599),
        _ => false,
    }
}

enum Appeared {
    Yes,
    NotSeen,
}

/// Ask for `name` up to [`POLLS`] times, `every` apart.
async fn appeared(client: &BlaxelClient, name: &str, every: Duration) -> Appeared {
    for _ in 0..POLLS {
        tokio::time::sleep(every).await;
        if client.get_connection(name).await.is_ok() {
            return Appeared::Yes;
        }
    }
    Appeared::NotSeen
}

/// Delete the check's connections older than [`STALE_AFTER`]; how many went.
async fn sweep(client: &BlaxelClient) -> usize {
    let Ok(all) = client.list_connections().await else {
        return 0;
    };
    let now = jiff::Timestamp::now();
    let mut gone = 0;
    for c in all {
        let ours = c
            .metadata
            .labels
            .as_ref()
            .is_some_and(|l| l.contains_key(CHECK_LABEL));
        let created: Option<jiff::Timestamp> = c
            .metadata
            .created_at
            .as_deref()
            .and_then(|t| t.parse().ok());
        let stale = created.is_some_and(|t| {
            now.duration_since(t)
                .try_into()
                .is_ok_and(|age: Duration| age > STALE_AFTER)
        });
        if ours && stale && client.delete_connection(&c.metadata.name).await.is_ok() {
            gone += 1;
        }
    }
    gone
}

/// The check's connection: Gmail's, with placeholder secrets, labelled.
fn request(name: &str, id: &str) -> ConnectionRequest {
    ConnectionRequest::google_oauth(
        crate::blaxel::GMAIL_INTEGRATION,
        &GOOGLE_OAUTH_SECRETS,
        RequestMetadata {
            name: name.to_owned(),
            display_name: Some("mcp-onboard config check".into()),
            labels: BTreeMap::from([
                (CHECK_LABEL.to_owned(), id.to_owned()),
                (
                    crate::blaxel::names::LABEL_MANAGED_BY.to_owned(),
                    crate::blaxel::names::MANAGED_BY.to_owned(),
                ),
            ]),
        },
        &GoogleOAuthSecret {
            client_id: "config-check".into(),
            client_secret: SecretString::from("config-check"),
            refresh_token: SecretString::from("config-check"),
        },
    )
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
