//! TLS to PostgreSQL as libpq's `sslmode` means it, against a real server with a
//! certificate of a test authority: `require` encrypts whatever the certificate,
//! `verify-ca` checks the chain, `verify-full` the chain and the host name.

mod support_pg;

use base64::Engine as _;
use mcp_onboard::config::postgres_url::PostgresUrl;
use mcp_onboard::config::{StoreBackend, StoreConfig};
use mcp_onboard::store::{KeySource, Store, StoreError};
use secrecy::SecretString;
use support_pg::PgServer;

/// A certificate authority: its certificate (PEM) and what signs with it.
fn authority(name: &str) -> (String, rcgen::Certificate, rcgen::KeyPair) {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), cert, key)
}

fn open(dir: &std::path::Path, url: &str) -> Result<Store, StoreError> {
    let key = KeySource::Env(SecretString::from(
        base64::engine::general_purpose::STANDARD.encode([3u8; 32]),
    ));
    let config = StoreConfig {
        backend: StoreBackend::Postgres(Box::new(PostgresUrl::parse(url).unwrap())),
        ..Default::default()
    };
    Store::open_with(dir, &key, &config)
}

#[tokio::test]
async fn sslmode_is_kept_as_libpq_means_it() {
    let (ca_pem, ca, ca_key) = authority("test authority");
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    let Some((pg, port)) = PgServer::start_tls(&server.pem(), &server_key.serialize_pem()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root.pem");
    std::fs::write(&root, &ca_pem).unwrap();
    let (other_pem, _, _) = authority("another authority");
    let other = dir.path().join("other.pem");
    std::fs::write(&other, &other_pem).unwrap();
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    let data = dir.path().join("data");
    let works = |host: &str, query: String| {
        let store =
            open(&data, &url(host, &query)).unwrap_or_else(|e| panic!("{host} {query}: {e}"));
        drop(store);
    };
    let refused = |host: &str, query: String| {
        let err = open(&data, &url(host, &query)).expect_err(&format!("{host} {query}"));
        assert!(matches!(err, StoreError::Database(_)), "{err}");
        err.to_string()
    };
    // The chain and the name.
    works(
        "localhost",
        format!("sslmode=verify-full&sslrootcert={}", root.display()),
    );
    let err = refused(
        "127.0.0.1",
        format!("sslmode=verify-full&sslrootcert={}", root.display()),
    );
    assert!(err.contains("TLS") || err.contains("tls"), "{err}");
    refused(
        "localhost",
        format!("sslmode=verify-full&sslrootcert={}", other.display()),
    );
    // The chain only.
    works(
        "127.0.0.1",
        format!("sslmode=verify-ca&sslrootcert={}", root.display()),
    );
    refused(
        "127.0.0.1",
        format!("sslmode=verify-ca&sslrootcert={}", other.display()),
    );
    // require with a root named checks the chain, as libpq.
    refused(
        "localhost",
        format!("sslmode=require&sslrootcert={}", other.display()),
    );
    // Encrypted, the certificate not checked.
    works("127.0.0.1", "sslmode=require".to_owned());
    works("127.0.0.1", "sslmode=prefer".to_owned());
    // The store's connections are encrypted: look from the server's side.
    let store = open(&data, &url("127.0.0.1", "sslmode=require")).unwrap();
    store.read(|r| r.tenants()).await.unwrap();
    let me = mcp_onboard::domain::actor::Actor::System(mcp_onboard::domain::actor::Worker::Owner);
    store
        .commit(&me, mcp_onboard::store::Durability::Durable, |tx| {
            tx.tenant("acme")
        })
        .await
        .unwrap();
    let encrypted = pg
        .column(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE ssl AND client_addr IS NOT NULL",
        )
        .await;
    let n: u32 = encrypted[0].as_deref().unwrap().parse().unwrap();
    assert!(n >= 2, "the writer's and a reader's connections: {n}");
    let plain = pg
        .column(
            "SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) \
             WHERE NOT ssl AND client_addr IS NOT NULL",
        )
        .await;
    assert_eq!(plain[0].as_deref(), Some("0"));
    drop(store);
}
