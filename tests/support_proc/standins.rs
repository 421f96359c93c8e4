//! Process tests against in-process Google and Blaxel stand-ins (a real, not demo, world,
//! its store on either backend), and a `serve` under a lowered descriptor limit.

use std::process::Command;

use serde_json::Value;

use super::World;
use super::pg::Backend;

/// Run the command with `n` as its soft and hard `RLIMIT_NOFILE`.
pub fn limit_descriptors(c: &mut Command, n: u64) {
    use std::os::unix::process::CommandExt;
    let limit = rustix::process::Rlimit {
        current: Some(n),
        maximum: Some(n),
    };
    // SAFETY: between fork and exec only setrlimit runs, a plain system call.
    unsafe {
        c.pre_exec(move || {
            rustix::process::setrlimit(rustix::process::Resource::Nofile, limit)
                .map_err(std::io::Error::from)
        });
    }
}

/// A world, and the Google and Blaxel stand-ins it runs against.
pub type WithStandins = (
    World,
    mcp_onboard::sandbox::google::GoogleSandbox,
    mcp_onboard::sandbox::blaxel::BlaxelSandboxHandle,
);

/// A real (not demo) world against in-process Google and Blaxel stand-ins.
pub async fn world_with_standins(
    faults: mcp_onboard::sandbox::blaxel::BlaxelFaults,
) -> WithStandins {
    world_with_standins_on(faults, Backend::Sled)
        .await
        .expect("sled is always there")
}

/// The same with its store on `backend`; `None`: PostgreSQL is not installed (SKIPPED).
pub async fn world_with_standins_on(
    faults: mcp_onboard::sandbox::blaxel::BlaxelFaults,
    backend: Backend,
) -> Option<WithStandins> {
    let mut w = World::new().on(backend)?;
    w.demo = false;
    let base = w.base_url();
    let google = google_standin(&mut w, base.trim_end_matches('/')).await;
    let blaxel = blaxel_standin(faults).await;
    for (k, v) in [
        ("MCP_ONBOARD_PUBLIC_URL", base.clone()),
        ("BL_API_URL", blaxel.base_url().to_string()),
        ("BL_WORKSPACE", "ws".to_owned()),
        ("BL_API_KEY", "bl_key".to_owned()),
    ] {
        w.env.push((k.into(), v));
    }
    Some((w, google, blaxel))
}

/// A Blaxel stand-in for workspace `ws` and key `bl_key`, deploying in 50 ms.
pub async fn blaxel_standin(
    faults: mcp_onboard::sandbox::blaxel::BlaxelFaults,
) -> mcp_onboard::sandbox::blaxel::BlaxelSandboxHandle {
    mcp_onboard::sandbox::blaxel::spawn(mcp_onboard::sandbox::blaxel::BlaxelSandboxConfig {
        workspace: "ws".into(),
        api_key: secrecy::SecretString::from("bl_key"),
        deploy_delay: std::time::Duration::from_millis(50),
        faults,
        ..Default::default()
    })
    .await
    .expect("blaxel stand-in")
}

/// A Google stand-in for the world's owner at `public` (its URL as customers reach it),
/// and the world's environment pointed at it: the client's id and secret, the endpoints.
pub async fn google_standin(
    w: &mut World,
    public: &str,
) -> mcp_onboard::sandbox::google::GoogleSandbox {
    use mcp_onboard::sandbox::google::{
        AUTH_PATH, GoogleSandbox, REVOKE_PATH, SandboxGoogleConfig, TOKEN_PATH,
    };
    let google = GoogleSandbox::new(SandboxGoogleConfig {
        client_id: "it.apps.googleusercontent.com".into(),
        client_secret: "it-secret".into(),
        redirect_uris: vec![format!("{public}/oauth/callback")],
        default_email: "x@example.com".into(),
    });
    let gbase = google.spawn().await.expect("google stand-in");
    let g = |p: &str| format!("{}{p}", gbase.as_str().trim_end_matches('/'));
    for (k, v) in [
        (
            "GOOGLE_CLIENT_ID",
            "it.apps.googleusercontent.com".to_owned(),
        ),
        ("GOOGLE_CLIENT_SECRET", "it-secret".to_owned()),
        ("GOOGLE_AUTH_URL", g(AUTH_PATH)),
        ("GOOGLE_TOKEN_URL", g(TOKEN_PATH)),
        ("GOOGLE_REVOKE_URL", g(REVOKE_PATH)),
    ] {
        w.env.push((k.into(), v));
    }
    google
}

pub fn wait_status(w: &World, slug: &str, want: &str) -> Value {
    let start = std::time::Instant::now();
    loop {
        let t = w.tenant(slug);
        if t["status"] == want {
            return t;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "{slug} never reached {want}: {t:#}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
