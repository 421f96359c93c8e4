//! The demo's configuration: everything on one loopback listener, the Google stand-in
//! mounted under `/sandbox/google`, throwaway client credentials. Only a few variables are
//! read from the environment (to move the port, or to try what they change).

use anyhow::{Context as _, Result};
use url::Url;

use crate::config::Config;
use crate::owner::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_GOOGLE_PREFIX};
use crate::sandbox::google::{AUTH_PATH, REVOKE_PATH, TOKEN_PATH};

pub const DEMO_BIND: &str = "127.0.0.1:8089";

/// The demo's configuration, `env` read only for what the demo lets it change.
pub fn config(env: &dyn Fn(&str) -> Option<String>) -> Result<Config> {
    let bind = env("MCP_ONBOARD_BIND").unwrap_or_else(|| DEMO_BIND.to_owned());
    let bind_env = |k: &str| -> Option<String> {
        match k {
            "MCP_ONBOARD_BIND" => Some(bind.clone()),
            "MCP_ONBOARD_PUBLIC_URL" => Some(format!("http://{bind}")),
            "GOOGLE_CLIENT_ID" => Some(DEMO_CLIENT_ID.to_owned()),
            "GOOGLE_CLIENT_SECRET" => Some(DEMO_CLIENT_SECRET.to_owned()),
            // The demo's tokens are its own stand-in's: `health` checks them on demand.
            // Trying the hand-off to a company's frontend works in the demo too.
            // The brand can be tried in the demo too; its name is the demo's own.
            k if k.starts_with("MCP_ONBOARD_BRAND_") && k != "MCP_ONBOARD_BRAND_NAME" => env(k),
            // Mailing links can be tried with a relay of one's own (a local one, say).
            k if k.starts_with("MCP_ONBOARD_MAIL_") => env(k),
            "MCP_ONBOARD_RETURN_URL"
            | "MCP_ONBOARD_RETURN_REDIRECT"
            | "MCP_ONBOARD_METRICS_BIND" => env(k),
            "MCP_ONBOARD_HEALTH_INTERVAL" => {
                Some(env("MCP_ONBOARD_HEALTH_INTERVAL").unwrap_or_else(|| "off".to_owned()))
            }
            _ => None,
        }
    };
    let mut cfg = Config::load(None, false, &bind_env)?;
    let demo = crate::config::BrandConfig::demo();
    cfg.brand.name = demo.name;
    cfg.brand.google_app_name = cfg.brand.google_app_name.or(demo.google_app_name);
    let base = cfg.public_path(DEMO_GOOGLE_PREFIX);
    let at = |p: &str| -> Result<Url> {
        Url::parse(&format!("{}{p}", base.as_str().trim_end_matches('/'))).context("demo URL")
    };
    cfg.google.auth_url = at(AUTH_PATH)?;
    cfg.google.token_url = at(TOKEN_PATH)?;
    cfg.google.revoke_url = at(REVOKE_PATH)?;
    Ok(cfg)
}
