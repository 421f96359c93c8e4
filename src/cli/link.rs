//! `link`: issue a consent link (with `--replace`, withdrawing the tenant's other active
//! links in the same commit), say on stderr which earlier links stay valid, and print it
//! with its QR code and the ready-to-send message when asked; or a link for every new
//! tenant at once (`--all-new`), or withdraw a tenant's unused links (`--revoke`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::instance::Instance;
use super::link_send;
use super::output;
use super::reply::run_and_print;
use crate::engine::api::LinkView;
use crate::engine::{Command, Reply};

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// The tenant to issue the link for (or, with `--revoke`, whose links to withdraw).
    #[arg(required_unless_present = "all_new", conflicts_with = "all_new")]
    pub slug: Option<String>,
    /// A link for every tenant of which no integration has consented and that has no live
    /// link (with --integration: for that integration alone).
    #[arg(long, conflicts_with_all = ["revoke", "qr", "qr_png", "qr_svg", "message", "replace"])]
    pub all_new: bool,
    /// Withdraw the tenant's other active links in the same step (they stay valid
    /// otherwise, until they expire).
    #[arg(long, conflicts_with = "revoke")]
    pub replace: bool,
    /// Also print the ready-to-send message for the customer, with the link in it.
    #[arg(long, conflicts_with = "revoke")]
    pub message: bool,
    /// Link lifetime, e.g. 30m, 24h, 7d (1m to 30d).
    #[arg(long, visible_aliases = ["lifetime", "expires-in"], default_value = "7d", value_parser = crate::domain::link_ttl::parse_ttl, conflicts_with = "revoke")]
    pub ttl: Duration,
    /// Also draw the link as a QR code.
    #[arg(long, conflicts_with = "revoke")]
    pub qr: bool,
    /// Draw the QR code for a light terminal background (when colours are off).
    #[arg(long, requires = "qr")]
    pub invert: bool,
    /// Also write the QR code as a PNG file.
    #[arg(long, value_name = "FILE", conflicts_with = "revoke")]
    pub qr_png: Option<PathBuf>,
    /// Also write the QR code as an SVG file.
    #[arg(long, value_name = "FILE", conflicts_with = "revoke")]
    pub qr_svg: Option<PathBuf>,
    /// Mail the link to the tenant's address (its contact email, else the Google account
    /// it expects) through the relay of `[mail]`; with --all-new, every new link, within
    /// `mail.per_minute`, naming each tenant not mailed.
    #[arg(long, conflicts_with = "revoke")]
    pub send: bool,
    /// Withdraw every unused link of the tenant instead of issuing one.
    #[arg(long, visible_alias = "withdraw")]
    pub revoke: bool,
    /// A link for this one integration of the tenant (gmail, google-drive); without it a
    /// link asks a consent for each integration not yet consented, one after another. With
    /// --all-new: a link for it alone to every tenant holding it not yet consented.
    #[arg(long, value_name = "NAME", conflicts_with = "revoke")]
    pub integration: Option<crate::domain::integration::Integration>,
}

/// Said when a link is issued with no owner running.
const NO_OWNER_FOR_LINK: &str =
    "no owner is running: nothing answers this link until `mcp-onboard serve` or the console runs";

pub async fn run(instance: &Instance, l: &LinkArgs, as_json: bool) -> Result<()> {
    if l.all_new && l.send {
        all_new_sent(instance, l, as_json).await
    } else if l.all_new {
        let reply = all_new(instance, l).await?;
        output::print(&reply, as_json, None)
    } else if l.revoke {
        let slug = l.slug.clone().unwrap_or_default();
        run_and_print(instance, Command::RevokeLinks { slug }, as_json).await
    } else {
        issue(instance, l, as_json).await
    }
}

async fn issue(instance: &Instance, l: &LinkArgs, as_json: bool) -> Result<()> {
    // A QR file that cannot be written must not cost an issued (and unseen) link.
    let files: Vec<&std::path::Path> = l
        .qr_png
        .iter()
        .chain(&l.qr_svg)
        .map(|p| p.as_path())
        .collect();
    crate::qr_file::ensure_free(&files)?;
    let slug = l.slug.clone().unwrap_or_default();
    // Mail that cannot go must not cost an issued link: the relay and the address first.
    let mailing = if l.send {
        let mailer = link_send::mailer(instance).await?;
        let mut who = link_send::addressee(instance, &slug).await?;
        // The message says what the link asks: that integration's access when it is one.
        who.integration = l.integration.unwrap_or(who.integration);
        Some((mailer, who))
    } else {
        None
    };
    let (reply, owner) = instance
        .execute_noting_owner(Command::IssueLink {
            integration: l.integration,
            slug: slug.clone(),
            ttl_secs: l.ttl.as_secs(),
            replace: l.replace,
        })
        .await?;
    let Reply::Link(link) = &reply else {
        return output::print(&reply, as_json, None);
    };
    if l.replace && link.withdrawn.is_none() {
        eprintln!("warning: {}", replace_ignored(&link.slug));
    }
    if !as_json && let Some(note) = earlier_links_note(link, &crate::time::local_zone()) {
        eprintln!("note: {note}");
    }
    let warning = (!owner).then_some(NO_OWNER_FOR_LINK);
    let message = if l.message {
        let Reply::Tenant(t) = instance.execute(Command::ShowTenant { slug }).await? else {
            anyhow::bail!("the owner answered with something else than the tenant");
        };
        let template = crate::message::configured_template();
        Some(crate::message::render(
            &template,
            &crate::message::MessageFacts {
                tenant: &t.display_name,
                link: &link.url,
                expires: &link.expires_at,
                integration: t.integration,
                expected: t.expected_account.as_ref(),
                lang: t.lang.as_deref().and_then(crate::i18n::Lang::from_tag),
            },
        ))
    } else {
        None
    };
    // The link is printed before its QR files are written: a file that cannot be written
    // after all (a full disk, a name taken meanwhile) must not lose the link just issued.
    // With --json --send it is printed once, with its mail; printed alone all the same
    // when the mail cannot even be tried.
    let print = || {
        output::print_link_with(
            link,
            as_json,
            l.qr.then_some(l.invert),
            warning,
            message.as_deref(),
        )
    };
    let later = as_json && mailing.is_some();
    if !later {
        print()?;
    }
    if let Err(e) = output::write_qr_files(&link.url, l.qr_png.as_deref(), l.qr_svg.as_deref()) {
        if later {
            print()?;
        }
        return Err(e.context("the link above was issued, but its QR code was not written"));
    }
    let Some((mailer, who)) = mailing else {
        return Ok(());
    };
    let report = match link_send::send_one(instance, &mailer, who, link.clone()).await {
        Ok(report) => report,
        Err(e) => {
            if later {
                print()?;
            }
            return Err(e.context("the link above was issued, but not mailed"));
        }
    };
    if as_json {
        let v = link_send::json(std::slice::from_ref(&report), true);
        output::json(&v[0])?;
    } else {
        println!("{}", link_send::said(&report));
    }
    if let Some(e) = &report.unrecorded {
        eprintln!("warning: the mail was not recorded on the tenant's timeline: {e}");
    }
    if !report.accepted() {
        anyhow::bail!(
            "the link was issued but not mailed: {}",
            link_send::said(&report)
        );
    }
    Ok(())
}

/// `--all-new`: a link for every new tenant (warning when no owner answers them).
async fn all_new(instance: &Instance, l: &LinkArgs) -> Result<Reply> {
    let (reply, owner) = instance
        .execute_noting_owner(Command::LinkAllNew {
            ttl_secs: l.ttl.as_secs(),
            integration: l.integration,
        })
        .await?;
    if !owner {
        eprintln!("warning: {NO_OWNER_FOR_LINK}");
    }
    Ok(reply)
}

/// `--all-new --send`: the relay checked first, the links issued, then mailed.
async fn all_new_sent(instance: &Instance, l: &LinkArgs, as_json: bool) -> Result<()> {
    let mailer = link_send::mailer(instance).await?;
    let reply = all_new(instance, l).await?;
    let Reply::Links { links } = reply else {
        return output::print(&reply, as_json, None);
    };
    // Interrupted or cut off from the engine, the links issued are printed: only their
    // hashes are stored, and an operator must not lose them.
    let sending = link_send::send_all(instance, &mailer, links.clone(), l.integration, as_json);
    let sent = tokio::select! {
        r = sending => r,
        _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted")),
    };
    let reports = match sent {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!(
                "the links issued follow; some may have been mailed (`mcp-onboard tenant show SLUG` says whether)"
            );
            output::print(&Reply::Links { links }, as_json, None)?;
            return Err(e.context("mailing the links stopped"));
        }
    };
    if as_json {
        output::json(&link_send::json(&reports, false))?;
    } else {
        println!("{}", link_send::summary(&reports));
    }
    let not = reports.iter().filter(|r| !r.accepted()).count();
    if not > 0 {
        anyhow::bail!(
            "{not} of {} links were not mailed (named above; each still works)",
            reports.len()
        );
    }
    Ok(())
}

/// Said when the owner's answer does not say what `--replace` withdrew.
fn replace_ignored(slug: &str) -> String {
    format!(
        "the owner answering is of a build before --replace and ignored it: the earlier links of {slug} were not withdrawn and still work. Withdraw them all with `mcp-onboard link {slug} --revoke` (this new one too) and issue a new link, or restart the owner with this build"
    )
}

/// What became of the tenant's other links: withdrawn, or still valid (and how to
/// withdraw them); nothing when it had none.
pub fn earlier_links_note(link: &LinkView, zone: &jiff::tz::TimeZone) -> Option<String> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if let Some(withdrawn) = link.withdrawn.as_ref().filter(|w| !w.is_empty()) {
        let n = withdrawn.len();
        return Some(format!(
            "withdrew {n} earlier link{} ({}): only the new one works now",
            plural(n),
            withdrawn.join(", ")
        ));
    }
    let n = link.earlier_active;
    if n == 0 {
        return None;
    }
    let until = link
        .earlier_active_until_ms
        .map(|ms| crate::time::for_people(ms, zone))
        .unwrap_or_else(|| "they expire".to_owned());
    let (stays, them) = if n == 1 {
        ("stays", "it")
    } else {
        ("stay", "them")
    };
    Some(format!(
        "{n} earlier link{} of {} {stays} valid until {until}; `--replace` withdraws {them}",
        plural(n),
        link.slug,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_says_which_earlier_links_still_work_or_were_withdrawn() {
        let utc = jiff::tz::TimeZone::UTC;
        let mut l = LinkView {
            slug: "acme".into(),
            ..Default::default()
        };
        assert_eq!(earlier_links_note(&l, &utc), None);
        l.earlier_active = 2;
        l.earlier_active_until_ms = Some(1_796_994_300_000);
        assert_eq!(
            earlier_links_note(&l, &utc).as_deref(),
            Some(
                "2 earlier links of acme stay valid until Friday 11 December 2026, 13:05 UTC; \
                 `--replace` withdraws them"
            )
        );
        l.earlier_active = 1;
        assert!(
            earlier_links_note(&l, &utc)
                .is_some_and(|n| n.starts_with("1 earlier link of acme stays valid")
                    && n.ends_with("`--replace` withdraws it"))
        );
        l.earlier_active = 0;
        l.withdrawn = Some(vec!["ab12cd34".into(), "ef56ab78".into()]);
        assert_eq!(
            earlier_links_note(&l, &utc).as_deref(),
            Some("withdrew 2 earlier links (ab12cd34, ef56ab78): only the new one works now")
        );
    }
}
