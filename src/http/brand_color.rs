//! A brand's accent colour: read from `#rrggbb`, measured as WCAG 2 measures colours
//! (relative luminance, contrast ratio), and given the text colour that reads on it with
//! at least 4.5:1 (WCAG AA for text), so a button in any accent stays legible.

/// A colour in sRGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

/// The least contrast for text (WCAG 2, level AA, normal size).
pub const MIN_TEXT_CONTRAST: f64 = 4.5;

pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
/// The pages' own text colour, preferred to black on a light accent.
pub const NEAR_BLACK: Rgb = Rgb(0x1d, 0x1f, 0x23);
pub const BLACK: Rgb = Rgb(0, 0, 0);

/// The accent when the brand sets none: white text on it reads at 5.4:1.
pub const DEFAULT_ACCENT: Rgb = Rgb(0x1a, 0x66, 0xd2);

impl Rgb {
    /// `#rrggbb` (either case); anything else is refused with a reason.
    pub fn parse(text: &str) -> Result<Rgb, String> {
        let hex = text
            .strip_prefix('#')
            .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| format!("{text:?} is not a colour of the form #rrggbb"))?;
        let byte = |at: usize| u8::from_str_radix(&hex[at..at + 2], 16).unwrap_or(0);
        Ok(Rgb(byte(0), byte(2), byte(4)))
    }

    /// `#rrggbb`, lower case: safe to put in a stylesheet.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2): 0 for black, 1 for white.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }
}

/// The contrast ratio of two colours (WCAG 2), from 1 (the same) to 21 (black on white).
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la >= lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// The text colour for `accent`: white when it reads at 4.5:1, else the pages' near-black
/// when that does, else black (which reads at 4.58:1 at least on any colour white fails).
pub fn text_on(accent: Rgb) -> Rgb {
    [WHITE, NEAR_BLACK]
        .into_iter()
        .find(|t| contrast(*t, accent) >= MIN_TEXT_CONTRAST)
        .unwrap_or(BLACK)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(a: &str, b: &str) -> f64 {
        let c = contrast(Rgb::parse(a).unwrap(), Rgb::parse(b).unwrap());
        (c * 100.0).round() / 100.0
    }

    #[test]
    fn known_ratios() {
        assert_eq!(ratio("#000000", "#ffffff"), 21.0);
        assert_eq!(ratio("#ffffff", "#000000"), 21.0);
        assert_eq!(ratio("#777777", "#777777"), 1.0);
        // WebAIM's figures: #767676 is the lightest grey that passes on white.
        assert_eq!(ratio("#767676", "#ffffff"), 4.54);
        assert_eq!(ratio("#777777", "#ffffff"), 4.48);
        assert_eq!(ratio("#0000ff", "#ffffff"), 8.59);
        assert_eq!(ratio("#ff0000", "#ffffff"), 4.0);
        assert_eq!(Rgb::parse("#ffffff").unwrap().luminance(), 1.0);
        assert_eq!(Rgb::parse("#000000").unwrap().luminance(), 0.0);
    }

    #[test]
    fn parse_takes_rrggbb_only() {
        assert_eq!(Rgb::parse("#1A73e8"), Ok(Rgb(0x1a, 0x73, 0xe8)));
        assert_eq!(Rgb(0x1a, 0x73, 0xe8).hex(), "#1a73e8");
        for bad in [
            "1a73e8", "#1a73e", "#1a73e8f", "#fff", "#gg0000", "", "#", "red", "#ffé000",
        ] {
            assert!(Rgb::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_on_an_accent_reads_at_four_and_a_half_to_one() {
        assert_eq!(text_on(DEFAULT_ACCENT), WHITE);
        assert_eq!(text_on(Rgb::parse("#ffcc00").unwrap()), NEAR_BLACK);
        assert_eq!(text_on(WHITE), NEAR_BLACK);
        assert_eq!(text_on(BLACK), WHITE);
        // Pure red: white reads at 4.0, the near-black at 4.1; black passes (5.3).
        let red = Rgb::parse("#ff0000").unwrap();
        assert!(contrast(WHITE, red) < 4.5 && contrast(NEAR_BLACK, red) < 4.5);
        assert_eq!(text_on(red), BLACK);
        // Every colour on a grid gets a legible text colour.
        for r in (0..=255).step_by(15) {
            for g in (0..=255).step_by(15) {
                for b in (0..=255).step_by(15) {
                    let accent = Rgb(r as u8, g as u8, b as u8);
                    let c = contrast(text_on(accent), accent);
                    assert!(
                        c >= MIN_TEXT_CONTRAST,
                        "{} on {}: {c}",
                        text_on(accent).hex(),
                        accent.hex()
                    );
                }
            }
        }
    }

    #[test]
    fn the_default_accent_reads_with_white() {
        assert!(
            contrast(WHITE, DEFAULT_ACCENT) >= 5.0,
            "{}",
            contrast(WHITE, DEFAULT_ACCENT)
        );
    }
}
