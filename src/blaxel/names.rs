//! Blaxel resource names and labels derived from a tenant slug.
//!
//! Invariant: every name returned here is a valid Blaxel `metadata.name` (lowercase
//! alphanumerics and hyphens, no leading or trailing hyphen, at most 49 chars), and the
//! derivation is deterministic: the same integration and slug always give the same names.
//! A name that would break a rule is normalised and suffixed with a short hash of the raw
//! name, so two slugs never share a normalised name by accident.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// Longest `metadata.name` Blaxel accepts.
pub const MAX_NAME_LEN: usize = 49;
/// Longest `metadata.displayName` Blaxel accepts.
pub const MAX_DISPLAY_NAME_LEN: usize = 63;
/// Longest tenant slug (`^[a-z0-9][a-z0-9-]{0,30}$`).
pub const MAX_SLUG_LEN: usize = 31;
/// Label key naming the tenant that owns a resource.
pub const LABEL_TENANT: &str = "tenant";
/// Label key naming the tool that manages a resource.
pub const LABEL_MANAGED_BY: &str = "managed-by";
/// Value of [`LABEL_MANAGED_BY`] on everything this tool creates.
pub const MANAGED_BY: &str = "mcp-onboard";

/// Length of the hex hash suffix added to normalised names.
const HASH_LEN: usize = 8;

/// The tenant slug is not of the form `^[a-z0-9][a-z0-9-]{0,30}$`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid tenant slug {slug:?}: use 1 to 31 lowercase letters, digits or hyphens, starting with a letter or digit"
)]
pub struct InvalidSlug {
    /// The rejected slug.
    pub slug: String,
}

/// The fixed parts of an integration's resource names: connection `{connection}-{slug}`,
/// MCP server `{function}-{slug}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameParts<'a> {
    pub connection: &'a str,
    pub function: &'a str,
}

/// Names of the two Blaxel resources that serve one integration of a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceNames {
    /// Integration connection name, e.g. `gmail-acme`.
    pub connection: String,
    /// Function (MCP server) name, e.g. `gmail-mcp-acme`.
    pub function: String,
}

/// True if `slug` matches `^[a-z0-9][a-z0-9-]{0,30}$`.
pub fn is_valid_slug(slug: &str) -> bool {
    let bytes = slug.as_bytes();
    match bytes.first() {
        Some(first) if first.is_ascii_lowercase() || first.is_ascii_digit() => {}
        _ => return false,
    }
    bytes.len() <= MAX_SLUG_LEN && bytes.iter().all(|b| is_name_byte(*b))
}

/// True if `name` is a valid Blaxel `metadata.name`:
/// `^[a-z0-9]([a-z0-9-]{0,47}[a-z0-9])?$`.
pub fn is_valid_resource_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes.len() <= MAX_NAME_LEN
        && *first != b'-'
        && *last != b'-'
        && bytes.iter().all(|b| is_name_byte(*b))
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'
}

/// Derives the connection (`{integration}-{slug}`) and function
/// (`{integration}-mcp-{slug}`) names for a tenant: the shape every integration profile
/// uses.
pub fn resource_names(integration: &str, slug: &str) -> Result<ResourceNames, InvalidSlug> {
    let function = format!("{integration}-mcp");
    names_from_parts(
        &NameParts {
            connection: integration,
            function: &function,
        },
        slug,
    )
}

/// The names of a tenant's resources built from `parts`, normalised where needed.
pub fn names_from_parts(parts: &NameParts<'_>, slug: &str) -> Result<ResourceNames, InvalidSlug> {
    if !is_valid_slug(slug) {
        return Err(InvalidSlug {
            slug: slug.to_owned(),
        });
    }
    Ok(ResourceNames {
        connection: normalise_name(&format!("{}-{slug}", parts.connection)),
        function: normalise_name(&format!("{}-{slug}", parts.function)),
    })
}

/// Returns `raw` if it is already a valid name; otherwise a valid name made of the
/// sanitised `raw` (lowercased, other characters turned into hyphens, trimmed, cut to fit)
/// followed by `-` and 8 hex digits of SHA-256(`raw`).
pub fn normalise_name(raw: &str) -> String {
    if is_valid_resource_name(raw) {
        return raw.to_owned();
    }
    let digest = Sha256::digest(raw.as_bytes());
    let hash: String = digest
        .iter()
        .take(HASH_LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect();
    let sanitised: String = raw
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let budget = MAX_NAME_LEN - HASH_LEN - 1;
    let stem: String = sanitised.trim_matches('-').chars().take(budget).collect();
    let stem = stem.trim_end_matches('-');
    if stem.is_empty() {
        hash
    } else {
        format!("{stem}-{hash}")
    }
}

/// Labels put on every resource of a tenant: `tenant=<slug>`, `managed-by=mcp-onboard`.
pub fn tenant_labels(slug: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_TENANT.to_owned(), slug.to_owned()),
        (LABEL_MANAGED_BY.to_owned(), MANAGED_BY.to_owned()),
    ])
}

/// Cuts a display name to Blaxel's 63-character limit on a character boundary.
pub fn clamp_display_name(display_name: &str) -> String {
    display_name.chars().take(MAX_DISPLAY_NAME_LEN).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn gmail_names_follow_the_documented_shape() {
        let names = resource_names("gmail", "acme").unwrap();
        assert_eq!(names.connection, "gmail-acme");
        assert_eq!(names.function, "gmail-mcp-acme");
        let drive = resource_names("google-drive", "acme").unwrap();
        assert_eq!(drive.function, "google-drive-mcp-acme");
    }

    #[test]
    fn invalid_slugs_are_refused() {
        for slug in ["", "-acme", "Acme", "ac_me", "a".repeat(32).as_str()] {
            assert!(resource_names("gmail", slug).is_err(), "{slug:?}");
        }
    }

    #[test]
    fn a_trailing_hyphen_is_normalised_with_a_hash() {
        let names = resource_names("gmail", "acme-").unwrap();
        assert!(names.connection.starts_with("gmail-acme-"));
        assert_eq!(names.connection.len(), "gmail-acme-".len() + HASH_LEN);
        assert!(is_valid_resource_name(&names.connection));
        assert_ne!(
            names.connection,
            resource_names("gmail", "acme").unwrap().connection
        );
    }

    #[test]
    fn an_overlong_integration_is_cut_and_hashed() {
        let long = "x".repeat(60);
        let name = normalise_name(&format!("{long}-mcp-acme"));
        assert_eq!(name.len(), MAX_NAME_LEN);
        assert!(is_valid_resource_name(&name));
        assert_eq!(name, normalise_name(&format!("{long}-mcp-acme")));
        assert!(is_valid_resource_name(&normalise_name("---")));
        assert!(is_valid_resource_name(&normalise_name("Gmail_MCP")));
    }

    #[test]
    fn resource_name_rules() {
        assert!(is_valid_resource_name("a"));
        assert!(is_valid_resource_name(&"a".repeat(49)));
        assert!(!is_valid_resource_name(&"a".repeat(50)));
        assert!(!is_valid_resource_name("a-"));
        assert!(!is_valid_resource_name("-a"));
        assert!(!is_valid_resource_name("A"));
        assert!(!is_valid_resource_name(""));
    }

    #[test]
    fn display_names_are_clamped_on_char_boundaries() {
        let long = "é".repeat(70);
        assert_eq!(
            clamp_display_name(&long).chars().count(),
            MAX_DISPLAY_NAME_LEN
        );
    }

    /// A tenant slug as the domain accepts it: no hyphen at either end.
    const TENANT_SLUG: &str = "[a-z0-9]([a-z0-9-]{0,29}[a-z0-9])?";

    fn profiles() -> impl Strategy<Value = &'static crate::domain::integration::IntegrationProfile>
    {
        proptest::sample::select(
            crate::domain::integration::PROFILES
                .iter()
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn every_profile_uses_the_documented_shape() {
        for p in &crate::domain::integration::PROFILES {
            assert_eq!(
                p.integration.resource_names("acme").unwrap(),
                resource_names(p.name, "acme").unwrap(),
                "{}",
                p.name
            );
        }
    }

    proptest! {
        /// Valid for every profile and tenant slug, and as the slug reads: never cut or
        /// hashed, so an operator finds a tenant's resources by its slug.
        #[test]
        fn every_profile_gives_valid_plain_names(p in profiles(), slug in TENANT_SLUG) {
            let names = p.integration.resource_names(&slug).unwrap();
            prop_assert!(is_valid_resource_name(&names.connection), "{}", names.connection);
            prop_assert!(is_valid_resource_name(&names.function), "{}", names.function);
            prop_assert_eq!(names.connection, format!("{}-{slug}", p.names.connection));
            prop_assert_eq!(names.function, format!("{}-{slug}", p.names.function));
        }

        /// No two (integration, tenant) pairs share a connection or an MCP server name. The
        /// second slug is drawn to collide when it can: the first name, read as another
        /// profile's name, gives the slug that would clash.
        #[test]
        fn no_two_tenants_or_integrations_share_a_name(
            p in profiles(),
            q in profiles(),
            a in TENANT_SLUG,
            b in TENANT_SLUG,
        ) {
            let na = p.integration.resource_names(&a).unwrap();
            let mut rivals = vec![b];
            for (name, prefix) in [
                (&na.connection, q.names.connection),
                (&na.function, q.names.function),
            ] {
                if let Some(rest) = name.strip_prefix(&format!("{prefix}-")) {
                    rivals.push(rest.to_owned());
                }
            }
            for b in rivals.into_iter().filter(|b| is_valid_slug(b)) {
                if (p.integration, &a) == (q.integration, &b) {
                    continue;
                }
                let nb = q.integration.resource_names(&b).unwrap();
                prop_assert_ne!(&na.connection, &nb.connection);
                prop_assert_ne!(&na.function, &nb.function);
            }
        }

        #[test]
        fn any_valid_slug_gives_valid_distinct_names(slug in "[a-z0-9][a-z0-9-]{0,30}") {
            for integration in ["gmail", "google-drive"] {
                let names = resource_names(integration, &slug).unwrap();
                prop_assert!(is_valid_resource_name(&names.connection), "{}", names.connection);
                prop_assert!(is_valid_resource_name(&names.function), "{}", names.function);
                prop_assert_ne!(&names.connection, &names.function);
                prop_assert_eq!(&names, &resource_names(integration, &slug).unwrap());
            }
        }

        #[test]
        fn different_slugs_give_different_names(
            a in "[a-z0-9][a-z0-9-]{0,30}",
            b in "[a-z0-9][a-z0-9-]{0,30}",
        ) {
            prop_assume!(a != b);
            let (na, nb) = (resource_names("gmail", &a).unwrap(), resource_names("gmail", &b).unwrap());
            prop_assert_ne!(na.connection, nb.connection);
            prop_assert_ne!(na.function, nb.function);
        }

        #[test]
        fn normalise_always_yields_a_valid_name(raw in "\\PC{0,80}") {
            prop_assert!(is_valid_resource_name(&normalise_name(&raw)));
        }
    }
}
