//! What an operator gives about a tenant (to add one, to edit one, in a CSV row), checked:
//! the slug, names, the expected account, the return URL, and every field of free text
//! through [`plain_text`], the one check that keeps terminal controls, bidi controls and
//! line separators out of what is stored ([`crate::text::is_unsafe`]).

use thiserror::Error;

use super::model::{AuditEvent, EventKind, ExpectedAccount, Integration, Tenant, TenantStatus};
use super::transition::event;
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidInput {
    #[error(
        "invalid slug {0:?}: use 1 to 31 characters, lowercase letters, digits and hyphens, starting and ending with a letter or digit"
    )]
    Slug(String),
    #[error("invalid display name: {0}")]
    DisplayName(&'static str),
    #[error("invalid email {0:?}: expected something like name@example.com")]
    Email(String),
    #[error("invalid domain {0:?}: expected something like example.com")]
    Domain(String),
    #[error("invalid return URL {0:?}: {1}")]
    ReturnUrl(String, String),
    #[error("invalid {0}: {1}")]
    Text(&'static str, String),
    #[error("unsupported language {0:?}: use one of {1}")]
    Lang(String, String),
    #[error("invalid contact email: {0}")]
    ContactEmail(String),
    #[error("{0} is named twice: a tenant holds each integration once")]
    IntegrationTwice(Integration),
}

/// A URL customers are sent to after consent: `https://` (plain `http://` only on a
/// loopback address), with a host and no credentials or fragment.
pub fn validate_return_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("{e}; expected an https:// URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("expected an https:// URL with a host".into()),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(
                "must be https:// (plain http:// only on a loopback address): customers' browsers are sent to it"
                    .into(),
            );
        }
        _ => return Err("expected an https:// URL".into()),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err("may not carry credentials or a #fragment".into());
    }
    Ok(url)
}

fn return_url_of(text: Option<&str>) -> Result<Option<String>, InvalidInput> {
    if let Some(t) = text {
        plain_text("return URL", t.trim())?;
    }
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => validate_return_url(t)
            .map(|u| Some(u.to_string()))
            .map_err(|why| InvalidInput::ReturnUrl(t.to_owned(), why)),
    }
}

/// A tenant's language as given (trimmed; empty is none): a supported tag, kept as the
/// list of languages spells it (`pt-br` is kept as `pt-BR`).
fn lang_of(text: &str) -> Result<Option<String>, InvalidInput> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    crate::i18n::Lang::from_tag(t)
        .map(|l| Some(l.tag().to_owned()))
        .ok_or_else(|| {
            let tags: Vec<&str> = crate::i18n::Lang::all().map(|l| l.tag()).collect();
            InvalidInput::Lang(crate::text::clean(t), tags.join(", "))
        })
}

/// What an operator gives to add a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct NewTenant {
    pub slug: String,
    pub display_name: Option<String>,
    pub contact: Option<String>,
    /// Where its consent links are mailed (else the expected Google account's address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    pub expected_email: Option<String>,
    pub expected_domain: Option<String>,
    #[serde(default)]
    pub integration: Integration,
    /// The integrations it holds beyond its first (`--integrations gmail,google-drive`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<Integration>,
    /// This tenant's own page to return to after consent (else `listener.return_url`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// The language of the tenant's pages and message (a supported tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// The one check of free text an operator gives ([`crate::text::refuse_unsafe`]), made on
/// the text as it is kept (trimmed: a trailing newline of a paste is no harm).
fn plain_text(field: &'static str, text: &str) -> Result<(), InvalidInput> {
    crate::text::refuse_unsafe(text).map_err(|why| InvalidInput::Text(field, why))
}

/// A contact as given (trimmed; empty is none): at most 200 characters of plain text.
fn contact_of(c: &str) -> Result<Option<String>, InvalidInput> {
    let c = c.trim();
    plain_text("contact", c)?;
    if c.chars().count() > 200 {
        return Err(InvalidInput::Text(
            "contact",
            "at most 200 characters".into(),
        ));
    }
    Ok(Some(c.to_owned()).filter(|c| !c.is_empty()))
}

pub fn validate_slug(slug: &str) -> Result<(), InvalidInput> {
    let bytes = slug.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 31
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        // Blaxel names end with a letter or digit: a trailing hyphen would have to be
        // rewritten, and the names would no longer read as the slug.
        && bytes[bytes.len() - 1] != b'-'
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidInput::Slug(slug.to_owned()))
    }
}

pub fn valid_domain(d: &str) -> bool {
    let labels: Vec<&str> = d.split('.').collect();
    d.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

pub fn normalise_email(e: &str) -> Result<String, InvalidInput> {
    plain_text("email", e.trim())?;
    let e = e.trim().to_ascii_lowercase();
    match e.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !local.contains(char::is_whitespace)
                && valid_domain(domain) =>
        {
            Ok(e)
        }
        _ => Err(InvalidInput::Email(e)),
    }
}

/// What an operator changes about a tenant; `None` keeps a field as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct TenantEdit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// An empty contact clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// An empty contact email clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_domain: Option<String>,
    /// Accept any Google account from now on (clears an expected email or domain).
    #[serde(default)]
    pub any_account: bool,
    /// A new return URL (an empty one removes it: `listener.return_url` applies again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    /// A new language (an empty one removes it: the customer's browser chooses again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

/// A contact email as given (empty is none): one plain address.
fn contact_email_of(c: &str) -> Result<Option<String>, InvalidInput> {
    if c.trim().is_empty() {
        return Ok(None);
    }
    super::mail_address::recipient(c)
        .map(Some)
        .map_err(InvalidInput::ContactEmail)
}

fn display_name(name: Option<&str>, slug: &str) -> Result<String, InvalidInput> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(slug)
        .to_owned();
    if name.chars().count() > 100 {
        return Err(InvalidInput::DisplayName("at most 100 characters"));
    }
    plain_text("display name", &name)?;
    Ok(name)
}

fn expected_account(
    email: Option<&str>,
    domain: Option<&str>,
) -> Result<Option<ExpectedAccount>, InvalidInput> {
    Ok(match (email, domain) {
        (Some(e), _) => Some(ExpectedAccount::Email(normalise_email(e)?)),
        (None, Some(d)) => {
            plain_text("domain", d.trim())?;
            let d = d.trim().trim_start_matches('@').to_ascii_lowercase();
            if !valid_domain(&d) {
                return Err(InvalidInput::Domain(d));
            }
            Some(ExpectedAccount::Domain(d))
        }
        (None, None) => None,
    })
}

/// Apply an operator's edit; the event says what changed. Pure.
pub fn edit_tenant(
    t: &Tenant,
    e: &TenantEdit,
    now: Millis,
) -> Result<(Tenant, Option<AuditEvent>), InvalidInput> {
    let mut next = t.clone();
    let mut changes = Vec::new();
    if let Some(n) = &e.display_name {
        let n = display_name(Some(n), &t.slug)?;
        if n != t.display_name {
            changes.push(format!("name is now {n:?}"));
            next.display_name = n;
        }
    }
    if let Some(c) = &e.contact {
        let c = contact_of(c)?;
        if c != t.contact {
            changes.push(match &c {
                Some(c) => format!("contact is now {c:?}"),
                None => "contact removed".into(),
            });
            next.contact = c;
        }
    }
    if let Some(c) = &e.contact_email {
        let c = contact_email_of(c)?;
        if c != t.contact_email {
            changes.push(match &c {
                Some(c) => format!("links are mailed to {c}"),
                None => "contact email removed".into(),
            });
            next.contact_email = c;
        }
    }
    let expected = if e.any_account {
        Some(None)
    } else if e.expected_email.is_some() || e.expected_domain.is_some() {
        Some(expected_account(
            e.expected_email.as_deref(),
            e.expected_domain.as_deref(),
        )?)
    } else {
        None
    };
    if let Some(x) = expected
        && x != t.expected
    {
        changes.push(match &x {
            Some(ExpectedAccount::Email(m)) => format!("expects the Google account {m}"),
            Some(ExpectedAccount::Domain(d)) => format!("expects a Google account of {d}"),
            None => "accepts any Google account".into(),
        });
        next.expected = x;
    }
    if let Some(r) = &e.return_url {
        let r = return_url_of(Some(r))?;
        if r != t.return_url {
            changes.push(match &r {
                Some(u) => format!("returns customers to {u}"),
                None => "return URL removed".into(),
            });
            next.return_url = r;
        }
    }
    if let Some(l) = &e.lang {
        let l = lang_of(l)?;
        if l != t.lang {
            changes.push(match &l {
                Some(tag) => format!("language {tag}"),
                None => "language removed (the browser's applies)".into(),
            });
            next.lang = l;
        }
    }
    if changes.is_empty() {
        return Ok((next, None));
    }
    next.updated_at = now;
    let detail = format!("operator edited the tenant: {}", changes.join("; "));
    Ok((
        next,
        Some(event(&t.slug, now, EventKind::TenantEdited, detail)),
    ))
}

/// Validate an operator's input and build the tenant with its first event.
pub fn new_tenant(input: &NewTenant, now: Millis) -> Result<(Tenant, AuditEvent), InvalidInput> {
    validate_slug(&input.slug)?;
    let display_name = display_name(input.display_name.as_deref(), &input.slug)?;
    let expected = expected_account(
        input.expected_email.as_deref(),
        input.expected_domain.as_deref(),
    )?;
    let mut tenant = Tenant {
        slug: input.slug.clone(),
        display_name,
        contact: match input.contact.as_deref() {
            Some(c) => contact_of(c)?,
            None => None,
        },
        contact_email: match input.contact_email.as_deref() {
            Some(c) => contact_email_of(c)?,
            None => None,
        },
        expected,
        integration: input.integration,
        scopes: input.integration.scopes(),
        status: TenantStatus::Created,
        failure: None,
        reason: None,
        google: None,
        granted_scopes: Vec::new(),
        consented_at: None,
        created_at: now,
        updated_at: now,
        provision: None,
        refusals: Default::default(),
        health: None,
        tokens_issued: 0,
        pending: None,
        return_url: return_url_of(input.return_url.as_deref())?,
        lang: match input.lang.as_deref() {
            Some(l) => lang_of(l)?,
            None => None,
        },
        added: Vec::new(),
        mcp: None,
        token_facts: None,
        mailed: None,
    };
    for i in &input.also {
        tenant
            .add_integration(*i, now)
            .map_err(|e| InvalidInput::IntegrationTwice(e.0))?;
    }
    let event = event(
        &tenant.slug,
        now,
        EventKind::TenantAdded,
        "tenant added".into(),
    );
    Ok((tenant, event))
}
