//! The Blaxel lines, through the provisioner's own client (its key, workspace header and
//! User-Agent): `blaxel.workspace` (`GET /workspaces/{name}`: the key works for it),
//! `blaxel.integration.NAME` (`GET /integrations/{name}` for each integration: one in use
//! fails when Blaxel does not know it, another only warns), and
//! `blaxel.write` (see [`super::write`]).

use super::{CheckLine, Level, Local, Options};
use crate::blaxel::BlaxelClient;
use crate::config::Config;
use crate::domain::integration::Integration;

pub(super) async fn checks(
    config: &Config,
    demo: bool,
    local: &Local,
    options: &Options,
) -> Vec<CheckLine> {
    // The credentials may come from the Blaxel CLI's file: read off the async workers.
    let cfg = config.clone();
    let target = tokio::task::spawn_blocking(move || {
        crate::owner::provisioning::target(&cfg, demo).map_err(|e| format!("{e:#}"))
    })
    .await
    .map_err(|e| format!("reading the Blaxel credentials: {e}"))
    .and_then(|t| t)
    .and_then(|t| t);
    let (api_url, workspace, key) = match target {
        Ok(t) => t,
        Err(e) => {
            return vec![CheckLine::new(
                "blaxel.workspace",
                Level::Fail,
                e,
                "set the Blaxel credentials first (`config check` says how)",
            )];
        }
    };
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.timeout)
        .build()
    {
        Ok(h) => h,
        Err(e) => {
            return vec![CheckLine::new(
                "blaxel.workspace",
                Level::Fail,
                e.to_string(),
                "",
            )];
        }
    };
    let client = BlaxelClient::new(api_url.clone(), workspace.clone(), key, http)
        .with_timeout(options.timeout);
    let integrations =
        Integration::all().map(|i| integration(&client, i.name(), in_use(config, local, i)));
    let (ws, integrations, write) = tokio::join!(
        workspace_line(&client, &api_url),
        futures_util::future::join_all(integrations),
        super::write::line(&client, options.write, super::write::POLL_EVERY),
    );
    let mut lines = vec![ws];
    lines.extend(integrations);
    lines.push(write);
    lines
}

/// The fix of a refused key.
pub(super) fn key_fix(workspace: &str) -> String {
    format!(
        "create an API key for workspace {workspace} in the Blaxel console (Workspace settings > API keys) and set it as BL_API_KEY (or blaxel.api_key); check BL_WORKSPACE names that workspace"
    )
}

async fn workspace_line(client: &BlaxelClient, api_url: &url::Url) -> CheckLine {
    const NAME: &str = "blaxel.workspace";
    let ws = client.workspace();
    match client.get_workspace(ws).await {
        Ok(_) => CheckLine::ok(
            NAME,
            format!("the key works for workspace {ws} at {api_url}"),
        ),
        Err(e) if e.is_refused() => CheckLine::new(
            NAME,
            Level::Fail,
            format!("Blaxel refused the key for workspace {ws}: {e}"),
            key_fix(ws),
        ),
        Err(e) if e.is_not_found() => CheckLine::new(
            NAME,
            Level::Fail,
            format!("Blaxel has no workspace {ws} for this key: {e}"),
            key_fix(ws),
        ),
        Err(e) => CheckLine::new(
            NAME,
            Level::Fail,
            format!("{api_url}: {e}"),
            "check blaxel.api_url (BL_API_URL) and that this machine reaches it",
        ),
    }
}

/// Whether provisioning needs `integration`: Gmail always; another when it has an OAuth
/// client of its own or a tenant holds it.
fn in_use(config: &Config, local: &Local, integration: Integration) -> bool {
    integration == Integration::Gmail
        || config.integration_clients.get(integration).is_some()
        || local.in_use.contains(&integration)
}

/// `GET /integrations/{name}`. The spec documents only its 200 with the provider's info:
/// the line is ok when that info names `name`; anything else fails for an integration
/// in use and warns for one that is not.
async fn integration(client: &BlaxelClient, name: &'static str, used: bool) -> CheckLine {
    let line = format!("blaxel.integration.{name}");
    let ws = client.workspace();
    let level = if used { Level::Fail } else { Level::Warn };
    let unused = if used {
        ""
    } else {
        " (no tenant holds it and it has no client of its own: provisioning does not need it yet)"
    };
    match client.get_integration(name).await {
        Ok(body) if body.get("name").and_then(|n| n.as_str()) == Some(name) => CheckLine::ok(
            line,
            format!("Blaxel knows the integration {name} (workspace {ws})"),
        ),
        Ok(body) => CheckLine::new(
            line,
            level,
            format!(
                "Blaxel answered for the integration {name} with another name: {}{unused}",
                body.get("name")
                    .map_or("none".to_owned(), |n| n.to_string())
            ),
            "check blaxel.api_url (BL_API_URL) points at Blaxel's API",
        ),
        Err(e) if e.is_refused() => CheckLine::new(
            line,
            Level::Fail,
            format!("Blaxel refused the key: {e}"),
            key_fix(ws),
        ),
        Err(e) if e.is_not_found() => CheckLine::new(
            line,
            level,
            format!("Blaxel does not know the integration {name} in workspace {ws}: {e}{unused}"),
            format!(
                "enable the {name} integration for workspace {ws} in the Blaxel console (Integrations)"
            ),
        ),
        Err(e) => CheckLine::new(line, level, format!("{e}{unused}"), "see blaxel.workspace"),
    }
}

#[cfg(test)]
mod tests {
    use axum::Json;
    use axum::routing::get;
    use secrecy::SecretString;

    use super::*;

    /// A Blaxel whose `GET /integrations/{name}` answers 200 for any name, naming `gmail`.
    async fn answering_gmail_for_all() -> BlaxelClient {
        let app = axum::Router::new().route(
            "/v0/integrations/{name}",
            get(|| async { Json(serde_json::json!({"name": "gmail"})) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        let url = url::Url::parse(&format!("http://{at}/v0")).unwrap();
        BlaxelClient::new(
            url,
            "ws".into(),
            SecretString::from("k"),
            reqwest::Client::new(),
        )
    }

    #[tokio::test]
    async fn a_200_counts_only_when_it_names_the_integration_asked() {
        let client = answering_gmail_for_all().await;
        let gmail = integration(&client, "gmail", true).await;
        assert_eq!(gmail.level, Level::Ok, "{gmail:?}");
        assert!(gmail.detail.contains("Blaxel knows the integration gmail"));
        let drive = integration(&client, "google-drive", true).await;
        assert_eq!(drive.level, Level::Fail, "{drive:?}");
        assert!(drive.detail.contains("another name"), "{drive:?}");
        let unused = integration(&client, "google-drive", false).await;
        assert_eq!(unused.level, Level::Warn, "{unused:?}");
    }
}
