//! The link's QR code scans: what a phone camera sees of the terminal rendering on a light
//! and on a dark terminal, and the PNG and SVG files, decoded with a real QR reader.

mod support_proc;

use mcp_onboard::qr::{self, TerminalStyle};
use support_proc::*;

/// Pixels per terminal cell column; a cell row is two modules of this height.
const PX: usize = 4;

/// What a camera sees of `text` drawn with half-block characters: each cell is two
/// modules, the upper and lower half, drawn in `ink` where the character has ink and in
/// `paper` elsewhere.
fn photograph(text: &str, ink: u8, paper: u8) -> (usize, usize, Vec<u8>) {
    let rows: Vec<Vec<char>> = text
        .lines()
        .map(|l| strip_ansi(l).chars().collect())
        .collect();
    let w = rows.iter().map(Vec::len).max().unwrap_or(0);
    let h = rows.len() * 2;
    // A margin of the terminal's own background around the code, as on a real screen.
    let margin = 8;
    let (iw, ih) = ((w + 2 * margin) * PX, (h + 2 * margin) * PX);
    let mut img = vec![paper; iw * ih];
    for (cy, row) in rows.iter().enumerate() {
        for (cx, ch) in row.iter().enumerate() {
            let (top, bottom) = match ch {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected character {other:?} in the QR rendering"),
            };
            for (half, on) in [(0, top), (1, bottom)] {
                let v = if on { ink } else { paper };
                let my = cy * 2 + half + margin;
                let mx = cx + margin;
                for dy in 0..PX {
                    let at = (my * PX + dy) * iw + mx * PX;
                    img[at..at + PX].fill(v);
                }
            }
        }
    }
    (iw, ih, img)
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn decode(w: usize, h: usize, img: &[u8]) -> Result<String, String> {
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| img[y * w + x]);
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or("no QR code found")?;
    let (_, text) = grid.decode().map_err(|e| e.to_string())?;
    Ok(text)
}

const BLACK: u8 = 0;
const WHITE: u8 = 255;
/// A typical dark theme's background and light theme's foreground are not pure.
const DARK_BG: u8 = 30;
const LIGHT_FG: u8 = 220;

const URL: &str = "https://onboard.example.com/c/UPRdgyqLgfxq-twX6K6b5g";

#[test]
fn with_colours_the_code_is_black_on_white_whatever_the_terminal_theme() {
    let code = qr::encode(URL).unwrap();
    let text = qr::terminal(&code, TerminalStyle::Colors);
    // Every line sets black ink on a bright white field itself and resets at its end.
    for line in text.lines() {
        assert!(line.starts_with("\u{1b}[30;107m"), "{line:?}");
        assert!(line.ends_with("\u{1b}[0m"), "{line:?}");
    }
    // The theme's own colours do not reach the code: ink is black and paper white on both.
    // Outside the code, the terminal's background shows: white on a light theme, dark on a
    // dark theme. The quiet zone inside the code keeps it readable on either.
    let (w, h, img) = photograph(&text, BLACK, WHITE);
    assert_eq!(decode(w, h, &img).as_deref(), Ok(URL));
    let (w, h, mut img) = photograph(&text, BLACK, WHITE);
    // Paint the margin (outside the code) dark, as a dark theme would.
    let margin = 8 * PX;
    for y in 0..h {
        for x in 0..w {
            if x < margin || x >= w - margin || y < margin || y >= h - margin {
                img[y * w + x] = DARK_BG;
            }
        }
    }
    assert_eq!(decode(w, h, &img).as_deref(), Ok(URL));
}

#[test]
fn without_colours_the_default_suits_a_dark_terminal_and_invert_a_light_one() {
    let code = qr::encode(URL).unwrap();
    let dark = qr::terminal(&code, TerminalStyle::PlainForDark);
    assert!(!dark.contains('\u{1b}'), "no colours asked");
    // On a dark terminal the characters' ink is light.
    let (w, h, img) = photograph(&dark, LIGHT_FG, DARK_BG);
    assert_eq!(decode(w, h, &img).as_deref(), Ok(URL));

    let light = qr::terminal(&code, TerminalStyle::PlainForLight);
    // On a light terminal the characters' ink is dark.
    let (w, h, img) = photograph(&light, BLACK, WHITE);
    assert_eq!(decode(w, h, &img).as_deref(), Ok(URL));

    // The two are each other's negative: the right one must be chosen.
    assert_ne!(dark, light);
    assert_eq!(dark.lines().count(), light.lines().count());
}

/// Rasterise the SVG the way a viewer does: a white rect, then the path's module squares.
fn rasterise_svg(svg: &str) -> (usize, usize, Vec<u8>) {
    let attr = |name: &str| -> usize {
        let at = svg.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
        svg[at..].split('"').next().unwrap().parse().unwrap()
    };
    let (w, h) = (attr("width"), attr("height"));
    assert!(svg.contains("fill=\"#ffffff\""), "a white field");
    assert!(svg.contains("<path fill=\"#000000\""), "black modules");
    let mut img = vec![WHITE; w * h];
    let d_at = svg.find(" d=\"").expect("a path") + 4;
    let d = svg[d_at..].split('"').next().unwrap();
    for square in d.split('M').filter(|s| !s.is_empty()) {
        // `X Yh{S}v{S}H..V..`: a square of side S at (X, Y).
        let (xy, rest) = square.split_once('h').expect("h");
        let (x, y) = xy.split_once(' ').expect("x y");
        let side: usize = rest.split('v').next().unwrap().parse().unwrap();
        let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
        for yy in y..y + side {
            img[yy * w + x..yy * w + x + side].fill(BLACK);
        }
    }
    (w, h, img)
}

fn read_png(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("a size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

#[test]
fn link_writes_png_and_svg_files_and_a_terminal_code_that_all_scan_to_the_printed_url() {
    let w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let png_path = w.tmp.path().join("acme.png");
    let svg_path = w.tmp.path().join("acme.svg");
    let out = w.run(&[
        "link",
        "acme",
        "--qr",
        "--qr-png",
        png_path.to_str().unwrap(),
        "--qr-svg",
        svg_path.to_str().unwrap(),
    ]);
    assert!(out.ok(), "{}", out.stderr);
    let url = out
        .stdout
        .lines()
        .find(|l| l.starts_with("http"))
        .expect("the link's URL")
        .to_owned();
    assert!(
        out.stderr
            .contains(&format!("QR code written to {}", png_path.display())),
        "{}",
        out.stderr
    );

    // Not a terminal and no `--invert`: drawn for a dark background.
    let qr_text: String = out
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("http"))
        .collect::<Vec<_>>()
        .join("\n");
    let (iw, ih, img) = photograph(&qr_text, LIGHT_FG, DARK_BG);
    assert_eq!(
        decode(iw, ih, &img),
        Ok(url.clone()),
        "terminal code on a dark theme"
    );

    let (iw, ih, img) = read_png(&std::fs::read(&png_path).unwrap());
    assert_eq!(decode(iw, ih, &img), Ok(url.clone()), "PNG");
    let (iw, ih, img) = rasterise_svg(&std::fs::read_to_string(&svg_path).unwrap());
    assert_eq!(decode(iw, ih, &img), Ok(url.clone()), "SVG");

    // With `--invert`, drawn for a light background.
    let out = w.run(&["link", "acme", "--qr", "--invert"]);
    assert!(out.ok(), "{}", out.stderr);
    let url = out
        .stdout
        .lines()
        .find(|l| l.starts_with("http"))
        .unwrap()
        .to_owned();
    let qr_text: String = out
        .stdout
        .lines()
        .take_while(|l| !l.starts_with("http"))
        .collect::<Vec<_>>()
        .join("\n");
    let (iw, ih, img) = photograph(&qr_text, BLACK, WHITE);
    assert_eq!(
        decode(iw, ih, &img),
        Ok(url),
        "terminal code on a light theme"
    );

    // A folder that is not there is a clear error, before any link is issued.
    let before = w
        .json(&["tenant", "links", "acme"])
        .as_array()
        .map_or(0, Vec::len);
    let out = w.run(&["link", "acme", "--qr-png", "/nonexistent-dir/x.png"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr
            .contains("there is no folder /nonexistent-dir to write the QR code into"),
        "{}",
        out.stderr
    );
    let after = w
        .json(&["tenant", "links", "acme"])
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(after, before, "no link was issued for nothing");

    // A file that cannot be written once the link is issued (a folder that takes no files,
    // even from root) loses no link: it is printed first, then the error says so, once.
    let out = w.run(&["link", "acme", "--qr-png", "/proc/x.png"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.contains("/c/"),
        "the link is printed: {}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("the link above was issued, but its QR code was not written"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.matches("os error").count(), 1, "{}", out.stderr);
}

/// A QR file holds a live link: it is created new and private, never over a file and never
/// through a symlink; a refused file costs no link.
#[test]
fn link_never_overwrites_a_qr_file_nor_writes_through_a_symlink_and_keeps_new_ones_private() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    w.ok(&["tenant", "add", "acme"]);
    let links = |w: &World| {
        w.json(&["tenant", "links", "acme"])
            .as_array()
            .map_or(0, Vec::len)
    };

    let kept = w.tmp.path().join("kept.png");
    std::fs::write(&kept, "someone's picture").unwrap();
    let out = w.run(&["link", "acme", "--qr-png", kept.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("exists already at {}", kept.display())),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "someone's picture");
    assert_eq!(links(&w), 0, "no link was issued for nothing");

    let target = w.tmp.path().join("planted.svg");
    let link = w.tmp.path().join("link.svg");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = w.run(&["link", "acme", "--qr-svg", link.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("exists already at {}", link.display())),
        "{}",
        out.stderr
    );
    assert!(!target.exists(), "nothing went through the dangling link");

    let png = w.tmp.path().join("new.png");
    let svg = w.tmp.path().join("new.svg");
    let out = w.run(&[
        "link",
        "acme",
        "--qr-png",
        png.to_str().unwrap(),
        "--qr-svg",
        svg.to_str().unwrap(),
    ]);
    assert!(out.ok(), "{}", out.stderr);
    for f in [&png, &svg] {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    assert_eq!(links(&w), 1);
}

#[test]
fn the_wrong_rendering_for_the_theme_does_not_scan() {
    // This is what the terminal code looked like on a light theme before: a negative.
    let code = qr::encode(URL).unwrap();
    let dark = qr::terminal(&code, TerminalStyle::PlainForDark);
    let (w, h, img) = photograph(&dark, BLACK, WHITE);
    assert!(decode(w, h, &img).is_err(), "a negative code is not read");
}
