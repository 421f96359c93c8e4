//! Test harness: a real listener on loopback wired to a Google sandbox, driven over HTTP the
//! way a browser would (no redirects followed automatically, so each hop is checked).
#![allow(dead_code)]

pub mod blaxel_rig;
mod consent;
mod drive;
mod events;
#[path = "../support_pg/mod.rs"]
pub mod pg;
mod proxy;
mod scan;

#[allow(unused_imports)]
pub use consent::*;
#[allow(unused_imports)]
pub use drive::*;
#[allow(unused_imports)]
pub use events::*;
#[allow(unused_imports)]
pub use scan::*;

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine as _;
use mcp_onboard::config::Config;
use mcp_onboard::engine::api::{LinkView, StatusView, TenantSummary, TenantView};
use mcp_onboard::engine::lifecycle::NewTenant;
use mcp_onboard::engine::{Actor, Command, Engine, EngineError, Parts, Placement, Reply, Worker};
use mcp_onboard::http::{self, RateLimit};
use mcp_onboard::sandbox::google::{
    AUTH_PATH, GoogleSandbox, REVOKE_PATH, SandboxGoogleConfig, TOKEN_PATH,
};
use mcp_onboard::store::KeySource;
use secrecy::SecretString;
use url::Url;

/// Who the harness runs operator commands as.
pub const OWNER: Actor = Actor::System(Worker::Owner);

pub const CLIENT_ID: &str = "test-client.apps.sandbox";
pub const CLIENT_SECRET: &str = "test-client-secret-XYZ";

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub engine: Arc<Engine>,
    pub google: GoogleSandbox,
    pub base: Url,
    pub http: reqwest::Client,
    pub key: String,
    /// The consent cookie this harness's "browser" holds (`name=value`), as a browser keeps
    /// it: set by our pages, sent back to our listener.
    pub jar: std::sync::Mutex<Option<String>>,
    /// The PostgreSQL server the store is in, when it is not sled (dropped last).
    pub pg: Option<pg::PgServer>,
}

pub fn test_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

/// A rate limit no test reaches unless it means to.
fn roomy() -> RateLimit {
    RateLimit {
        per_minute: std::num::NonZeroU32::new(10_000).unwrap(),
        burst: std::num::NonZeroU32::new(10_000).unwrap(),
    }
}

pub async fn harness() -> Harness {
    harness_with(roomy()).await
}

pub async fn harness_with(rate: RateLimit) -> Harness {
    build(rate, None, None, &[], pg::Backend::Sled)
        .await
        .expect("sled is always there")
}

/// A harness whose store is `backend`'s; `None`: PostgreSQL is not installed (SKIPPED).
pub async fn harness_on(backend: pg::Backend) -> Option<Harness> {
    build(roomy(), None, None, &[], backend).await
}

/// A harness whose configuration also has `env` (e.g. the brand's variables).
pub async fn harness_with_env(env: &[(&'static str, &str)]) -> Harness {
    harness_with_env_on(env, pg::Backend::Sled)
        .await
        .expect("sled is always there")
}

/// A harness on `backend` whose configuration also has `env`; `None`: PostgreSQL is not
/// installed (SKIPPED).
pub async fn harness_with_env_on(
    env: &[(&'static str, &str)],
    backend: pg::Backend,
) -> Option<Harness> {
    build(roomy(), None, None, env, backend).await
}

/// A harness whose engine provisions with `blaxel` (the owner gives the engine its client).
/// `None`: `backend` is PostgreSQL and it is not installed (SKIPPED).
pub async fn harness_with_blaxel(
    blaxel: mcp_onboard::blaxel::BlaxelClient,
    backend: pg::Backend,
) -> Option<Harness> {
    harness_with_blaxel_env(blaxel, backend, &[]).await
}

/// [`harness_with_blaxel`] with `env` set too.
pub async fn harness_with_blaxel_env(
    blaxel: mcp_onboard::blaxel::BlaxelClient,
    backend: pg::Backend,
    env: &[(&'static str, &str)],
) -> Option<Harness> {
    build(roomy(), None, Some(blaxel), env, backend).await
}

/// The listener behind a reverse proxy that serves it under `prefix` (e.g. `/onboard`) and
/// strips the prefix on the way in: `public_url` carries the prefix.
pub async fn harness_behind_proxy(prefix: &'static str) -> Harness {
    build(roomy(), Some(prefix), None, &[], pg::Backend::Sled)
        .await
        .expect("sled is always there")
}

/// A Google stand-in for the owner whose public URL is `public` (`default_email` signs in
/// unless a test says otherwise), and the environment that points that owner at it: the
/// client's id and secret and the three endpoints.
pub async fn google_standin(
    public: &str,
    default_email: &str,
) -> (GoogleSandbox, Vec<(&'static str, String)>) {
    let google = GoogleSandbox::new(SandboxGoogleConfig {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        redirect_uris: vec![format!("{public}/oauth/callback")],
        default_email: default_email.into(),
    });
    let gbase = google.spawn().await.unwrap();
    let g = |p: &str| format!("{}{}", gbase.as_str().trim_end_matches('/'), p);
    let env = vec![
        ("GOOGLE_CLIENT_ID", CLIENT_ID.to_owned()),
        ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("GOOGLE_AUTH_URL", g(AUTH_PATH)),
        ("GOOGLE_TOKEN_URL", g(TOKEN_PATH)),
        ("GOOGLE_REVOKE_URL", g(REVOKE_PATH)),
    ];
    (google, env)
}

async fn build(
    rate: RateLimit,
    prefix: Option<&'static str>,
    blaxel: Option<mcp_onboard::blaxel::BlaxelClient>,
    extra: &[(&'static str, &str)],
    backend: pg::Backend,
) -> Option<Harness> {
    let pg = match backend {
        pg::Backend::Sled => None,
        pg::Backend::Postgres => Some(pg::PgServer::start()?),
    };
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (public, base) = match prefix {
        Some(p) => {
            let front = proxy::proxy(p, addr).await;
            (format!("http://{front}{p}"), format!("http://{front}"))
        }
        None => (format!("http://{addr}"), format!("http://{addr}")),
    };
    let (google, google_env) = google_standin(&public, "customer@example.com").await;
    let mut env: HashMap<&str, String> = HashMap::from([
        ("MCP_ONBOARD_BIND", addr.to_string()),
        ("MCP_ONBOARD_PUBLIC_URL", public.clone()),
    ]);
    env.extend(google_env);
    env.extend(pg.iter().flat_map(pg::PgServer::env));
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let config = Config::load(None, false, &|k| env.get(k).cloned()).unwrap();
    let key = test_key();
    let parts = Parts {
        placement: Placement::Serving,
        blaxel,
        setup: Vec::new(),
        demo: false,
    };
    let engine = Engine::open_with(
        &dir.path().join("data"),
        &KeySource::Env(SecretString::from(key.clone())),
        Arc::new(config),
        parts,
    )
    .await
    .unwrap();
    let app = http::router(engine.clone(), rate, None);
    let limits = http::conn_limits(&engine.config().listener);
    tokio::spawn(http::serve(listener, app, std::future::pending(), limits));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Some(Harness {
        dir,
        engine,
        google,
        base: Url::parse(&base).unwrap(),
        http,
        key,
        jar: std::sync::Mutex::new(None),
        pg,
    })
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Harness {
    pub async fn add(&self, slug: &str, email: Option<&str>, domain: Option<&str>) {
        let input = NewTenant {
            slug: slug.into(),
            display_name: Some(format!("{slug} Ltd")),
            expected_email: email.map(Into::into),
            expected_domain: domain.map(Into::into),
            ..Default::default()
        };
        self.engine
            .run(OWNER, Command::AddTenant(input))
            .await
            .unwrap();
    }

    /// Run `command` on the engine; it must succeed.
    pub async fn run(&self, command: Command) -> Reply {
        let what = format!("{command:?}");
        match self.engine.run(OWNER, command).await {
            Ok(reply) => reply,
            Err(e) => panic!("{what} was refused: {e}"),
        }
    }

    /// Run `command`, which the engine must refuse: why it did.
    pub async fn refused(&self, command: Command) -> EngineError {
        let what = format!("{command:?}");
        match self.engine.run(OWNER, command).await {
            Ok(reply) => panic!("{what} was accepted: {reply:?}"),
            Err(e) => e,
        }
    }

    /// Every tenant (one page, unfiltered) and how many there are.
    pub async fn list(&self) -> (Vec<TenantSummary>, usize) {
        match self
            .run(Command::ListTenants {
                query: Default::default(),
            })
            .await
        {
            Reply::Tenants { tenants, total } => (tenants, total),
            other => panic!("unexpected {other:?}"),
        }
    }

    /// What `status` says.
    pub async fn status(&self) -> StatusView {
        match self.run(Command::Status).await {
            Reply::Status(s) => *s,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub async fn link(&self, slug: &str) -> LinkView {
        match self
            .engine
            .run(
                OWNER,
                Command::IssueLink {
                    integration: None,
                    slug: slug.into(),
                    ttl_secs: 3600,
                    replace: false,
                },
            )
            .await
            .unwrap()
        {
            Reply::Link(l) => l,
            other => panic!("unexpected {other:?}"),
        }
    }

    pub async fn show(&self, slug: &str) -> TenantView {
        match self
            .engine
            .run(OWNER, Command::ShowTenant { slug: slug.into() })
            .await
            .unwrap()
        {
            Reply::Tenant(t) => *t,
            other => panic!("unexpected {other:?}"),
        }
    }

    /// A request as a browser sends it: with our cookie when it goes to our listener.
    fn with_cookie(&self, req: reqwest::RequestBuilder, url: &str) -> reqwest::RequestBuilder {
        let ours = url.starts_with(self.base.as_str());
        match self.jar.lock().unwrap().clone() {
            Some(c) if ours => req.header("cookie", c),
            _ => req,
        }
    }

    fn keep_cookie(&self, res: &reqwest::Response) {
        if let Some(c) = consent_cookie(res) {
            *self.jar.lock().unwrap() = Some(c);
        }
    }

    /// Another browser from now on: no cookie.
    pub fn forget_cookies(&self) {
        *self.jar.lock().unwrap() = None;
    }

    pub async fn get(&self, url: &str) -> Page {
        let res = self
            .with_cookie(self.http.get(url), url)
            .send()
            .await
            .unwrap();
        self.keep_cookie(&res);
        Self::page(res).await
    }

    pub async fn post_form(&self, url: &str, form: &[(String, String)]) -> Page {
        let res = self
            .with_cookie(self.http.post(url).form(form), url)
            .send()
            .await
            .unwrap();
        self.keep_cookie(&res);
        Self::page(res).await
    }

    /// Open the link and press Continue on its page; the raw answer to Continue.
    pub async fn press_continue(&self, link: &LinkView) -> reqwest::Response {
        let page = self.get(&link.url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let action = extract(&page.body, r#"action=""#, '"');
        let token = extract(&page.body, r#"name="token" value=""#, '"');
        let url = format!("{}{}", self.base.as_str().trim_end_matches('/'), action);
        self.with_cookie(self.http.post(&url), &url)
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status().as_u16();
        let location = res
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let body = res.text().await.unwrap();
        Page {
            status,
            location,
            body,
        }
    }

    /// Open the link and press Continue; returns Google's authorize URL.
    pub async fn start(&self, link: &LinkView) -> Url {
        let res = Self::page(self.press_continue(link).await).await;
        assert_eq!(res.status, 303, "{}", res.body);
        Url::parse(res.location.as_deref().unwrap()).unwrap()
    }

    /// Issue a link, open it, press Continue; returns the flow's `state`.
    pub async fn started_state(&self, slug: &str) -> String {
        let auth = self.start(&self.link(slug).await).await;
        auth.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("the authorize URL carries a state")
    }

    /// At the sandbox consent page: press Allow (or Deny) as `email`, ticking `scopes`
    /// (all requested ones when `None`). Returns the callback URL Google redirects to.
    pub async fn consent(
        &self,
        authorize: &Url,
        email: &str,
        allow: bool,
        scopes: Option<Vec<String>>,
    ) -> String {
        let page = self.get(authorize.as_str()).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let q: HashMap<String, String> = authorize.query_pairs().into_owned().collect();
        let mut form: Vec<(String, String)> =
            ["client_id", "redirect_uri", "state", "code_challenge"]
                .iter()
                .map(|k| ((*k).to_owned(), q.get(*k).cloned().unwrap_or_default()))
                .collect();
        form.push(("email".into(), email.into()));
        form.push((
            "decision".into(),
            if allow { "allow" } else { "deny" }.into(),
        ));
        let scopes = scopes.unwrap_or_else(|| q["scope"].split(' ').map(str::to_owned).collect());
        form.extend(scopes.into_iter().map(|s| ("scope".to_owned(), s)));
        let approve = authorize.join("approve").unwrap();
        let res = self.post_form(approve.as_str(), &form).await;
        assert_eq!(res.status, 303, "{}", res.body);
        res.location.unwrap()
    }

    /// The whole happy path for `slug`; returns the final page.
    pub async fn onboard(&self, slug: &str, email: &str) -> Page {
        let link = self.link(slug).await;
        self.onboard_through(&link, email).await
    }

    /// The whole happy path through a given link.
    pub async fn onboard_through(&self, link: &LinkView, email: &str) -> Page {
        let auth = self.start(link).await;
        let cb = self.consent(&auth, email, true, None).await;
        self.get(&cb).await
    }

    /// Whether a refresh token is stored for `slug`.
    pub fn has_token(&self, slug: &str) -> bool {
        self.token(slug).is_some()
    }

    /// The refresh token stored for `slug`, decrypted.
    pub fn token(&self, slug: &str) -> Option<secrecy::SecretString> {
        self.secret(slug, "refresh_token")
    }

    /// Any secret stored for `slug`, decrypted (read on a thread of its own).
    pub fn secret(&self, slug: &str, name: &str) -> Option<secrecy::SecretString> {
        let store = self.engine.store().clone();
        let (slug, name) = (slug.to_owned(), name.to_owned());
        std::thread::spawn(move || store.reader().secret(&slug, &name).unwrap())
            .join()
            .unwrap()
    }

    /// Every file under the data dir, concatenated.
    pub fn data_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        collect(self.dir.path(), &mut out);
        out
    }

    /// Everything stored: the data dir's files, and the database when the store is
    /// PostgreSQL.
    pub fn stored_bytes(&self) -> Vec<u8> {
        let mut out = self.data_bytes();
        if let Some(pg) = &self.pg {
            out.extend(pg.dump());
        }
        out
    }
}

/// The control client of the owner process serving `data`, once it answers (it may still
/// be starting).
pub async fn owner_client(data: &std::path::Path) -> mcp_onboard::control::Client {
    let start = std::time::Instant::now();
    loop {
        if let Ok(Some(c)) = mcp_onboard::control::Client::connect(data).await {
            return c;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "owner never came up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
