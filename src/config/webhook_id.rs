//! A webhook's `id`: the name its deliveries are recorded under. Letters, digits, `.`,
//! `_` and `-`, at most 64, one per receiver.

use super::ConfigError;

const MAX_LEN: usize = 64;

/// Check the `id` of the webhook named `from`, against the ids of those already read.
pub(super) fn webhook_id(
    id: Option<String>,
    taken: &[&str],
    from: &str,
) -> Result<Option<String>, ConfigError> {
    let Some(id) = id.map(|i| i.trim().to_owned()) else {
        return Ok(None);
    };
    let invalid = |detail: &str| ConfigError::Invalid {
        key: "webhook.id",
        value: id.clone(),
        from: from.to_owned(),
        detail: detail.to_owned(),
    };
    let well_formed = !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !well_formed {
        return Err(invalid(
            "1 to 64 letters, digits, `.`, `_` or `-` (e.g. crm)",
        ));
    }
    if taken.contains(&id.as_str()) {
        return Err(invalid(
            "another webhook has this id already; each needs its own",
        ));
    }
    Ok(Some(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_a_short_name_of_its_own() {
        let before = ["crm"];
        assert_eq!(webhook_id(None, &before, "f").unwrap(), None);
        assert_eq!(
            webhook_id(Some(" billing.v2 ".into()), &before, "f").unwrap(),
            Some("billing.v2".into())
        );
        for bad in ["", "has space", "a:b", &"x".repeat(65), "crm"] {
            let e = webhook_id(Some(bad.into()), &before, "f").unwrap_err();
            assert!(e.to_string().contains("webhook.id"), "{bad:?}: {e}");
        }
    }
}
