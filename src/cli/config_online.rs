//! `config check --online`: what this machine knows of its deployment (from the owner
//! that answers here, else from the data key), the checks of [`crate::config::online`],
//! and their lines as text.

use std::path::Path;

use anyhow::{Context as _, Result};

use super::instance::Instance;
use crate::config::online::{self, CheckLine, Local, Options};
use crate::engine::{Command, Reply};

/// Run the online checks for `instance`; `trust`: a PEM file of certificates to trust
/// besides the public web's roots.
pub async fn lines(
    instance: &Instance,
    write: bool,
    trust: Option<&Path>,
) -> Result<Vec<CheckLine>> {
    let extra_roots = match trust {
        Some(path) => trusted(path)?,
        None => Vec::new(),
    };
    let options = Options {
        write,
        extra_roots,
        ..Options::default()
    };
    let local = local(instance).await;
    Ok(online::run(&instance.config, instance.demo, &local, &options).await)
}

/// The certificates of a PEM file, DER.
fn trusted(path: &Path) -> Result<Vec<Vec<u8>>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject as _;
    let certs: Vec<Vec<u8>> = CertificateDer::pem_file_iter(path)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("reading --trust {}", path.display()))?
        .into_iter()
        .map(|c| c.to_vec())
        .collect();
    anyhow::ensure!(
        !certs.is_empty(),
        "--trust {} holds no certificate (PEM expected)",
        path.display()
    );
    Ok(certs)
}

/// The owner's deployment when one answers here, else the one the data key gives.
async fn local(instance: &Instance) -> Local {
    let bound = online::DEFAULT_TIMEOUT;
    let owner = tokio::time::timeout(bound, crate::control::Client::connect(&instance.data_dir));
    if let Ok(Ok(Some(client))) = owner.await {
        let deployment = match tokio::time::timeout(bound, client.call(Command::Status)).await {
            Ok(Ok(Reply::Status(s))) if !s.deployment.is_empty() => Some(s.deployment),
            _ => None,
        };
        return Local {
            deployment,
            owner_runs: true,
        };
    }
    let key = instance.key.clone();
    let deployment = tokio::task::spawn_blocking(move || {
        crate::store::Cipher::load(&key, false)
            .ok()
            .map(|c| c.deployment_id().to_owned())
    })
    .await
    .ok()
    .flatten();
    Local {
        deployment,
        owner_runs: false,
    }
}

/// The lines for people: level, name, what was found, and the fix under it.
pub fn print(lines: &[CheckLine]) {
    println!("online:");
    for l in lines {
        println!("  {:<4}  {:<31} {}", l.level.as_str(), l.name, l.detail);
        if !l.fix.is_empty() {
            println!("        fix: {}", l.fix);
        }
    }
}
