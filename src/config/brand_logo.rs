//! The brand's logo: a PNG or SVG file read once at start, at most [`MAX_LOGO_BYTES`],
//! a PNG known by its signature, an SVG refused when it could run a script or load
//! anything (a `<script>`, a `<foreignObject>`, an event attribute, a link or reference
//! that is not to a part of itself, an entity declaration). The listener serves it at its
//! own path, so the page loads nothing from elsewhere; its content security policy
//! forbids scripts in any case.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The largest logo the listener serves (a logo, not a photograph).
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A logo file, read and checked.
#[derive(Clone, PartialEq, Eq)]
pub struct Logo {
    /// Where it was read from (shown by `config check`).
    pub path: PathBuf,
    pub bytes: Arc<[u8]>,
    pub kind: LogoKind,
}

impl std::fmt::Debug for Logo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logo")
            .field("path", &self.path)
            .field("kind", &self.kind)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoKind {
    Png,
    Svg,
}

impl LogoKind {
    /// The `Content-Type` it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            LogoKind::Png => "image/png",
            LogoKind::Svg => "image/svg+xml",
        }
    }

    /// The file name extension a copy gets (`pages preview`).
    pub fn extension(self) -> &'static str {
        match self {
            LogoKind::Png => "png",
            LogoKind::Svg => "svg",
        }
    }
}

/// Read and check the logo at `path`; `Err` says why it is refused.
pub fn read(path: &Path) -> Result<Logo, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if meta.len() > MAX_LOGO_BYTES as u64 {
        return Err(too_large(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let kind = check(&bytes)?;
    Ok(Logo {
        path: path.to_owned(),
        bytes: bytes.into(),
        kind,
    })
}

fn too_large(len: u64) -> String {
    format!(
        "{len} bytes; a logo may have at most {} KiB",
        MAX_LOGO_BYTES / 1024
    )
}

/// What the bytes are, if they make a logo the pages may show.
pub fn check(bytes: &[u8]) -> Result<LogoKind, String> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    if bytes.starts_with(PNG_SIGNATURE) {
        return Ok(LogoKind::Png);
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "neither a PNG (no PNG signature) nor an SVG (not UTF-8 text)".to_owned())?;
    let lower = text.to_ascii_lowercase();
    if !lower.contains("<svg") {
        return Err("neither a PNG (no PNG signature) nor an SVG (no <svg> element)".into());
    }
    svg_refusal(&lower).map_or(Ok(LogoKind::Svg), Err)
}

/// Why an SVG (in lower case) may not be a logo, if it may not.
fn svg_refusal(svg: &str) -> Option<String> {
    for (needle, what) in [
        ("<script", "a <script> element"),
        ("<foreignobject", "a <foreignObject> element"),
        ("<!entity", "an entity declaration"),
        ("<iframe", "an <iframe> element"),
        ("javascript:", "a javascript: address"),
        ("@import", "a style sheet import"),
    ] {
        if svg.contains(needle) {
            return Some(format!("the SVG holds {what}"));
        }
    }
    // Escapes would spell any of the words checked here in other letters (`&#117;rl(`,
    // `u\72l(`): a logo needs neither.
    if svg.contains("&#") {
        return Some("the SVG holds a character reference (&#...;)".into());
    }
    if svg.contains('\\') {
        return Some("the SVG holds a backslash (a CSS escape)".into());
    }
    // Elements by their local name, whatever prefix names their namespace (`<svg:script>`).
    for (at, _) in svg.match_indices('<') {
        let name: String = svg[at + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
            .collect();
        let local = name.rsplit(':').next().unwrap_or_default();
        for (bad, what) in [
            ("script", "a <script> element"),
            ("foreignobject", "a <foreignObject> element"),
            ("iframe", "an <iframe> element"),
        ] {
            if local == bad {
                return Some(format!("the SVG holds {what}"));
            }
        }
    }
    // Event attributes: ` onload=`, `\tonclick =` ...
    let bytes = svg.as_bytes();
    for (at, _) in svg.match_indices("on") {
        let before = at.checked_sub(1).and_then(|i| bytes.get(i));
        if !before.is_some_and(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let rest = &svg[at + 2..];
        let name_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        if name_len > 0 && rest[name_len..].trim_start().starts_with('=') {
            return Some("the SVG holds an event attribute (on...=)".into());
        }
    }
    // References: only to a part of itself (`href="#id"`, `url(#id)`).
    for (at, _) in svg.match_indices("href") {
        let rest = svg[at + 4..].trim_start();
        let Some(value) = rest.strip_prefix('=') else {
            continue;
        };
        let value = value.trim_start().trim_start_matches(['"', '\'']);
        if !value.starts_with('#') {
            return Some("the SVG links to something outside itself (an href not to #...)".into());
        }
    }
    for (at, _) in svg.match_indices("url(") {
        let value = svg[at + 4..].trim_start().trim_start_matches(['"', '\'']);
        if !value.starts_with('#') {
            return Some("the SVG loads something outside itself (a url() not to #...)".into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SVG: &str = r##"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><defs><linearGradient id="g"/></defs><rect width="10" height="10" fill="url(#g)"/><use xlink:href="#g"/></svg>"##;

    #[test]
    fn a_png_by_its_signature_and_a_clean_svg_are_logos() {
        let mut png = PNG_SIGNATURE.to_vec();
        png.extend_from_slice(&[0; 64]);
        assert_eq!(check(&png), Ok(LogoKind::Png));
        assert_eq!(check(SVG.as_bytes()), Ok(LogoKind::Svg));
        assert_eq!(LogoKind::Svg.content_type(), "image/svg+xml");
        assert_eq!(LogoKind::Png.content_type(), "image/png");
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        let refused = |svg: &str| check(svg.as_bytes()).expect_err(svg);
        for (svg, why) in [
            (r#"<svg><script>alert(1)</script></svg>"#, "<script>"),
            (
                r#"<svg><foreignObject><p>x</p></foreignObject></svg>"#,
                "<foreignObject>",
            ),
            (r#"<svg onload="alert(1)"></svg>"#, "event attribute"),
            (r#"<svg><rect ONCLICK = "x"/></svg>"#, "event attribute"),
            (
                r#"<svg><image href="https://evil.example/x.png"/></svg>"#,
                "outside itself",
            ),
            (
                r#"<svg><use xlink:href='data:image/svg+xml,x'/></svg>"#,
                "outside itself",
            ),
            (
                r#"<svg><rect fill="url(https://x.example/p)"/></svg>"#,
                "outside itself",
            ),
            (
                r#"<svg><a href="javascript:alert(1)">x</a></svg>"#,
                "javascript:",
            ),
            (
                r#"<!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg/>"#,
                "entity",
            ),
            (r#"<svg><style>@import url(#x);</style></svg>"#, "import"),
        ] {
            let err = refused(svg);
            assert!(err.contains(why), "{svg}: {err}");
        }
        assert!(check(b"GIF89a").unwrap_err().contains("neither a PNG"));
        assert!(
            check(&[0xff, 0xd8, 0xff, 0xe0])
                .unwrap_err()
                .contains("not UTF-8")
        );
        // A word that merely contains "on" is no event attribute.
        assert_eq!(
            check(br#"<svg><title>Fonts and icons</title></svg>"#),
            Ok(LogoKind::Svg)
        );
    }

    #[test]
    fn a_file_over_the_cap_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.png");
        let mut bytes = PNG_SIGNATURE.to_vec();
        bytes.resize(MAX_LOGO_BYTES + 1, 0);
        std::fs::write(&big, &bytes).unwrap();
        assert!(read(&big).unwrap_err().contains("at most 256 KiB"));
        bytes.truncate(MAX_LOGO_BYTES);
        std::fs::write(&big, &bytes).unwrap();
        let logo = read(&big).unwrap();
        assert_eq!(
            (logo.kind, logo.bytes.len()),
            (LogoKind::Png, MAX_LOGO_BYTES)
        );
        assert!(
            read(&dir.path().join("none.svg"))
                .unwrap_err()
                .contains("cannot read")
        );
        assert!(read(dir.path()).unwrap_err().contains("not a file"));
    }
}
