//! The listener serving TLS itself, from a real `serve`.

mod support_proc;

use support_proc::*;

/// A self-signed certificate for localhost and 127.0.0.1: (cert PEM, key PEM, DER).
fn cert(name: &str) -> (String, String, Vec<u8>) {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = rcgen::KeyPair::generate().unwrap();
    let c = params.self_signed(&key).unwrap();
    (c.pem(), key.serialize_pem(), c.der().to_vec())
}

/// The certificate the server shows to a new connection.
async fn served_cert(port: u16, trust: &[u8]) -> Vec<u8> {
    use tokio_rustls::rustls;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls_pki_types::CertificateDer::from(trust.to_vec()))
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    match connector.connect(name, tcp).await {
        Ok(s) => s.get_ref().1.peer_certificates().unwrap()[0].to_vec(),
        Err(_) => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_consent_flow_runs_over_the_listeners_own_tls_and_sighup_swaps_the_certificate() {
    let mut w = World::new();
    w.demo = false;
    let public = format!("https://localhost:{}", w.port);
    let _google = google_standin(&mut w, &public).await;
    let (pem, key, der) = cert("first");
    let cert_file = w.tmp.path().join("tls.crt");
    let key_file = w.tmp.path().join("tls.key");
    std::fs::write(&cert_file, &pem).unwrap();
    std::fs::write(&key_file, &key).unwrap();
    for (k, v) in [
        ("MCP_ONBOARD_PUBLIC_URL", public.clone()),
        ("MCP_ONBOARD_TLS_CERT", cert_file.display().to_string()),
        ("MCP_ONBOARD_TLS_KEY", key_file.display().to_string()),
    ] {
        w.env.push((k.into(), v));
    }
    let mut serve = w.serve_tls();
    assert!(
        serve.stdout().contains(", TLS; SIGHUP reloads"),
        "{}",
        serve.stdout()
    );
    w.ok(&["tenant", "add", "acme"]);
    let link = w.json(&["link", "acme"]);
    let url = s(&link, "url").to_owned();
    assert!(url.starts_with(&public), "{url}");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(reqwest::Certificate::from_der(&der).unwrap())
        .build()
        .unwrap();
    let (status, body) = consent_with(&http, &url, "it@acme.example", false).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("is now connected to your Google account"),
        "{body}"
    );
    assert_eq!(w.tenant("acme")["google_email"], "it@acme.example");
    // Plain HTTP is not answered as HTTP on a TLS listener.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/healthz", w.port)).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());

    // A new certificate in the files, SIGHUP, and new connections get it.
    assert_eq!(served_cert(w.port, &der).await, der);
    let (pem2, key2, der2) = cert("second");
    std::fs::write(&cert_file, &pem2).unwrap();
    std::fs::write(&key_file, &key2).unwrap();
    let sent = std::process::Command::new("sh")
        .args(["-c", "kill -HUP \"$0\"", &serve.pid().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = std::time::Instant::now();
    while served_cert(w.port, &der2).await != der2 {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{}",
            serve.stdout()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(serve.stdout().contains("TLS certificate reloaded"));
    // The client's open connection (made under the first certificate) goes on.
    let res = http
        .get(format!("{public}/healthz"))
        .send()
        .await
        .expect("the kept-alive connection still answers");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000",
        "served over TLS: browsers are told to keep to HTTPS"
    );
    // A broken file is refused and the certificate in use stays.
    std::fs::write(&cert_file, "not a certificate").unwrap();
    std::process::Command::new("sh")
        .args(["-c", "kill -HUP \"$0\"", &serve.pid().to_string()])
        .status()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(served_cert(w.port, &der2).await, der2);
    assert!(serve.terminate().success(), "{}", serve.stderr());
    assert!(
        serve.stderr().contains("TLS certificate not reloaded"),
        "{}",
        serve.stderr()
    );
}
