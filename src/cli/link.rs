//! `link SLUG`: issue a consent link (with `--replace`, withdrawing the tenant's other
//! active links in the same commit), say on stderr which earlier links stay valid, and
//! print it with its QR code and the ready-to-send message when asked.

use anyhow::Result;

use super::context::Context;
use super::{LinkArgs, NO_OWNER_FOR_LINK, output};
use crate::engine::api::LinkView;
use crate::engine::{Command, Reply};

pub async fn issue(ctx: &Context, l: &LinkArgs, as_json: bool) -> Result<()> {
    // A QR file that cannot be written must not cost an issued (and unseen) link.
    let files: Vec<&std::path::Path> = l
        .qr_png
        .iter()
        .chain(&l.qr_svg)
        .map(|p| p.as_path())
        .collect();
    crate::qr_file::ensure_free(&files)?;
    let slug = l.slug.clone().unwrap_or_default();
    let (reply, owner) = ctx
        .execute_noting_owner(Command::IssueLink {
            slug: slug.clone(),
            ttl_secs: l.ttl.as_secs(),
            replace: l.replace,
        })
        .await?;
    let Reply::Link(link) = &reply else {
        return output::print(&reply, as_json, None);
    };
    output::write_qr_files(&link.url, l.qr_png.as_deref(), l.qr_svg.as_deref())?;
    if l.replace && link.withdrawn.is_none() {
        eprintln!("warning: {}", replace_ignored(&link.slug));
    }
    if !as_json && let Some(note) = earlier_links_note(link, &crate::time::local_zone()) {
        eprintln!("note: {note}");
    }
    let warning = (!owner).then_some(NO_OWNER_FOR_LINK);
    let message = if l.message {
        let Reply::Tenant(t) = ctx.execute(Command::ShowTenant { slug }).await? else {
            anyhow::bail!("the owner answered with something else than the tenant");
        };
        let template = crate::message::template(
            directories::ProjectDirs::from("", "", "mcp-onboard")
                .as_ref()
                .map(|d| d.config_dir()),
        );
        Some(crate::message::render(
            &template,
            &crate::message::MessageFacts {
                tenant: &t.display_name,
                link: &link.url,
                expires: &link.expires_at,
                integration: t.integration,
                expected: t.expected_account.as_ref(),
            },
        ))
    } else {
        None
    };
    output::print_link_with(
        link,
        as_json,
        l.qr.then_some(l.invert),
        warning,
        message.as_deref(),
    )
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
