//! `public_url.tls`: the certificate `{public_url}` shows is valid for its host name now,
//! and still will be in [`AHEAD`] (verified by rustls' WebPKI verifier at both times,
//! against the public web's roots and any given). Plain HTTP is for loopback only: a
//! warning, since customers need https.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use tokio_rustls::rustls;
use url::Url;

use super::{CheckLine, Level, Options};

const NAME: &str = "public_url.tls";
/// How long the certificate must stay valid for the line to be `ok`.
pub const AHEAD: Duration = Duration::from_secs(14 * 24 * 3600);

pub(super) async fn check(public: &Url, options: &Options) -> CheckLine {
    if public.scheme() != "https" {
        return CheckLine::new(
            NAME,
            Level::Warn,
            format!("{public} is plain HTTP on loopback: fine to try it, customers need https"),
            "serve https (listener.tls_cert and listener.tls_key, or a proxy in front) and set listener.public_url to its https URL",
        );
    }
    let (Some(host), Some(port)) = (public.host_str(), public.port_or_known_default()) else {
        return CheckLine::new(NAME, Level::Fail, format!("{public} names no host"), "");
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let verifier = match verifier(&options.extra_roots) {
        Ok(v) => v,
        Err(e) => return CheckLine::new(NAME, Level::Fail, e, ""),
    };
    let Ok(name) = ServerName::try_from(host.clone()) else {
        return CheckLine::new(NAME, Level::Fail, format!("{host} is not a host name"), "");
    };
    let shown = tokio::time::timeout(
        options.timeout,
        chain_of(&host, port, name.clone(), verifier.clone()),
    )
    .await
    .unwrap_or_else(|_| Err(format!("no TLS handshake within {:?}", options.timeout)));
    match shown {
        Ok(chain) => verdict(&verifier, &chain, &name, SystemTime::now()),
        Err(e) => CheckLine::new(
            NAME,
            Level::Fail,
            format!("{host}:{port}: {e}"),
            "make the listener (or the proxy in front) answer TLS at listener.public_url",
        ),
    }
}

/// The verdict on `chain` (leaf first) for `name`, at `now` and [`AHEAD`] later.
pub(super) fn verdict(
    verifier: &WebPkiServerVerifier,
    chain: &[CertificateDer<'static>],
    name: &ServerName<'static>,
    now: SystemTime,
) -> CheckLine {
    let Some((leaf, intermediates)) = chain.split_first() else {
        return CheckLine::new(NAME, Level::Fail, "no certificate shown", "");
    };
    let at = |t: SystemTime| {
        let since = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
        verifier.verify_server_cert(
            leaf,
            intermediates,
            name,
            &[],
            UnixTime::since_unix_epoch(since),
        )
    };
    let host = name.to_str();
    let install = format!(
        "install a certificate for {host} from a CA browsers trust (listener.tls_cert, or the proxy in front); a private CA: pass --trust FILE"
    );
    if let Err(e) = at(now) {
        return CheckLine::new(
            NAME,
            Level::Fail,
            format!("the certificate is not valid for {host} now: {e}"),
            install,
        );
    }
    match at(now + AHEAD) {
        Ok(_) => CheckLine::ok(
            NAME,
            format!("the certificate is valid for {host}, and still in 14 days"),
        ),
        Err(e) => {
            let when = match &e {
                Error::InvalidCertificate(CertificateError::ExpiredContext {
                    not_after, ..
                }) => {
                    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(not_after.as_secs());
                    format!("expires {}", humantime::format_rfc3339_seconds(t))
                }
                other => format!("not valid in 14 days: {other}"),
            };
            CheckLine::new(
                NAME,
                Level::Warn,
                format!("the certificate is valid for {host} now but {when}"),
                format!(
                    "renew the certificate of {host} (and reload: SIGHUP, or the proxy's own way)"
                ),
            )
        }
    }
}

/// The public web's roots and `extra` (DER), in rustls' WebPKI verifier.
fn verifier(extra: &[Vec<u8>]) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for der in extra {
        roots
            .add(CertificateDer::from(der.clone()))
            .map_err(|e| format!("a trusted certificate given is not usable: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| e.to_string())
}

/// The chain `host:port` shows in a TLS handshake (its signature checked, the chain not:
/// that is [`verdict`]'s).
async fn chain_of(
    host: &str,
    port: u16,
    name: ServerName<'static>,
    verifier: Arc<WebPkiServerVerifier>,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let capture = Arc::new(Capture {
        inner: verifier,
        chain: Mutex::new(Vec::new()),
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(capture.clone())
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS handshake failed: {e}"))?;
    let chain = capture.chain.lock().map(|c| c.clone()).unwrap_or_default();
    Ok(chain)
}

/// Keeps the chain shown and lets the handshake finish (its signatures still checked).
#[derive(Debug)]
struct Capture {
    inner: Arc<WebPkiServerVerifier>,
    chain: Mutex<Vec<CertificateDer<'static>>>,
}

impl ServerCertVerifier for Capture {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Ok(mut chain) = self.chain.lock() {
            *chain = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate for `localhost`, valid 2020-01-01 to `until` (year, month,
    /// day): (DER, key DER).
    fn cert(until: (i32, u8, u8)) -> (Vec<u8>, Vec<u8>) {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(until.0, until.1, until.2);
        let key = rcgen::KeyPair::generate().unwrap();
        let c = params.self_signed(&key).unwrap();
        (c.der().to_vec(), key.serialize_der())
    }

    fn at(y: i32, m: u8, d: u8) -> SystemTime {
        let t = rcgen::date_time_ymd(y, m, d).unix_timestamp();
        SystemTime::UNIX_EPOCH + Duration::from_secs(t as u64)
    }

    fn localhost() -> ServerName<'static> {
        ServerName::try_from("localhost".to_owned()).unwrap()
    }

    #[test]
    fn valid_now_and_in_14_days_is_ok_expiring_sooner_warns_expired_fails() {
        let (der, _) = cert((2030, 1, 1));
        let v = verifier(std::slice::from_ref(&der)).unwrap();
        let chain = vec![CertificateDer::from(der)];
        let ok = verdict(&v, &chain, &localhost(), at(2029, 6, 1));
        assert_eq!(ok.level, Level::Ok, "{ok:?}");
        let soon = verdict(&v, &chain, &localhost(), at(2029, 12, 25));
        assert_eq!(soon.level, Level::Warn, "{soon:?}");
        assert!(soon.detail.contains("expires 2030-01-01"), "{soon:?}");
        assert!(soon.fix.contains("renew"), "{soon:?}");
        let gone = verdict(&v, &chain, &localhost(), at(2030, 2, 1));
        assert_eq!(gone.level, Level::Fail, "{gone:?}");
        let other = ServerName::try_from("onboard.example.com".to_owned()).unwrap();
        let wrong = verdict(&v, &chain, &other, at(2029, 6, 1));
        assert_eq!(wrong.level, Level::Fail, "{wrong:?}");
        assert!(wrong.detail.contains("onboard.example.com"), "{wrong:?}");
        // Not trusted (the public roots only): fails.
        let public = verifier(&[]).unwrap();
        assert_eq!(
            verdict(&public, &chain, &localhost(), at(2029, 6, 1)).level,
            Level::Fail
        );
    }

    /// A TLS server on loopback showing `der` (with its key), answering handshakes.
    async fn serve(der: Vec<u8>, key: Vec<u8>) -> u16 {
        use rustls::pki_types::PrivateKeyDer;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(der)],
                PrivateKeyDer::try_from(key).unwrap(),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let _ = acceptor.accept(tcp).await;
                });
            }
        });
        port
    }

    #[tokio::test]
    async fn the_certificate_a_listener_shows_is_checked_for_its_name() {
        let (der, key) = cert((4000, 1, 1));
        let port = serve(der.clone(), key).await;
        let options = Options {
            extra_roots: vec![der],
            ..Options::default()
        };
        let url = |host: &str| Url::parse(&format!("https://{host}:{port}/")).unwrap();
        let line = check(&url("localhost"), &options).await;
        assert_eq!(line.level, Level::Ok, "{line:?}");
        assert_eq!(line.name, "public_url.tls");
        // The same certificate reached by another name is not valid for it.
        let line = check(&url("127.0.0.1"), &options).await;
        assert_eq!(line.level, Level::Fail, "{line:?}");
        // Nothing answers TLS there: fails, with the way to fix it.
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let nothing = Url::parse(&format!("https://localhost:{closed}/")).unwrap();
        let line = check(&nothing, &options).await;
        assert!(line.level == Level::Fail, "{line:?}");
        let http = check(&Url::parse("http://127.0.0.1:1/").unwrap(), &options).await;
        assert_eq!(http.level, Level::Warn, "{http:?}");
    }
}
