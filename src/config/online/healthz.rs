//! `public_url.healthz`: `{public_url}/healthz` answers, from a node of this deployment
//! (its `X-Mcp-Onboard-Deployment` names the same deployment as this machine's). With no
//! owner running here a failure is only a warning: nothing here is expected to answer.

use super::{CheckLine, Level, Local};
use crate::config::Config;
use crate::http::DEPLOYMENT_HEADER;

const NAME: &str = "public_url.healthz";

pub(super) async fn check(http: &reqwest::Client, config: &Config, local: &Local) -> CheckLine {
    let url = config.public_path("/healthz");
    let public = &config.listener.public_url;
    // Without an owner here, what does not answer is only a warning.
    let level = if local.owner_runs {
        Level::Fail
    } else {
        Level::Warn
    };
    let no_owner = if local.owner_runs {
        ""
    } else {
        " (no owner runs here)"
    };
    let reach = format!(
        "start the owner (`mcp-onboard serve` or the console) and make {public} reach it (DNS, the proxy in front: pass /healthz through)"
    );
    let res = match http.get(url.clone()).send().await {
        Ok(r) => r,
        Err(e) => {
            return CheckLine::new(
                NAME,
                level,
                format!("{url} did not answer{no_owner}: {}", super::fix::cause(&e)),
                reach,
            );
        }
    };
    if res.status() != reqwest::StatusCode::OK {
        return CheckLine::new(
            NAME,
            level,
            format!("{url} answered {}{no_owner}", res.status()),
            reach,
        );
    }
    let theirs = res
        .headers()
        .get(DEPLOYMENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match (theirs, &local.deployment) {
        (None, _) => CheckLine::new(
            NAME,
            level,
            format!(
                "{url} answered, but not as mcp-onboard does (no {DEPLOYMENT_HEADER}: another server, or an older release){no_owner}"
            ),
            format!("point {public} at this deployment's nodes, or upgrade them"),
        ),
        (Some(theirs), None) => CheckLine::new(
            NAME,
            Level::Warn,
            format!(
                "{url} answered from deployment {theirs}; this machine's own could not be read to compare"
            ),
            "run the check where the owner runs, or with its data dir and key",
        ),
        (Some(theirs), Some(ours)) if theirs == *ours => CheckLine::ok(
            NAME,
            format!("{url} answered from this deployment ({ours})"),
        ),
        (Some(theirs), Some(ours)) => CheckLine::new(
            NAME,
            level,
            format!(
                "{url} answered from another deployment ({theirs}; this one is {ours}){no_owner}"
            ),
            format!("point {public} (DNS, the proxy in front) at this deployment's nodes"),
        ),
    }
}
