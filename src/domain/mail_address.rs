//! The one rule for an address a consent link may be mailed to: a single plain address
//! (`name@domain`), nothing that could smuggle a second recipient or a header into the
//! mail (no control characters, no commas, semicolons, angle brackets, quotes or spaces),
//! nor route it elsewhere (`%`, `!`); its name in ASCII (a relay need not speak SMTPUTF8),
//! its domain as DNS knows it (an international one in its `xn--` form).

/// The longest address SMTP carries (RFC 5321: a 256-octet path, less its brackets).
const MAX_ADDRESS: usize = 254;

/// `text` as an address a link may be mailed to (trimmed, domain lower-cased), or why not.
pub fn recipient(text: &str) -> Result<String, String> {
    let a = text.trim();
    if a.is_empty() {
        return Err("the address is empty".into());
    }
    if a.chars().any(char::is_control) {
        return Err("the address has a control character".into());
    }
    if a.contains([',', ';']) || a.matches('@').count() > 1 {
        return Err(format!(
            "`{a}` names more than one recipient: give one address"
        ));
    }
    if a.contains(['<', '>', '"', '(', ')', '[', ']', '\\', ':', '%', '!'])
        || a.contains(char::is_whitespace)
    {
        return Err(format!(
            "`{a}` is not a plain address: give one like jane@acme.example"
        ));
    }
    if a.len() > MAX_ADDRESS {
        return Err(format!(
            "the address is longer than {MAX_ADDRESS} characters"
        ));
    }
    let Some((local, domain)) = a.split_once('@') else {
        return Err(format!("`{a}` is not an address: it has no @"));
    };
    let labels_ok = domain.split('.').count() >= 2
        && domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(format!("`{a}` has no valid name before the @"));
    }
    if !labels_ok {
        return Err(format!("`{a}` has no valid domain after the @"));
    }
    if !local.is_ascii() || local.chars().any(|c| c.is_ascii_control()) {
        return Err(format!(
            "`{a}` has letters beyond ASCII before the @: a relay need not take them"
        ));
    }
    let domain = match url::Host::parse(&domain.to_lowercase()) {
        Ok(url::Host::Domain(d)) => d,
        _ => return Err(format!("`{a}` has no valid domain after the @")),
    };
    Ok(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_plain_address_is_taken_anything_else_is_refused_with_why() {
        assert_eq!(
            recipient("  Jane.Roe+onboard@Acme.Example ").as_deref(),
            Ok("Jane.Roe+onboard@acme.example")
        );
        assert_eq!(
            recipient("owner@Müller.example").as_deref(),
            Ok("owner@xn--mller-kva.example"),
            "an international domain as DNS knows it"
        );
        for (bad, says) in [
            ("", "empty"),
            ("a@b.example\r\nBcc: x@y.example", "control"),
            ("a@b.example\u{0}", "control"),
            ("a@b.example, c@d.example", "more than one"),
            ("a@b.example;c@d.example", "more than one"),
            ("a@b@c.example", "more than one"),
            ("Jane <a@b.example>", "not a plain address"),
            ("a b@c.example", "not a plain address"),
            ("jane", "no @"),
            ("@acme.example", "no valid name"),
            ("jane@localhost", "no valid domain"),
            ("jane@acme..example", "no valid domain"),
            ("a%evil.example@relay.example", "not a plain address"),
            ("jörg@acme.example", "beyond ASCII"),
        ] {
            let err = recipient(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
        assert!(recipient(&format!("{}@acme.example", "a".repeat(250))).is_err());
    }
}
