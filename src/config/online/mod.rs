//! `config check --online`: what only the network can tell about a configuration, one
//! line per check (`ok`, `warn` or `fail`, with its fix). The checks run at once, each
//! request bounded by [`Options::timeout`]; they read nothing from the store and change
//! nothing anywhere, except the Blaxel connection [`Options::write`] creates and deletes
//! again. `config check --online` prints the lines; the console's set-up panel shows them.

mod blaxel;
mod clock;
mod fix;
mod google;
mod healthz;
mod redirect;
mod tls;
mod write;

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Config;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    /// Works for now, or could not be told: worth a look, not a failure.
    Warn,
    /// Customers or provisioning will fail until it is fixed.
    Fail,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "fail",
        }
    }
}

/// One check's outcome. `name` is stable (scripts key on it); `fix` is empty when there is
/// nothing to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckLine {
    pub name: String,
    pub level: Level,
    pub detail: String,
    pub fix: String,
}

impl CheckLine {
    pub fn ok(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(name, Level::Ok, detail, "")
    }

    pub fn new(
        name: impl Into<String>,
        level: Level,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            level,
            detail: detail.into(),
            fix: fix.into(),
        }
    }
}

/// What this machine knows of its own deployment, to compare with what `/healthz` says.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// This deployment's id (the owner's `status`, else derived from the data key here);
    /// `None`: neither could be had.
    pub deployment: Option<String>,
    /// An owner answers on this data dir's control socket.
    pub owner_runs: bool,
    /// The integrations tenants hold, as far as the store could be asked.
    pub in_use: std::collections::BTreeSet<crate::domain::integration::Integration>,
}

/// How the checks run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Create a labelled Blaxel connection and delete it again.
    pub write: bool,
    /// The longest any one request may take.
    pub timeout: Duration,
    /// Certificates trusted besides the public web's roots (a private CA's), DER.
    pub extra_roots: Vec<Vec<u8>>,
}

/// The longest one request of the check may take, unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for Options {
    fn default() -> Self {
        Self {
            write: false,
            timeout: DEFAULT_TIMEOUT,
            extra_roots: Vec::new(),
        }
    }
}

/// Every online check of `config` (`demo`: provisioning uses the built-in stand-in), in a
/// fixed order whatever order they finish in.
pub async fn run(config: &Config, demo: bool, local: &Local, options: &Options) -> Vec<CheckLine> {
    let http = match http_client(options) {
        Ok(h) => h,
        Err(e) => {
            return vec![CheckLine::new(
                "http",
                Level::Fail,
                format!("cannot make an HTTP client: {e}"),
                "",
            )];
        }
    };
    let (health, cert, google, blaxel) = tokio::join!(
        healthz::check(&http, config, local),
        tls::check(&config.listener.public_url, options),
        google::checks(&http, config),
        blaxel::checks(config, demo, local, options),
    );
    let mut lines = vec![health, cert];
    lines.extend(google);
    lines.extend(blaxel);
    lines
}

/// Whether any line failed (`config check --online` then exits 1).
pub fn any_failed(lines: &[CheckLine]) -> bool {
    lines.iter().any(|l| l.level == Level::Fail)
}

/// The client of every check but Blaxel's (which has its own): no redirects followed,
/// every request bounded, the private CA trusted too.
fn http_client(options: &Options) -> reqwest::Result<reqwest::Client> {
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .user_agent(crate::store::fence::user_agent(None));
    for der in &options.extra_roots {
        b = b.add_root_certificate(reqwest::Certificate::from_der(der)?);
    }
    b.build()
}
