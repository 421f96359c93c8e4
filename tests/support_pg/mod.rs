//! A throwaway PostgreSQL server for tests: `initdb` and `pg_ctl` from Debian's package
//! (`/usr/lib/postgresql/VERSION/bin`, the newest first) or from PATH, in a temporary
//! directory, listening on a Unix socket in that directory only (no TCP port), with
//! `fsync=off` unless a test asks for a durable one. The server refuses to run as root, so
//! when the tests run as root (CI does) it runs as the `postgres` user (Debian's package
//! creates it) through `runuser`, in a directory given to that user. Stopped, and its
//! directory removed, on drop.
//!
//! Without PostgreSQL, [`PgServer::start`] says SKIPPED loudly and the test returns, except
//! when `CI` is set: then it fails (`apt-get install postgresql`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

/// A running server; stopped and removed on drop.
pub struct PgServer {
    dir: tempfile::TempDir,
    bin: PathBuf,
    /// `Some(user)`: commands run as this user (the tests run as root).
    as_user: Option<String>,
    /// (uid, gid) of that user.
    ids: Option<(u32, u32)>,
    fsync: bool,
    /// The loopback port it also listens on, with TLS (see [`PgServer::start_tls`]).
    tls_port: Option<u16>,
}

/// The directory holding `initdb` and `pg_ctl`, if PostgreSQL is installed.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
    })
}

/// The uid and gid of `user`, from the password file.
fn user_ids(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&user) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

fn skipped(why: &str) -> Option<PgServer> {
    if std::env::var_os("CI").is_some() {
        panic!("PostgreSQL tests need a server: {why} (apt-get install postgresql)");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n==================== SKIPPED: no PostgreSQL ====================\n\
         {why}\n\
         install: apt-get install -y postgresql\n\
         ===============================================================\n"
    );
    None
}

/// `path` and every folder above it can be entered by other users (the server's user).
fn reachable_by_others(path: &Path) -> Result<(), PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    for p in path.ancestors().skip(1) {
        let mode = std::fs::metadata(p)
            .map_err(|_| p.to_owned())?
            .permissions()
            .mode();
        if mode & 0o001 == 0 {
            return Err(p.to_owned());
        }
    }
    Ok(())
}

impl PgServer {
    /// A fresh server (`fsync=off`), or `None` when PostgreSQL is not installed (outside CI).
    pub fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// A fresh server that syncs its log on commit, as production does.
    pub fn start_durable() -> Option<Self> {
        Self::start_with(true)
    }

    /// A fresh server that also listens on a loopback port with TLS, showing `cert_pem`
    /// (its key `key_pem`); returns it and the port.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<(Self, u16)> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let mut server = Self::init(false)?;
        for (name, pem, mode) in [
            ("server.crt", cert_pem, 0o644),
            ("server.key", key_pem, 0o600),
        ] {
            use std::os::unix::fs::PermissionsExt;
            let path = server.data().join(name);
            std::fs::write(&path, pem).expect("writing the server's certificate");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
            if let Some((uid, gid)) = server.ids {
                std::os::unix::fs::chown(&path, Some(uid), Some(gid)).expect("chown");
            }
        }
        server.tls_port = Some(port);
        server.up();
        Some((server, port))
    }

    fn start_with(fsync: bool) -> Option<Self> {
        let server = Self::init(fsync)?;
        server.up();
        Some(server)
    }

    /// A fresh server's files, not started.
    fn init(fsync: bool) -> Option<Self> {
        let Some(bin) = bin_dir() else {
            return skipped(
                "initdb and pg_ctl are neither in /usr/lib/postgresql/*/bin nor on PATH",
            );
        };
        let root = rustix::process::geteuid().is_root();
        let dir = tempfile::Builder::new()
            .prefix("pg-")
            .tempdir()
            .expect("a temporary directory for the server");
        let mut ids = None;
        let as_user = if root {
            let Some((uid, gid)) = user_ids(SERVER_USER) else {
                return skipped(&format!(
                    "the tests run as root and there is no `{SERVER_USER}` user to run the server as"
                ));
            };
            if let Err(p) = reachable_by_others(dir.path()) {
                panic!(
                    "the PostgreSQL server runs as `{SERVER_USER}`, who cannot enter {} (make it enterable: chmod o+x, or set TMPDIR elsewhere)",
                    p.display()
                );
            }
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
            ids = Some((uid, gid));
            Some(SERVER_USER.to_owned())
        } else {
            None
        };
        let server = PgServer {
            dir,
            bin,
            as_user,
            ids,
            fsync,
            tls_port: None,
        };
        let data = server.data();
        let out = server.run(
            "initdb",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        assert!(out.status.success(), "initdb failed: {}", text(&out));
        Some(server)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The folder the server's socket is in.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Run one of the server's programs, as the server's user.
    fn run(&self, program: &str, args: &[&str]) -> Output {
        let exe = self.bin.join(program);
        let mut cmd = match &self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        cmd.args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", exe.display()))
    }

    /// Start the server (again).
    pub fn up(&self) {
        let sock = self.dir.path().to_str().expect("utf-8 path");
        let listen = match self.tls_port {
            Some(port) => format!(
                "-c listen_addresses=127.0.0.1 -p {port} -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key"
            ),
            None => "-c listen_addresses=''".to_owned(),
        };
        let options = format!(
            "{listen} -k {sock} -c fsync={} -c max_connections=40 -c shared_buffers=16MB",
            if self.fsync { "on" } else { "off" }
        );
        let data = self.data();
        let log = self.dir.path().join("server.log");
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-l",
                log.to_str().expect("utf-8 path"),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{}",
            text(&out),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stop the server: `fast` (an orderly stop) or `immediate` (as a crash: no checkpoint,
    /// the next start recovers from the log).
    pub fn down(&self, mode: &str) {
        let data = self.data();
        let out = self.run(
            "pg_ctl",
            &[
                "-D",
                data.to_str().expect("utf-8 path"),
                "-m",
                mode,
                "-w",
                "stop",
            ],
        );
        assert!(out.status.success(), "pg_ctl stop failed: {}", text(&out));
    }

    /// A libpq URI of `database` on this server, over its socket.
    pub fn url_of(&self, database: &str) -> String {
        // The socket's name carries the port.
        let port = self
            .tls_port
            .map(|p| format!("&port={p}"))
            .unwrap_or_default();
        format!(
            "postgres://postgres@/{database}?host={}{port}",
            self.socket_dir().display()
        )
    }

    /// The URI of the server's own database.
    pub fn url(&self) -> String {
        self.url_of("postgres")
    }

    /// The environment that points the tool at this server.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("MCP_ONBOARD_STORE_BACKEND", "postgres".to_owned()),
            ("MCP_ONBOARD_DATABASE_URL", self.url()),
        ]
    }

    /// The store's configuration for this server.
    pub fn store_config(&self) -> mcp_onboard::config::StoreConfig {
        let url = mcp_onboard::config::postgres_url::PostgresUrl::parse(&self.url())
            .expect("the test server's URI");
        mcp_onboard::config::StoreConfig {
            backend: mcp_onboard::config::StoreBackend::Postgres(Box::new(url)),
            ..Default::default()
        }
    }

    /// Everything the database holds, as `pg_dump` writes it (binary columns in the escape
    /// form: printable bytes as they are), for a test that looks for what must not be
    /// there in clear.
    pub fn dump(&self) -> Vec<u8> {
        // A client, not the server: it may run as root.
        let out = Command::new(self.bin.join("pg_dump"))
            .args(["--data-only", "-U", "postgres", "-h"])
            .arg(self.socket_dir())
            .args(["-p", &self.tls_port.unwrap_or(5432).to_string()])
            .arg("postgres")
            .env("PGOPTIONS", "-c bytea_output=escape")
            .stdin(Stdio::null())
            .output()
            .expect("running pg_dump");
        assert!(out.status.success(), "pg_dump failed: {}", text(&out));
        out.stdout
    }

    /// Run SQL through a connection of its own (a test looking behind the store's back).
    pub async fn sql(&self, statements: &str) -> Vec<tokio_postgres::SimpleQueryMessage> {
        let (client, conn) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .expect("connecting to the test server");
        let task = tokio::spawn(conn);
        let out = client
            .simple_query(statements)
            .await
            .expect("the test's own SQL");
        drop(client);
        let _ = task.await;
        out
    }

    /// The first column of every row `query` returns.
    pub async fn column(&self, query: &str) -> Vec<Option<String>> {
        self.sql(query)
            .await
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_owned)),
                _ => None,
            })
            .collect()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let data = self.data();
        if data.join("postmaster.pid").exists() {
            let d = data.to_str().unwrap_or_default();
            let stopped = self.run("pg_ctl", &["-D", d, "-m", "fast", "-w", "stop"]);
            if !stopped.status.success() {
                let _ = self.run("pg_ctl", &["-D", d, "-m", "immediate", "-w", "stop"]);
            }
        }
        // The temporary directory goes with `dir`.
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The backends a contract test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sled,
    Postgres,
}

/// Where a test's store lives: a data dir, and for PostgreSQL a server of its own.
pub struct Home {
    pub dir: tempfile::TempDir,
    pub pg: Option<PgServer>,
}

impl Home {
    /// `None`: PostgreSQL is not installed (the test is SKIPPED, see [`PgServer::start`]).
    pub fn new(backend: Backend) -> Option<Self> {
        let pg = match backend {
            Backend::Sled => None,
            Backend::Postgres => Some(PgServer::start()?),
        };
        Some(Self {
            dir: tempfile::tempdir().expect("a temporary directory"),
            pg,
        })
    }

    /// The data dir (created by the store).
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn config(&self) -> mcp_onboard::config::StoreConfig {
        self.pg
            .as_ref()
            .map(PgServer::store_config)
            .unwrap_or_default()
    }

    /// The environment that selects this store (nothing for sled, the default).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        self.pg.as_ref().map(PgServer::env).unwrap_or_default()
    }

    pub fn open(
        &self,
        key: &mcp_onboard::store::KeySource,
    ) -> Result<mcp_onboard::store::Store, mcp_onboard::store::StoreError> {
        mcp_onboard::store::Store::open_with(&self.data(), key, &self.config())
    }
}

/// Run `sql` on the server at `url` from a thread of its own, with a connection of its own:
/// what another process does meanwhile (it may be called from inside an operation).
pub fn elsewhere(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async {
                let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .unwrap();
                tokio::spawn(conn);
                client.batch_execute(&sql).await.unwrap();
            })
    })
    .join()
    .unwrap();
}
