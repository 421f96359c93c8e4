//! The inside of each page (what `<main>` holds) and the footer, from the page's facts;
//! every value escaped on the way in.

use super::{Brand, Failure, Page, PageKind, attr, esc, para, t};
use crate::domain::model::{ExpectedAccount, Integration};
use crate::i18n::{Arg, Lang};

/// Where a Google account's holder withdraws an app's access.
const PERMISSIONS_URL: &str = "https://myaccount.google.com/permissions";

pub(super) fn body(page: &Page, brand: &Brand) -> String {
    let lang = page.lang;
    let name = ("brand", Arg::Text(&brand.name));
    let app = ("google_app", Arg::Text(&brand.google_app));
    let mut out = String::new();
    match &page.kind {
        PageKind::Ask {
            tenant,
            integrations,
            account,
            continue_path,
            token,
        } => {
            let tenant = ("tenant", Arg::Text(tenant));
            para(&mut out, "lead", &t(lang, "ask", &[name, tenant]));
            para(&mut out, "", &t(lang, "ask-next", &[app]));
            if brand.google_app != brand.name {
                para(&mut out, "", &t(lang, "ask-app-name", &[app, name]));
            }
            allowed(&mut out, lang, "ask-allowed", app, integrations);
            if let Some(account) = account {
                let line = match account {
                    ExpectedAccount::Email(e) => {
                        t(lang, "ask-account-email", &[("email", e.into())])
                    }
                    ExpectedAccount::Domain(d) => {
                        t(lang, "ask-account-domain", &[("domain", d.into())])
                    }
                };
                para(&mut out, "account", &line);
            }
            out.push_str(&format!(
                r#"<form method="post" action="{}"><input type="hidden" name="token" value="{}"><input type="hidden" name="lang" value="{}"><button type="submit">{}</button></form>"#,
                attr(continue_path),
                attr(token),
                lang.tag(),
                t(lang, "ask-continue", &[])
            ));
            out.push('\n');
            revoke(&mut out, lang);
        }
        PageKind::Connected {
            tenant,
            email,
            integrations,
            ..
        } => {
            let tenant = ("tenant", Arg::Text(tenant));
            para(&mut out, "lead", &t(lang, "connected", &[name, tenant]));
            signed_in(&mut out, lang, email.as_deref());
            if !integrations.is_empty() {
                allowed(&mut out, lang, "allowed-now", app, integrations);
            }
            super::steps::offer_next(&mut out, page);
            revoke(&mut out, lang);
            if page.next.is_none() && !page.kind.consents_left() {
                para(&mut out, "", &t(lang, "close-window", &[]));
            }
        }
        PageKind::AwaitingApproval { tenant, email } => {
            let tenant = ("tenant", Arg::Text(tenant));
            let lead = t(lang, "awaiting-approval", &[name, tenant]);
            para(&mut out, "lead", &lead);
            signed_in(&mut out, lang, email.as_deref());
            // Google's grant stands while it waits: say how to withdraw it.
            revoke(&mut out, lang);
            if page.next.is_none() {
                para(&mut out, "", &t(lang, "close-window", &[]));
            }
        }
        PageKind::Failed { tenant, failure } => {
            facts(&mut out, lang, brand, tenant.as_deref());
            if let Failure::WrongAccount { signed_in: who, .. } = failure {
                signed_in(&mut out, lang, who.as_deref());
            }
            para(&mut out, "lead", &failure_text(lang, brand, failure));
            if let Failure::GoogleError(code) = failure {
                let line = t(lang, "google-code", &[("code", Arg::Text(&code.code))]);
                para(&mut out, "", &line);
            }
        }
    }
    if let Some(next) = &page.next {
        let host = url::Url::parse(next)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let id = match page.kind {
            PageKind::Failed { .. } => "next-back",
            _ => "next-continue",
        };
        out.push_str(&format!(
            r#"<p><a class="next" href="{}">{}</a></p>"#,
            attr(next),
            t(lang, id, &[("host", Arg::Text(&host))])
        ));
        out.push('\n');
    }
    out
}

fn failure_text(lang: Lang, brand: &Brand, failure: &Failure) -> String {
    let brand_arg = ("brand", Arg::Text(&brand.name));
    let id = failure.message();
    match failure {
        Failure::LinkGone(gone) => t(lang, id, &[("reason", gone.reason().into()), brand_arg]),
        Failure::FlowExpired { minutes } => t(lang, id, &[("minutes", (*minutes).into())]),
        Failure::NoRefreshToken => t(lang, id, &[("google_app", Arg::Text(&brand.google_app))]),
        Failure::WrongAccount { expected, .. } => {
            let (kind, value) = match expected {
                ExpectedAccount::Email(e) => ("email", e),
                ExpectedAccount::Domain(d) => ("domain", d),
            };
            t(
                lang,
                id,
                &[("kind", kind.into()), ("expected", value.into())],
            )
        }
        _ => t(lang, id, &[brand_arg]),
    }
}

fn signed_in(out: &mut String, lang: Lang, email: Option<&str>) {
    if let Some(e) = email {
        para(out, "", &t(lang, "signed-in-as", &[("email", e.into())]));
    }
}

/// Who asks, and for which tenant when known.
fn facts(out: &mut String, lang: Lang, brand: &Brand, tenant: Option<&str>) {
    out.push_str(&format!(
        r#"<dl class="facts"><dt>{}</dt><dd>{}</dd>"#,
        t(lang, "fact-requested-by", &[]),
        esc(&brand.name)
    ));
    if let Some(tenant) = tenant {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            t(lang, "fact-for", &[]),
            esc(tenant)
        ));
    }
    out.push_str("</dl>\n");
}

/// What Google's app may do: one item per integration, then the identity it reads.
fn allowed(
    out: &mut String,
    lang: Lang,
    heading: &str,
    app: (&str, Arg<'_>),
    integrations: &[Integration],
) {
    out.push_str(&format!("<h2>{}</h2>\n<ul>", t(lang, heading, &[app])));
    for i in integrations {
        let id = i.profile().allows_message;
        out.push_str(&format!("<li>{}</li>", t(lang, id, &[])));
    }
    out.push_str(&format!(
        "<li>{}</li></ul>\n",
        t(lang, "allow-identity", &[])
    ));
}

fn revoke(out: &mut String, lang: Lang) {
    let link = format!(
        r#"<a href="{PERMISSIONS_URL}">{}</a>"#,
        PERMISSIONS_URL.trim_start_matches("https://")
    );
    para(out, "", &format!("{} {link}", t(lang, "revoke", &[])));
}

/// Support, privacy policy and terms, as the brand sets them.
pub(super) fn footer(lang: Lang, brand: &Brand) -> String {
    let mut out = String::new();
    if let Some(contact) = brand.support_contact.as_deref() {
        let shown = esc(contact);
        let target = if web(contact) {
            Some(contact.to_owned())
        } else if contact.contains('@') && !contact.contains([' ', ':', '/', '?']) {
            Some(format!("mailto:{contact}"))
        } else {
            None
        };
        let contact = match target {
            Some(href) => format!(r#"<a href="{}">{shown}</a>"#, attr(&href)),
            None => shown,
        };
        let lead = t(lang, "footer-support", &[("brand", Arg::Text(&brand.name))]);
        out.push_str(&format!("<p>{lead} {contact}</p>\n"));
    }
    let links: Vec<String> = [
        (&brand.privacy_policy_url, "footer-privacy"),
        (&brand.terms_url, "footer-terms"),
    ]
    .into_iter()
    .filter_map(|(url, id)| {
        let url = url.as_deref().filter(|u| web(u))?;
        Some(format!(
            r#"<li><a href="{}">{}</a></li>"#,
            attr(url),
            t(lang, id, &[])
        ))
    })
    .collect();
    if !links.is_empty() {
        out.push_str(&format!("<ul>{}</ul>\n", links.concat()));
    }
    out
}

/// An address a link may lead to: `https://` or `http://`, nothing else (no `javascript:`).
fn web(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "https" | "http"))
}
