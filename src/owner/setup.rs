//! What the owner finds of its own set-up at start (Google client, public URL, Blaxel
//! credentials, the brand its pages show): the lines of the console's set-up panel. The owner keeps them in its
//! engine and `status` carries them, so a console attached to it shows the owner's state,
//! not what its own configuration would have.

use crate::config::Config;
use crate::config::check::Findings;
use crate::engine::api::SetupLine;

/// What `config` (with `demo`, the built-in stand-ins) gives, one line per setting.
pub fn lines(config: &Config, demo: bool) -> Vec<SetupLine> {
    let line = |what: &str, found: Result<String, String>| {
        let ok = found.is_ok();
        let (Ok(detail) | Err(detail)) = found;
        SetupLine {
            ok,
            what: what.into(),
            detail,
        }
    };
    let found = Findings::of(config, demo);
    vec![
        line("google client", found.google_client()),
        line("listener.public_url", Ok(found.public_url.to_string())),
        line("blaxel", found.blaxel.map(|b| b.to_string())),
        line("brand", found.brand),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(env: &[(&str, &str)]) -> Config {
        Config::from_env_pairs(env).unwrap()
    }

    #[test]
    fn the_set_up_panel_names_the_brand_the_pages_show() {
        let named = lines(&config(&[("MCP_ONBOARD_BRAND_NAME", "Parcel AI")]), false);
        let brand = named
            .iter()
            .find(|l| l.what == "brand")
            .expect("a brand line");
        assert!(brand.ok, "{brand:?}");
        assert!(brand.detail.starts_with("Parcel AI"), "{brand:?}");
        let public = lines(
            &config(&[("MCP_ONBOARD_PUBLIC_URL", "https://onboard.example.com")]),
            false,
        );
        let brand = public
            .iter()
            .find(|l| l.what == "brand")
            .expect("a brand line");
        assert!(!brand.ok, "off loopback a brand name is needed: {brand:?}");
    }
}
