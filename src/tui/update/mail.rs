//! Mailing consent links from the console: `m` mails a new link to the selected tenant,
//! `M` (`:mail-all`) a new link to each tenant the table shows, after a question naming how
//! many and which are left out (no address, or no link taken now), and `m` in a link view
//! mails the link shown. The runner mails off the loop (one mailing at a time); its progress
//! shows in the flash line without covering other news, and its end in a summary, counts
//! first and then every tenant not mailed and why, kept until a key when any was not mailed.

use super::effect::flash;
use super::question;
use crate::domain::link_mail::MailOutcome;
use crate::domain::link_ttl::DEFAULT_LINK_TTL;
use crate::mail::{Addressee, Delivery, MailReport, Sending, no_address, set_address};
use crate::tui::commands::available::takes_links;
use crate::tui::layout::{self, wrap};
use crate::tui::model::{ConfirmAction, Effect, Level, MailJob, Mailing, Model, UNTIL_KEY};

/// Tenants named in a question or a summary before "and N more".
const NAMED: usize = 3;
/// The longest relay reply quoted in a summary.
const REPLY: usize = 48;

/// `m` on the table (or `:mail SLUG`): a new link for the tenant, mailed to its address.
pub(super) fn mail_new_link(m: &mut Model, slug: &str, fx: &mut Vec<Effect>) {
    let Some(who) = addressee(m, slug) else {
        return flash(m, Level::Info, no_address(slug));
    };
    let job = MailJob::Issue {
        tenants: vec![who],
        ttl_secs: DEFAULT_LINK_TTL.as_secs(),
    };
    start(m, job, Vec::new(), fx);
}

/// `m` in the link view: the link shown (issued in this console), mailed to its tenant.
pub(super) fn mail_shown_link(m: &mut Model, slug: &str, fx: &mut Vec<Effect>) {
    let (Some(who), Some(link)) = (addressee(m, slug), m.links.get(slug).cloned()) else {
        return flash(m, Level::Info, no_address(slug));
    };
    start(
        m,
        MailJob::Send {
            links: vec![(who, link)],
        },
        Vec::new(),
        fx,
    );
}

/// `M` (or `:mail-all`): ask first, naming how many tenants shown get a new link and which
/// are left out: those without an address, and those that take no link now (as for `m`).
pub(super) fn ask_mail_all(m: &mut Model) {
    let (mut to, mut without, mut closed) = (Vec::new(), Vec::new(), Vec::new());
    for row in m.table.visible.iter().filter_map(|i| m.table.rows.get(*i)) {
        let slug = row.slug.clone();
        if !takes_links(row) {
            closed.push(slug);
        } else if row.mail_to.is_none() {
            without.push(slug);
        } else {
            to.push(slug);
        }
    }
    let mut left_out = Vec::new();
    if !without.is_empty() {
        left_out.push(format!("without an address: {}", named(&without)));
    }
    if !closed.is_empty() {
        left_out.push(format!(
            "taking no link now (offboarded, or awaiting approval): {}",
            named(&closed)
        ));
    }
    if to.is_empty() {
        let text = if closed.is_empty() {
            format!(
                "no tenant shown has an address to mail to ({}): {}",
                named(&without),
                set_address("SLUG")
            )
        } else {
            format!(
                "no tenant shown can be mailed a link: {}",
                left_out.join("; ")
            )
        };
        return flash(m, Level::Info, text);
    }
    let n = to.len();
    let shown = if m.table.filtered() {
        "shown by the filter"
    } else {
        "shown"
    };
    let mut text = format!(
        "Mail a new consent link to each of the {n} tenant{} {shown}? Earlier links stay valid.",
        question::plural(n)
    );
    if !left_out.is_empty() {
        text.push_str(&format!(" Left out, {}.", left_out.join("; ")));
    }
    question::ask(m, text, ConfirmAction::MailAll { to, without });
}

/// Yes to `M`: a new link for each tenant named, from its row as it is now.
pub(super) fn mail_all(
    m: &mut Model,
    to: &[String],
    mut without: Vec<String>,
    fx: &mut Vec<Effect>,
) {
    let mut tenants = Vec::new();
    for slug in to {
        match addressee(m, slug) {
            Some(who) => tenants.push(who),
            None => without.push(slug.clone()),
        }
    }
    if tenants.is_empty() {
        return flash(
            m,
            Level::Info,
            format!("nobody to mail to: {}", named(&without)),
        );
    }
    let job = MailJob::Issue {
        tenants,
        ttl_secs: DEFAULT_LINK_TTL.as_secs(),
    };
    start(m, job, without, fx);
}

/// The tenant as its mail needs it, when it has an address.
fn addressee(m: &Model, slug: &str) -> Option<Addressee> {
    let row = m.row_of(slug).and_then(|i| m.table.rows.get(i))?;
    row.mail_to.as_ref()?;
    Some(Addressee::of_summary(row))
}

fn start(m: &mut Model, job: MailJob, without_address: Vec<String>, fx: &mut Vec<Effect>) {
    let id = m.requests.next_id;
    m.requests.next_id += 1;
    let mailing = Mailing {
        id,
        done: None,
        total: job.len(),
        issuing: matches!(job, MailJob::Issue { .. }),
        without_address,
    };
    flash(m, Level::Info, mailing.progress());
    m.mailing = Some(mailing);
    fx.push(Effect::Mail { id, job });
}

/// The mailing's progress, in the flash line: it replaces only its own earlier word (or
/// none, or one that has faded), never other news.
pub(super) fn progress(m: &mut Model, id: u64, done: usize, total: usize) {
    let Some(mailing) = m.mailing.as_mut().filter(|x| x.id == id) else {
        return;
    };
    let before = mailing.progress();
    mailing.done = Some(done);
    mailing.total = total;
    let text = mailing.progress();
    let now = m.now;
    if m.flash
        .as_ref()
        .is_none_or(|f| f.until <= now || f.text == before)
    {
        flash(m, Level::Info, text);
    }
}

/// While a mailing runs, its progress stays in the flash line once other news has faded.
pub(super) fn keep_progress_shown(m: &mut Model) {
    if m.flash.is_none()
        && let Some(text) = m.mailing.as_ref().map(Mailing::progress)
    {
        flash(m, Level::Info, text);
    }
}

/// The mailing is over: each link issued is kept (its link view shows it, to copy or
/// print when its mail did not go), and a summary says what became of every tenant; when
/// any was not mailed, it stays until the operator presses a key.
pub(super) fn mailed(
    m: &mut Model,
    id: u64,
    reports: Vec<MailReport>,
    not_issued: Vec<(String, String)>,
) {
    let Some(mailing) = m.mailing.take_if(|x| x.id == id) else {
        return;
    };
    for r in &reports {
        m.links.insert(r.slug.clone(), r.link.clone());
    }
    let width = m.size.0;
    let fits = |text: &str| layout::flash_fits(text, width);
    let (level, text) = summary(&reports, &not_issued, &mailing.without_address, &fits);
    flash(m, level, text);
    if level != Level::Ok
        && let Some(f) = m.flash.as_mut()
    {
        f.until = UNTIL_KEY;
    }
}

/// What became of a mailing, counts first and names after, as many names as `fits` lets
/// show (the rest counted, with where to read them): `✖ mailed 38 links, 1 refused, 1
/// without an address. Refused: beta (550 …). Without an address: gamma.` One tenant's
/// link is said in full.
pub(crate) fn summary(
    reports: &[MailReport],
    not_issued: &[(String, String)],
    without: &[String],
    fits: &dyn Fn(&str) -> bool,
) -> (Level, String) {
    if let ([r], [], []) = (reports, not_issued, without) {
        return one(r);
    }
    let mailed = reports.iter().filter(|r| r.accepted()).count();
    let mut refused = Vec::new();
    let mut not_sent = Vec::new();
    for r in reports {
        match &r.sending {
            Sending::Sent(d) if !r.accepted() => {
                refused.push(about(&r.slug, &reply(d)));
            }
            Sending::NotSent(why) => not_sent.push(about(&r.slug, why)),
            Sending::Sent(_) => {}
        }
    }
    let unrecorded: Vec<String> = reports
        .iter()
        .filter_map(|r| r.unrecorded.as_ref().map(|e| about(&r.slug, e)))
        .collect();
    let issued_not: Vec<String> = not_issued
        .iter()
        .map(|(slug, why)| about(slug, why))
        .collect();
    let kinds = [
        (refused, "refused"),
        (not_sent, "not sent"),
        (issued_not, "given no link"),
        (unrecorded, "not recorded on the tenant"),
        (without.to_vec(), "without an address"),
    ];
    let failed: usize = kinds[..4].iter().map(|(items, _)| items.len()).sum();
    let level = if failed > 0 {
        Level::Error
    } else if without.is_empty() {
        Level::Ok
    } else {
        Level::Info
    };
    let mark = match level {
        Level::Error => "✖ ",
        Level::Ok => "✔ ",
        Level::Info => "",
    };
    let mut counts = vec![format!(
        "{mark}mailed {mailed} link{}",
        question::plural(mailed)
    )];
    for (items, what) in &kinds {
        if !items.is_empty() {
            counts.push(format!("{} {what}", items.len()));
        }
    }
    let head = counts.join(", ");
    let named_total: usize = kinds.iter().map(|(items, _)| items.len()).sum();
    if named_total == 0 {
        return (level, head);
    }
    // As many names as show, the last ones counted instead.
    let with_names = |kept: usize| {
        let mut text = head.clone();
        let mut left = kept;
        for (items, what) in &kinds {
            let shown: Vec<&str> = items.iter().take(left).map(String::as_str).collect();
            left -= shown.len();
            if !shown.is_empty() {
                let mut what = what.to_string();
                what[..1].make_ascii_uppercase();
                text.push_str(&format!(". {what}: {}", shown.join(", ")));
            }
        }
        match named_total - kept {
            0 => text.push('.'),
            more => text.push_str(&format!(
                ". {more} more: see each tenant's pane and timeline."
            )),
        }
        text
    };
    let all = with_names(named_total);
    if fits(&all) {
        return (level, all);
    }
    // Short of all, the text grows with each name (its tail counting the rest): the most
    // that show are found by halving, not by writing a text for every count.
    let (mut lo, mut hi) = (0, named_total - 1);
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if fits(&with_names(mid)) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    (level, with_names(lo))
}

/// What is said of one tenant: `slug (why)`, or `why` alone when it names the tenant first.
fn about(slug: &str, why: &str) -> String {
    if why.starts_with(slug) {
        why.to_owned()
    } else {
        format!("{slug} ({why})")
    }
}

/// One tenant's link, said in full.
fn one(r: &MailReport) -> (Level, String) {
    let to = r.to.as_deref().unwrap_or("nobody");
    let (slug, id) = (&r.slug, &r.link.id);
    let unrecorded = r
        .unrecorded
        .as_ref()
        .map(|e| format!(" (not recorded on the tenant: {e})"))
        .unwrap_or_default();
    match &r.sending {
        Sending::Sent(_) if r.accepted() => (
            if unrecorded.is_empty() {
                Level::Ok
            } else {
                Level::Error
            },
            format!("✔ link {id} of {slug} mailed to {to}: the relay accepted it{unrecorded}"),
        ),
        Sending::Sent(d) => (
            Level::Error,
            format!(
                "✖ link {id} of {slug} to {to} not mailed: {}{unrecorded}; its link view has it to copy",
                reply(d)
            ),
        ),
        Sending::NotSent(why) => (
            Level::Error,
            format!("✖ link {id} of {slug} not mailed: {why}; its link view has it to copy"),
        ),
    }
}

/// The relay's answer, short: its code and the start of its reply.
fn reply(d: &Delivery) -> String {
    match &d.outcome {
        MailOutcome::Accepted { .. } => "accepted".into(),
        MailOutcome::Refused { code, reply, .. } => {
            let text = match code {
                Some(c) if !reply.contains(&c.to_string()) => format!("{c} {reply}"),
                _ => reply.clone(),
            };
            wrap::fit(&text, REPLY)
        }
    }
}

/// The first few of `items`, and how many more: `a, b, c and 4 more`.
fn named(items: &[String]) -> String {
    let first = items
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match items.len().saturating_sub(NAMED) {
        0 => first,
        more => format!("{first} and {more} more"),
    }
}
