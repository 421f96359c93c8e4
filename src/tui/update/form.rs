//! The add and edit forms: each field validated as it is typed (by its key), saved as one
//! command to the engine.

use super::effect::call;
use crate::domain::lifecycle::{
    NewTenant, TenantEdit, normalise_email, valid_domain, validate_slug,
};
use crate::domain::link_ttl::DEFAULT_LINK_TTL;
use crate::domain::model::ExpectedAccount;
use crate::engine::api::Command;
use crate::tui::commands::Action;
use crate::tui::model::{Effect, Field, FieldKey, Form, FormKind, Mode, Model, Pending};

pub fn add_form() -> Form {
    use FieldKey as K;
    let mut f = Form {
        kind: FormKind::Add,
        fields: vec![
            Field::new(
                K::Slug,
                "a-z, 0-9 and inner hyphens, 1-31 long; it never changes",
                "",
            ),
            Field::new(
                K::DisplayName,
                "shown to the customer (default: the slug)",
                "",
            ),
            Field::new(K::Contact, "who you deal with (for you only)", ""),
            Field::new(
                K::ExpectedEmail,
                "the customer must sign in with this Google account",
                "",
            ),
            Field::new(
                K::ExpectedDomain,
                "…or with an account of this Workspace domain",
                "",
            ),
            Field::new(K::Language, LANGUAGE_HELP, ""),
            Field::new(
                K::LinkLifetime,
                "issue a link now, for 1m to 30d (empty: no link yet)",
                "7d",
            ),
        ],
        focus: 0,
        error: None,
    };
    validate_form(&mut f);
    f
}

/// The edit form of the selected tenant, from its detail (none until the detail is in).
pub(super) fn edit_form(m: &Model) -> Option<Form> {
    use FieldKey as K;
    let d = m.shown_detail()?;
    let (email, domain) = match &d.expected_account {
        Some(ExpectedAccount::Email(e)) => (e.clone(), String::new()),
        Some(ExpectedAccount::Domain(x)) => (String::new(), x.clone()),
        None => (String::new(), String::new()),
    };
    let mut f = Form {
        kind: FormKind::Edit(d.slug.clone()),
        fields: vec![
            Field::new(K::DisplayName, "shown to the customer", &d.display_name),
            Field::new(
                K::Contact,
                "who you deal with (empty removes it)",
                d.contact.as_deref().unwrap_or(""),
            ),
            Field::new(
                K::ExpectedEmail,
                "empty with an empty domain: any Google account",
                &email,
            ),
            Field::new(
                K::ExpectedDomain,
                "…or an account of this Workspace domain",
                &domain,
            ),
            Field::new(K::Language, LANGUAGE_HELP, d.lang.as_deref().unwrap_or("")),
        ],
        focus: 0,
        error: None,
    };
    validate_form(&mut f);
    Some(f)
}

/// What the language field takes.
const LANGUAGE_HELP: &str = "pages and message: en de fr es pt-BR ja (empty: any)";

/// A link lifetime typed in the console, in seconds (the rule is the domain's, shared with
/// the CLI).
pub(super) fn parse_ttl(s: &str) -> Result<u64, String> {
    crate::domain::link_ttl::parse_ttl(s)
        .map(|d| d.as_secs())
        .map_err(|e| format!("link lifetime: {e}"))
}

/// Inline validation: every field says what is wrong with it as it is typed.
pub fn validate_form(f: &mut Form) {
    use FieldKey as K;
    let email = f.value(K::ExpectedEmail).trim().to_owned();
    for fld in &mut f.fields {
        let v = fld.input.value().trim();
        if let Err(why) = crate::text::refuse_unsafe(v) {
            fld.error = Some(why);
            continue;
        }
        fld.error = match fld.key {
            // Empty is not wrong yet: saving says it is needed.
            K::Slug if v.is_empty() => None,
            K::Slug => validate_slug(v).err().map(|e| e.to_string()),
            K::DisplayName if v.chars().count() > 100 => Some("at most 100 characters".into()),
            K::ExpectedEmail if !v.is_empty() => normalise_email(v).err().map(|e| e.to_string()),
            K::ExpectedDomain if !v.is_empty() && !email.is_empty() => {
                Some("give an email or a domain, not both".into())
            }
            K::ExpectedDomain if !v.is_empty() => {
                let d = v.trim_start_matches('@').to_ascii_lowercase();
                (!valid_domain(&d)).then(|| format!("{d:?} is not a domain like example.com"))
            }
            K::Language if !v.is_empty() && crate::i18n::Lang::from_tag(v).is_none() => {
                Some(format!("{v:?} is not one of en, de, fr, es, pt-BR, ja"))
            }
            K::LinkLifetime if !v.is_empty() => parse_ttl(v).err(),
            _ => None,
        };
    }
    f.error = None;
}

pub(super) fn act(m: &mut Model, a: Action, fx: &mut Vec<Effect>) {
    let Mode::Form(f) = &mut m.mode else {
        return;
    };
    let n = f.fields.len();
    match a {
        Action::NextField => f.focus = (f.focus + 1) % n,
        Action::PrevField => f.focus = (f.focus + n - 1) % n,
        Action::Cancel => m.mode = Mode::Table,
        Action::Submit => {
            if let Some((p, command)) = submit(f) {
                call(m, fx, p, command);
            }
        }
        _ => {}
    }
}

/// What saving the form sends, once every field is right (else the form says what to fix).
fn submit(f: &mut Form) -> Option<(Pending, Command)> {
    use FieldKey as K;
    validate_form(f);
    if let Some(slug) = f.field_mut(K::Slug)
        && slug.input.value().trim().is_empty()
    {
        slug.error = Some("a slug is needed".into());
    }
    if let Some(bad) = f.fields.iter().position(|x| x.error.is_some()) {
        f.focus = bad;
        f.error = Some("fix the field marked ✖ first".into());
        return None;
    }
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let email = opt(f.value(K::ExpectedEmail));
    let domain = opt(f.value(K::ExpectedDomain));
    match &f.kind {
        FormKind::Add => {
            let slug = f.value(K::Slug).trim().to_owned();
            let ttl = opt(f.value(K::LinkLifetime))
                .map(|t| parse_ttl(&t).unwrap_or(DEFAULT_LINK_TTL.as_secs()));
            let input = NewTenant {
                slug: slug.clone(),
                display_name: opt(f.value(K::DisplayName)),
                contact: opt(f.value(K::Contact)),
                contact_email: None,
                expected_email: email,
                expected_domain: domain,
                integration: Default::default(),
                also: Vec::new(),
                return_url: None,
                lang: opt(f.value(K::Language)),
            };
            Some((Pending::Add { slug, ttl }, Command::AddTenant(input)))
        }
        FormKind::Edit(slug) => {
            let any = email.is_none() && domain.is_none();
            let edit = TenantEdit {
                display_name: opt(f.value(K::DisplayName)),
                contact: Some(f.value(K::Contact).trim().to_owned()),
                contact_email: None,
                expected_email: email,
                expected_domain: domain,
                any_account: any,
                return_url: None,
                lang: Some(f.value(K::Language).trim().to_owned()),
            };
            Some((
                Pending::Edit(slug.clone()),
                Command::EditTenant {
                    slug: slug.clone(),
                    edit,
                },
            ))
        }
    }
}
