//! QR codes of consent links: for a terminal (two modules per character cell, quiet zone
//! kept), and as SVG or PNG files for a chat or a slide.
//!
//! A QR code scans only dark-on-light with its quiet zone. In a terminal the colours are
//! set explicitly (black modules on a white field) wherever colours may be used; without
//! colours the code is drawn for a dark background, and `invert` draws it for a light one.

use qrcode::render::unicode::Dense1x2;
use qrcode::{Color, EcLevel, QrCode};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QrError {
    #[error("cannot encode this text as a QR code: {0}")]
    Encode(String),
    #[error("cannot write the PNG: {0}")]
    Png(String),
}

pub fn encode(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text, EcLevel::L)
        .map_err(|e| QrError::Encode(e.to_string()))
}

/// The code's lines for a terminal, one character per column and two modules per line.
/// `dark_ink`: dark modules are drawn with the foreground (for a light background, or with
/// explicit dark-on-light colours); otherwise the light modules are.
pub fn lines(code: &QrCode, dark_ink: bool) -> Vec<String> {
    let (dark, light) = if dark_ink {
        (Dense1x2::Dark, Dense1x2::Light)
    } else {
        (Dense1x2::Light, Dense1x2::Dark)
    };
    code.render::<Dense1x2>()
        .dark_color(dark)
        .light_color(light)
        .quiet_zone(true)
        .build()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Width and height in character cells, quiet zone included.
pub fn cells(code: &QrCode) -> (u16, u16) {
    let lines = lines(code, true);
    let w = lines.first().map_or(0, |l| l.chars().count());
    (
        u16::try_from(w).unwrap_or(u16::MAX),
        u16::try_from(lines.len()).unwrap_or(u16::MAX),
    )
}

/// How to draw a QR code on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStyle {
    /// Black modules on a white field, with ANSI colours: scans on any theme.
    Colors,
    /// No colours: drawn for a dark background (light modules are ink).
    PlainForDark,
    /// No colours: drawn for a light background (dark modules are ink).
    PlainForLight,
}

/// The code as text for a terminal.
pub fn terminal(code: &QrCode, style: TerminalStyle) -> String {
    match style {
        TerminalStyle::Colors => lines(code, true)
            .into_iter()
            // Black ink on a bright white field, reset at the end of every line.
            .map(|l| format!("\u{1b}[30;107m{l}\u{1b}[0m"))
            .collect::<Vec<_>>()
            .join("\n"),
        TerminalStyle::PlainForDark => lines(code, false).join("\n"),
        TerminalStyle::PlainForLight => lines(code, true).join("\n"),
    }
}

/// The code as an SVG document (dark on light, quiet zone kept).
pub fn svg(code: &QrCode) -> String {
    code.render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(256, 256)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .quiet_zone(true)
        .build()
}

/// The code as a grey-scale PNG, `scale` pixels a module, quiet zone of four modules.
pub fn png(code: &QrCode, scale: u32) -> Result<Vec<u8>, QrError> {
    let modules = u32::try_from(code.width()).unwrap_or(0);
    let quiet = 4;
    let side = (modules + 2 * quiet) * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, c) in colors.iter().enumerate() {
        if *c != Color::Dark {
            continue;
        }
        let i = u32::try_from(i).unwrap_or(0);
        let (mx, my) = (i % modules + quiet, i / modules + quiet);
        for dy in 0..scale {
            let row = ((my * scale + dy) * side) as usize;
            let from = row + (mx * scale) as usize;
            pixels[from..from + scale as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| QrError::Png(e.to_string()))?;
        w.write_image_data(&pixels)
            .map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_renderings_agree() {
        let code = encode("http://127.0.0.1:8089/c/AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let (w, h) = cells(&code);
        let modules = code.width() as u16 + 8;
        assert_eq!(w, modules);
        assert_eq!(h, modules.div_ceil(2));
        let colored = terminal(&code, TerminalStyle::Colors);
        assert_eq!(colored.lines().count(), h as usize);
        assert!(colored.starts_with("\u{1b}[30;107m"));
        assert!(svg(&code).starts_with("<?xml"));
        let png = png(&code, 4).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
