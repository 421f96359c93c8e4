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
