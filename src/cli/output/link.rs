//! Consent links for people: the link, its QR code (on the terminal or in PNG and SVG
//! files), the ready-to-send message, and the links issued to every new tenant at once.

use anyhow::{Context as _, Result};

use super::super::inert::inert;
use super::json::json;
use crate::engine::api::LinkView;

/// Render `text` as a terminal QR code, quiet zone kept: black on white with colours when
/// stdout is a terminal and `NO_COLOR` is unset; otherwise drawn for a dark background, or a
/// light one with `invert`.
pub fn qr_text(text: &str, invert: bool) -> Result<String> {
    use std::io::IsTerminal;
    let code = crate::qr::encode(text)?;
    let colors = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let style = match (colors, invert) {
        (true, _) => crate::qr::TerminalStyle::Colors,
        (false, false) => crate::qr::TerminalStyle::PlainForDark,
        (false, true) => crate::qr::TerminalStyle::PlainForLight,
    };
    Ok(crate::qr::terminal(&code, style))
}

/// Write the link's QR code as PNG and SVG files, where asked (each created new, 0600).
pub fn write_qr_files(
    url: &str,
    png: Option<&std::path::Path>,
    svg: Option<&std::path::Path>,
) -> Result<()> {
    for p in crate::qr_file::write(url, png, svg)? {
        eprintln!("QR code written to {}", p.display());
    }
    Ok(())
}

/// Print an issued link, and the ready-to-send message after it when there is one;
/// `warning` goes to stderr (with `--json` both are fields: `warning`, `message`).
pub fn print_link_with(
    l: &LinkView,
    as_json: bool,
    qr: Option<bool>,
    warning: Option<&str>,
    message: Option<&str>,
) -> Result<()> {
    if as_json {
        let mut v = serde_json::to_value(l).context("encoding JSON")?;
        if let Some(o) = v.as_object_mut() {
            if let Some(w) = warning {
                o.insert("warning".into(), w.into());
            }
            if let Some(m) = message {
                o.insert("message".into(), m.into());
            }
        }
        return json(&v);
    }
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    link(&inert(l)?, qr)?;
    if let Some(m) = message {
        println!();
        println!("{}", crate::text::escape_keeping_lines(m));
    }
    Ok(())
}

/// An issued link (already made inert), drawn as a QR code too with `qr`
/// (`Some(invert)`).
pub fn link(l: &LinkView, qr: Option<bool>) -> Result<()> {
    if let Some(invert) = qr {
        println!("{}", qr_text(&l.url, invert)?);
    }
    println!("{}", l.url);
    println!("link {} for {} expires {}", l.id, l.slug, l.expires_at);
    Ok(())
}

/// `link --all-new`: one line per link issued.
pub fn issued(links: &[LinkView]) {
    if links.is_empty() {
        println!("no tenant waits for a first link");
    }
    for l in links {
        println!("{}  {}  expires {}", l.slug, l.url, l.expires_at);
    }
}
