//! `tenant`: add, list, show, edit, import and remove tenants, and list a tenant's links.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::inert::inert;
use super::instance::Instance;
use super::reply::run_and_print;
use super::{import, output};
use crate::domain::lifecycle::{NewTenant, TenantEdit};
use crate::engine::{Command, Reply};

#[derive(Debug, Subcommand)]
pub enum TenantCmd {
    /// Add a tenant.
    Add(AddArgs),
    /// List tenants (all, or filtered and a page at a time).
    List(ListArgs),
    /// Show one tenant with its timeline.
    Show {
        /// The tenant to show.
        slug: String,
    },
    /// A tenant's consent links: state, expiry and opens (never the link itself).
    Links {
        /// The tenant whose links to list.
        slug: String,
    },
    /// Change a tenant's name, contact or expected Google account.
    Edit(EditArgs),
    /// Add the tenants of a CSV file (header `slug,name,contact,email,domain,integrations`;
    /// only `slug` required): all or none, every bad row named by its line.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
    /// Delete a tenant that never consented, with its links and timeline.
    Remove {
        /// The tenant to delete.
        slug: String,
    },
    /// Add or remove one integration of a tenant.
    #[command(subcommand)]
    Integration(IntegrationCmd),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only tenants in this status (repeat for several), e.g. `failed`, `link_issued`.
    #[arg(long, value_name = "STATUS", value_parser = parse_status)]
    pub status: Vec<crate::domain::model::TenantStatus>,
    /// Only tenants whose slug, name, Google account or reason contains this text.
    #[arg(long, visible_alias = "search", value_name = "TEXT")]
    pub filter: Option<String>,
    /// At most this many (by slug).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Only tenants after this slug (the next page).
    #[arg(long, value_name = "SLUG")]
    pub after: Option<String>,
}

/// A tenant status as typed (`failed`, `link_issued`...).
pub(super) fn parse_status(s: &str) -> Result<crate::domain::model::TenantStatus, String> {
    crate::domain::model::TenantStatus::parse(s).ok_or_else(|| {
        let all: Vec<&str> = crate::domain::model::TenantStatus::ALL
            .iter()
            .map(|x| x.as_str())
            .collect();
        format!("no status {s:?}: use one of {}", all.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct EditArgs {
    /// The tenant to change.
    pub slug: String,
    /// New display name shown to the customer.
    #[arg(long, visible_alias = "display-name")]
    pub name: Option<String>,
    /// New contact (an empty value removes it).
    #[arg(long)]
    pub contact: Option<String>,
    /// The address its consent links are mailed to (an empty value removes it: the
    /// expected Google account is used when it is an address).
    #[arg(long, value_name = "ADDR")]
    pub contact_email: Option<String>,
    /// From now on the customer must sign in with this Google account.
    #[arg(long, conflicts_with_all = ["domain", "any_account"])]
    pub email: Option<String>,
    /// From now on the customer must sign in from this Google Workspace domain.
    #[arg(long, conflicts_with = "any_account")]
    pub domain: Option<String>,
    /// Accept any Google account from now on.
    #[arg(long)]
    pub any_account: bool,
    /// Return the customer to this page after consent (empty: back to
    /// `listener.return_url`).
    #[arg(long, value_name = "URL")]
    pub return_url: Option<String>,
    /// The language of the tenant's pages, links and message: en, de, fr, es, pt-BR or
    /// ja (empty: the customer's browser chooses).
    #[arg(long, value_name = "TAG")]
    pub lang: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Short id: lowercase letters, digits, hyphens (at most 31).
    pub slug: String,
    /// Display name shown to the customer.
    #[arg(long, visible_alias = "display-name")]
    pub name: Option<String>,
    /// Contact (who the operator deals with).
    #[arg(long)]
    pub contact: Option<String>,
    /// The address its consent links are mailed to (`link --send`; else the expected
    /// Google account when it is an address).
    #[arg(long, value_name = "ADDR")]
    pub contact_email: Option<String>,
    /// The Google account the customer must sign in with.
    #[arg(long, conflicts_with = "domain")]
    pub email: Option<String>,
    /// The Google Workspace domain the customer must sign in from.
    #[arg(long)]
    pub domain: Option<String>,
    /// Return the customer to this page after consent (https://; instead of
    /// `listener.return_url`), with `?tenant=SLUG&outcome=...` appended.
    #[arg(long, value_name = "URL")]
    pub return_url: Option<String>,
    /// The language of the tenant's pages, links and message: en, de, fr, es, pt-BR or
    /// ja (else the customer's browser chooses).
    #[arg(long, value_name = "TAG")]
    pub lang: Option<String>,
    /// The integrations the tenant holds, its first first: gmail, google-drive.
    #[arg(
        long,
        value_name = "NAMES",
        value_delimiter = ',',
        default_value = "gmail"
    )]
    pub integrations: Vec<crate::domain::integration::Integration>,
}

/// `tenant integration add|remove SLUG NAME`.
#[derive(Debug, clap::Subcommand)]
pub enum IntegrationCmd {
    /// The tenant holds this integration too (not yet consented: a link asks for it).
    Add {
        /// The tenant.
        slug: String,
        /// gmail or google-drive.
        integration: crate::domain::integration::Integration,
    },
    /// Offboard one integration the tenant holds beyond its first: its MCP server and
    /// connection deleted, its token wiped, its grant given back at Google unless another
    /// consent by that account stands.
    Remove {
        /// The tenant.
        slug: String,
        /// gmail or google-drive.
        integration: crate::domain::integration::Integration,
    },
}

pub async fn run(instance: &Instance, cmd: &TenantCmd, as_json: bool) -> Result<()> {
    match cmd {
        TenantCmd::Add(a) => {
            let (first, also) = match a.integrations.split_first() {
                Some((first, also)) => (*first, also.to_vec()),
                None => (Default::default(), Vec::new()),
            };
            let new = NewTenant {
                slug: a.slug.clone(),
                display_name: a.name.clone(),
                contact: a.contact.clone(),
                contact_email: a.contact_email.clone(),
                expected_email: a.email.clone(),
                expected_domain: a.domain.clone(),
                integration: first,
                also,
                return_url: a.return_url.clone(),
                lang: a.lang.clone(),
            };
            run_and_print(instance, Command::AddTenant(new), as_json).await
        }
        TenantCmd::List(a) => {
            let query = crate::engine::api::ListQuery {
                status: a.status.clone(),
                text: a.filter.clone(),
                after: a.after.clone(),
                limit: a.limit,
                ..Default::default()
            };
            let reply = instance.execute(Command::ListTenants { query }).await?;
            let filtered = !a.status.is_empty() || a.filter.is_some() || a.after.is_some();
            print_list(&reply, as_json, a.limit, filtered)
        }
        TenantCmd::Edit(e) => {
            let edit = TenantEdit {
                display_name: e.name.clone(),
                contact: e.contact.clone(),
                contact_email: e.contact_email.clone(),
                expected_email: e.email.clone(),
                expected_domain: e.domain.clone(),
                any_account: e.any_account,
                return_url: e.return_url.clone(),
                lang: e.lang.clone(),
            };
            let slug = e.slug.clone();
            run_and_print(instance, Command::EditTenant { slug, edit }, as_json).await
        }
        TenantCmd::Show { slug } => {
            run_and_print(
                instance,
                Command::ShowTenant { slug: slug.clone() },
                as_json,
            )
            .await
        }
        TenantCmd::Links { slug } => {
            let reply = instance
                .execute(Command::ShowTenant { slug: slug.clone() })
                .await?;
            print_links(&reply, as_json)
        }
        TenantCmd::Import { file } => import::run(instance, file, as_json).await,
        TenantCmd::Integration(c) => {
            let command = match c {
                IntegrationCmd::Add { slug, integration } => Command::AddIntegration {
                    slug: slug.clone(),
                    integration: *integration,
                },
                IntegrationCmd::Remove { slug, integration } => Command::RemoveIntegration {
                    slug: slug.clone(),
                    integration: *integration,
                },
            };
            run_and_print(instance, command, as_json).await
        }
        TenantCmd::Remove { slug } => {
            run_and_print(
                instance,
                Command::RemoveTenant { slug: slug.clone() },
                as_json,
            )
            .await
        }
    }
}

/// `tenant list`: the table, and on stderr how to get the next page when one was asked for.
fn print_list(reply: &Reply, as_json: bool, limit: Option<usize>, filtered: bool) -> Result<()> {
    let Reply::Tenants { tenants, total } = reply else {
        return output::print(reply, as_json, None);
    };
    if as_json {
        // An array, as ever: page on with `--after` the last slug until a short page.
        return output::json(tenants);
    }
    let tenants = &inert(tenants)?;
    if tenants.is_empty() && *total == 0 {
        if filtered {
            println!("no tenant matches");
        } else {
            println!("no tenants: `mcp-onboard tenant add SLUG` adds one");
        }
        return Ok(());
    }
    print!("{}", output::tenant_table(tenants, crate::time::now_ms()));
    if let (Some(_), Some(last)) = (limit, tenants.last())
        && *total > tenants.len()
    {
        eprintln!(
            "{} shown, {} more; the next page: --after {}",
            tenants.len(),
            total - tenants.len(),
            last.slug
        );
    }
    Ok(())
}

/// `tenant links`: the links with state, expiry and opens; never a code (none is stored).
fn print_links(reply: &Reply, as_json: bool) -> Result<()> {
    let Reply::Tenant(t) = reply else {
        return output::print(reply, as_json, None);
    };
    if as_json {
        return output::json(&t.links);
    }
    let t = &inert(t)?;
    if t.links.is_empty() {
        println!(
            "no links for {}: `mcp-onboard link {}` issues one",
            t.slug, t.slug
        );
        return Ok(());
    }
    print!("{}", output::links_table(&t.links));
    Ok(())
}
