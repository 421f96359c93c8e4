//! `pages preview`: every page a customer can get, written as HTML files with the
//! configured brand (and a tenant's name and language with `--tenant`), in every language
//! or one, with the logo beside them and an index, so an operator can check the brand and
//! the texts in a browser before sending links. Reads the database only for `--tenant`,
//! and never creates it.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};

use super::instance::Instance;
use super::output;
use crate::domain::consent::page::{Failure, PageKind};
use crate::engine::{Command, Reply};
use crate::http::page_render::{Page, render, samples};
use crate::http::pages::Pages;
use crate::i18n::Lang;

#[derive(Debug, Subcommand)]
pub enum PagesCmd {
    /// Write every page as the customer sees it into a folder, to open in a browser.
    Preview(PreviewArgs),
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// Only this language (en, de, fr, es, pt-BR, ja); else every one (or the tenant's).
    #[arg(long, value_name = "TAG")]
    pub lang: Option<String>,
    /// Show this tenant's name, in its language (unless --lang says another).
    #[arg(long, value_name = "SLUG")]
    pub tenant: Option<String>,
    /// The folder to write to: new, empty, or holding an earlier preview.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub async fn run(instance: &Instance, cmd: &PagesCmd, as_json: bool) -> Result<()> {
    match cmd {
        PagesCmd::Preview(p) => preview(instance, p, as_json).await,
    }
}

/// The language asked for, checked against the supported ones.
fn lang_of(tag: &str) -> Result<Lang> {
    Lang::from_tag(tag.trim()).ok_or_else(|| {
        let tags: Vec<&str> = Lang::all().map(|l| l.tag()).collect();
        anyhow::anyhow!(
            "unsupported language {tag:?}: use one of {}",
            tags.join(", ")
        )
    })
}

/// A file or folder a preview writes, at the top of its folder.
fn ours(name: &str) -> bool {
    matches!(name, "index.html" | "logo.png" | "logo.svg") || Lang::all().any(|l| l.tag() == name)
}

/// Make `dir` ready: a new folder (its parent must exist), an empty one, or one holding
/// only an earlier preview.
fn prepare(dir: &Path) -> Result<()> {
    if !dir.exists() {
        let parent = dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !parent.is_dir() {
            bail!(
                "cannot write the preview to {}: its folder {} does not exist",
                dir.display(),
                parent.display()
            );
        }
        return std::fs::create_dir(dir).with_context(|| format!("creating {}", dir.display()));
    }
    if !dir.is_dir() {
        bail!("{} is a file, not a folder", dir.display());
    }
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for e in entries {
        let name = e?.file_name();
        let name = name.to_string_lossy();
        if !ours(&name) {
            bail!(
                "{} holds other files than a preview (such as {name}): choose a new or empty folder",
                dir.display()
            );
        }
    }
    Ok(())
}

/// Whether the listener offers the language switcher on this page: on what a link opens.
fn switcher(kind: &PageKind) -> bool {
    matches!(
        kind,
        PageKind::Ask { .. }
            | PageKind::Failed {
                failure: Failure::LinkUnknown | Failure::LinkGone(_),
                ..
            }
    )
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

async fn preview(instance: &Instance, p: &PreviewArgs, as_json: bool) -> Result<()> {
    let asked = p.lang.as_deref().map(lang_of).transpose()?;
    let (tenant, tenant_lang) = match &p.tenant {
        None => ("Acme Ltd".to_owned(), None),
        Some(slug) => {
            let reply = instance
                .execute(Command::ShowTenant { slug: slug.clone() })
                .await?;
            let Reply::Tenant(t) = reply else {
                bail!("the owner answered with something else than the tenant");
            };
            let lang = t.lang.as_deref().and_then(Lang::from_tag);
            (t.display_name.clone(), lang)
        }
    };
    let langs: Vec<Lang> = match asked.or(tenant_lang) {
        Some(l) => vec![l],
        None => Lang::all().collect(),
    };
    prepare(&p.out)?;
    let cfg = &instance.config;
    let mut brand = Pages::new(cfg).brand().clone();
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(logo) = &cfg.brand.logo {
        let name = format!("logo.{}", logo.kind.extension());
        brand.logo_url = Some(format!("../{name}"));
        let path = p.out.join(&name);
        write(&path, &logo.bytes)?;
        files.push(path);
    }
    let kinds = samples(&tenant);
    let mut index = String::new();
    for lang in &langs {
        let folder = p.out.join(lang.tag());
        std::fs::create_dir_all(&folder)
            .with_context(|| format!("creating {}", folder.display()))?;
        index.push_str(&format!(
            "<h2 lang=\"{tag}\">{name}</h2>\n<ul>\n",
            tag = lang.tag(),
            name = html_escape::encode_safe(lang.name())
        ));
        for (name, kind) in &kinds {
            let html = render(
                &Page {
                    lang: *lang,
                    switcher: switcher(kind),
                    kind: kind.clone(),
                    next: None,
                },
                &brand,
            );
            let path = folder.join(format!("{name}.html"));
            write(&path, html.as_bytes())?;
            files.push(path);
            index.push_str(&format!(
                "<li><a href=\"{tag}/{name}.html\">{name}</a></li>\n",
                tag = lang.tag()
            ));
        }
        index.push_str("</ul>\n");
    }
    let index_path = p.out.join("index.html");
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>Pages of {brand}</title></head>\n<body>\n<main>\n<h1>Pages of {brand}, for {tenant}</h1>\n{index}</main>\n</body>\n</html>\n",
        brand = html_escape::encode_safe(&brand.name),
        tenant = html_escape::encode_safe(&tenant),
    );
    write(&index_path, page.as_bytes())?;
    files.push(index_path.clone());
    let pages = kinds.len() * langs.len();
    if as_json {
        return output::json(&serde_json::json!({
            "dir": p.out.display().to_string(),
            "index": index_path.display().to_string(),
            "pages": pages,
            "languages": langs.iter().map(|l| l.tag()).collect::<Vec<_>>(),
            "files": files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        }));
    }
    println!(
        "wrote {pages} pages ({} kinds in {}) for {} to {}",
        kinds.len(),
        langs.iter().map(|l| l.tag()).collect::<Vec<_>>().join(", "),
        tenant,
        p.out.display()
    );
    if cfg.brand.logo.is_some() {
        println!("  with the logo");
    }
    println!("  open {} in a browser", index_path.display());
    Ok(())
}
