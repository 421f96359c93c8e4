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
        Some(path) => {
            let path = path.to_owned();
            tokio::task::spawn_blocking(move || trusted(&path))
                .await
                .context("reading --trust")??
        }
        None => Vec::new(),
    };
    let options = Options {
        write,
        extra_roots,
        ..Options::default()
    };
    let local = local(instance).await;
    let (mut lines, mail) = tokio::join!(
        online::run(&instance.config, instance.demo, &local, &options),
        crate::mail::online::check(&instance.config, options.timeout),
    );
    lines.push(mail);
    Ok(lines)
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
        let in_use = crate::engine::api::integrations_in_use(|command| {
            let client = &client;
            async move {
                tokio::time::timeout(bound, client.call(command))
                    .await
                    .ok()?
                    .ok()
            }
        })
        .await;
        return Local {
            deployment,
            owner_runs: true,
            in_use,
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
    // No owner: the store is not asked (opening it here could hold it from an owner
    // starting); only the config tells which integrations are in use.
    Local {
        deployment,
        owner_runs: false,
        in_use: Default::default(),
    }
}

/// The lines for people: level, name, what was found, and the fix under it.
pub fn print(lines: &[CheckLine]) {
    print!("{}", text(lines));
}

/// [`print`]'s text: the names in a column as wide as the longest; what was found and the
/// fix are remote text, escaped.
fn text(lines: &[CheckLine]) -> String {
    use crate::text::escape;
    let width = lines
        .iter()
        .map(|l| l.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::from("online:\n");
    for l in lines {
        let (level, name, detail) = (l.level.as_str(), &l.name, escape(&l.detail));
        out.push_str(&format!("  {level:<4}  {name:<width$} {detail}\n"));
        if !l.fix.is_empty() {
            out.push_str(&format!("        fix: {}\n", escape(&l.fix)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::online::Level;

    #[test]
    fn names_line_up_on_the_longest_and_remote_text_is_escaped() {
        let lines = [
            CheckLine::ok("google.clock", "within 1s"),
            CheckLine::new(
                "blaxel.integration.google-drive-and-more",
                Level::Fail,
                "said \u{1b}[2Jgone",
                "ask\r\nagain",
            ),
        ];
        let out = text(&lines);
        let rows: Vec<&str> = out.lines().collect();
        let at = |row: &str, what: &str| row.find(what).unwrap();
        assert_eq!(at(rows[1], "within"), at(rows[2], "said"), "{out}");
        assert!(out.contains("said \\u{1b}[2Jgone"), "{out}");
        assert!(out.contains("fix: ask\\r\\nagain"), "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out}");
    }
}
