//! Mailing consent links from the console: the keys ask the runner to mail (never the
//! engine directly), blocked with a reason when the console has no relay, a tenant has no
//! address or a mailing is under way; `M` asks first, naming how many and who is left
//! out; progress and the summary at the end are said in the flash line.

use rstest::rstest;

use super::*;
use crate::domain::link_mail::MailOutcome;
use crate::mail::{Addressee, Delivery, MailError, MailReport, Sending};
use crate::tui::model::{ConfirmAction, FLASH_MS, MailJob};
use crate::tui::update::mail_summary;

/// A summary with room for every name.
fn summary(
    reports: &[MailReport],
    not_issued: &[(String, String)],
    without: &[String],
) -> (Level, String) {
    mail_summary(reports, not_issued, without, &|_| true)
}

pub(super) const RELAY: &str = "smtps://relay.example.com:465";

/// `n` tenants, the console with a relay; those of `addressed` (by index) have an address.
pub(super) fn mailing(n: usize, addressed: &[usize]) -> Model {
    let mut m = loaded(n);
    m.setup.mail = Ok(RELAY.into());
    let mut rows = m.table.rows.clone();
    for i in addressed {
        rows[*i].mail_to = Some(format!("it@{}.example", rows[*i].slug));
    }
    crate::tui::update::set_rows(&mut m, rows);
    m
}

/// The mailings asked of the runner.
pub(super) fn jobs(fx: &[Effect]) -> Vec<&MailJob> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Mail { job, .. } => Some(job),
            _ => None,
        })
        .collect()
}

pub(super) fn issued_to(job: &MailJob) -> Vec<(&str, Option<&str>, u64)> {
    match job {
        MailJob::Issue { tenants, ttl_secs } => tenants
            .iter()
            .map(|t| (t.slug.as_str(), t.to.as_deref(), *ttl_secs))
            .collect(),
        MailJob::Send { .. } => panic!("a new link was wanted: {job:?}"),
    }
}

pub(super) fn id_of(fx: &[Effect]) -> u64 {
    fx.iter()
        .find_map(|e| match e {
            Effect::Mail { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a mailing")
}

pub(super) fn report(slug: &str, outcome: Option<MailOutcome>) -> MailReport {
    MailReport {
        slug: slug.into(),
        to: Some(format!("it@{slug}.example")),
        link: link_view(slug),
        sending: match outcome {
            Some(outcome) => Sending::Sent(Delivery {
                attempts: 1,
                outcome,
            }),
            None => Sending::NotSent("not tried: the relay could not be reached".into()),
        },
        unrecorded: None,
    }
}

pub(super) fn accepted() -> Option<MailOutcome> {
    Some(MailOutcome::Accepted { queue_id: None })
}

pub(super) fn refused_550() -> Option<MailOutcome> {
    Some(MailOutcome::Refused {
        code: Some(550),
        reply: "5.1.1 mailbox unavailable".into(),
        permanent: true,
    })
}

#[rstest]
#[case::table_m(Mode::Table, 'm')]
#[case::table_all(Mode::Table, 'M')]
#[case::link_view(Mode::Link("t000".into()), 'm')]
fn without_a_relay_the_keys_say_mail_is_not_set_up(#[case] mode: Mode, #[case] c: char) {
    let mut m = loaded(2);
    m.mode = mode;
    let fx = update(&mut m, key(c));
    assert!(jobs(&fx).is_empty() && calls(&fx).is_empty(), "{fx:?}");
    assert!(m.mode.confirm().is_none());
    assert_eq!(
        flashed(&m),
        (Level::Info, MailError::Off.to_string().as_str())
    );
}

#[test]
fn the_palette_is_blocked_the_same_way() {
    let mut m = loaded(2);
    update(&mut m, key(':'));
    typed(&mut m, "mail-all");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert!(jobs(&fx).is_empty() && m.mode.confirm().is_none(), "{fx:?}");
    assert!(
        flashed(&m).1.starts_with("mail is not set up"),
        "{:?}",
        m.flash
    );
}

#[test]
fn m_mails_a_new_link_to_the_selected_tenant_and_says_so_at_once() {
    let mut m = mailing(3, &[0]);
    let fx = update(&mut m, key('m'));
    assert!(
        calls(&fx).is_empty(),
        "the runner issues and mails, off the loop: {fx:?}"
    );
    let j = jobs(&fx);
    assert_eq!(j.len(), 1);
    assert_eq!(
        issued_to(j[0]),
        [("t000", Some("it@t000.example"), 7 * 24 * 3600)]
    );
    assert_eq!(flashed(&m), (Level::Info, "✉ issuing 1 link to mail…"));
    assert_eq!(m.mailing.as_ref().map(|x| x.id), Some(id_of(&fx)));
}

#[test]
fn m_on_a_tenant_without_an_address_names_it_and_how_to_give_it_one() {
    let mut m = mailing(3, &[1]);
    let fx = update(&mut m, key('m'));
    assert!(fx.is_empty(), "nothing issued: {fx:?}");
    assert_eq!(
        flashed(&m),
        (Level::Info, crate::mail::no_address("t000").as_str())
    );
    assert!(m.mailing.is_none());
}

#[test]
fn big_m_asks_first_naming_how_many_and_who_has_no_address() {
    let mut m = mailing(8, &[0, 2, 4]);
    let fx = update(&mut m, key('M'));
    assert!(fx.is_empty(), "asks first: {fx:?}");
    let q = m.mode.confirm().expect("a question");
    assert_eq!(
        q.text,
        "Mail a new consent link to each of the 3 tenants shown? Earlier links stay valid. \
         Left out, without an address: t001, t003, t005 and 2 more."
    );
    let fx = update(&mut m, key('y'));
    let j = jobs(&fx);
    assert_eq!(j.len(), 1, "{fx:?}");
    let to: Vec<&str> = issued_to(j[0]).into_iter().map(|(s, _, _)| s).collect();
    assert_eq!(to, ["t000", "t002", "t004"]);
    assert!(matches!(m.mode, Mode::Table));
    let left_out = &m.mailing.as_ref().expect("under way").without_address;
    assert_eq!(left_out, &["t001", "t003", "t005", "t006", "t007"]);
}

#[test]
fn big_m_mails_only_the_rows_the_filter_shows() {
    let mut m = mailing(12, &[0, 1, 10, 11]);
    update(&mut m, key('/'));
    typed(&mut m, "t01");
    update(&mut m, code(KeyCode::Enter));
    assert_eq!(shown(&m), ["t010", "t011"]);
    update(&mut m, key('M'));
    let q = m.mode.confirm().expect("a question");
    assert_eq!(
        q.action,
        ConfirmAction::MailAll {
            to: vec!["t010".into(), "t011".into()],
            without: Vec::new(),
        }
    );
    assert!(
        q.text.contains("the 2 tenants shown by the filter?"),
        "{}",
        q.text
    );
    assert!(!q.text.contains("Left out"), "{}", q.text);
}

#[test]
fn no_answers_mails_nothing_and_nobody_with_an_address_asks_nothing() {
    let mut m = mailing(3, &[0]);
    update(&mut m, key('M'));
    let fx = update(&mut m, key('n'));
    assert!(fx.is_empty() && m.mailing.is_none(), "{fx:?}");
    let mut m = mailing(3, &[]);
    let fx = update(&mut m, key('M'));
    assert!(fx.is_empty() && m.mode.confirm().is_none(), "{fx:?}");
    let (level, text) = flashed(&m);
    assert_eq!(level, Level::Info);
    assert!(text.starts_with("no tenant shown has an address to mail to (t000, t001, t002)"));
}

#[test]
fn the_palette_mails_a_tenant_by_name_and_every_one_shown_after_the_question() {
    let mut m = mailing(3, &[0, 2]);
    update(&mut m, key(':'));
    typed(&mut m, "mail t002");
    let fx = update(&mut m, code(KeyCode::Enter));
    assert_eq!(m.selected_slug().as_deref(), Some("t002"));
    assert_eq!(issued_to(jobs(&fx)[0])[0].0, "t002");
    let id = id_of(&fx);
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports: Vec::new(),
            not_issued: Vec::new(),
        },
    );
    update(&mut m, key(':'));
    typed(&mut m, "mail-all");
    update(&mut m, code(KeyCode::Enter));
    let q = m.mode.confirm().expect("a question");
    assert!(
        q.text.contains("each of the 2 tenants shown?"),
        "{}",
        q.text
    );
}

#[test]
fn the_link_view_mails_the_link_it_shows() {
    let mut m = link_screen_with_a_link(2);
    m.setup.mail = Ok(RELAY.into());
    let mut rows = m.table.rows.clone();
    rows[0].mail_to = Some("ops@t000.example".into());
    crate::tui::update::set_rows(&mut m, rows);
    let fx = update(&mut m, key('m'));
    let want = MailJob::Send {
        links: vec![(Addressee::of_summary(&m.table.rows[0]), link_view("t000"))],
    };
    assert_eq!(jobs(&fx), [&want]);
    assert_eq!(flashed(&m), (Level::Info, "✉ mailing 0/1…"));
    // With no link issued here, there is nothing to mail.
    let mut m = mailing(2, &[0]);
    m.mode = Mode::Link("t000".into());
    let fx = update(&mut m, key('m'));
    assert!(jobs(&fx).is_empty());
    assert!(
        flashed(&m)
            .1
            .starts_with("no link issued in this console yet")
    );
}

#[test]
fn progress_shows_in_the_flash_line_and_outlives_other_news() {
    let mut m = mailing(3, &[0, 1, 2]);
    update(&mut m, key('M'));
    let fx = update(&mut m, key('y'));
    let id = id_of(&fx);
    update(
        &mut m,
        Msg::MailProgress {
            id,
            done: 2,
            total: 3,
        },
    );
    assert_eq!(flashed(&m), (Level::Info, "✉ mailing 2/3…"));
    // A late word of another mailing changes nothing.
    update(
        &mut m,
        Msg::MailProgress {
            id: id + 100,
            done: 1,
            total: 9,
        },
    );
    assert_eq!(flashed(&m).1, "✉ mailing 2/3…");
    // Another flash comes and fades: the progress comes back.
    update(&mut m, Msg::Copied(Ok("the link".into())));
    let later = m.now + FLASH_MS + 1;
    update(&mut m, Msg::Tick(later));
    assert_eq!(flashed(&m).1, "✉ mailing 2/3…");
    // One mailing at a time.
    let fx = update(&mut m, key('m'));
    assert!(jobs(&fx).is_empty(), "{fx:?}");
    assert_eq!(flashed(&m).1, "✉ mailing 2/3… (one mailing at a time)");
}

#[test]
fn the_end_says_what_became_of_every_tenant_and_keeps_their_links() {
    let mut m = mailing(4, &[0, 1, 2]);
    update(&mut m, key('M'));
    let fx = update(&mut m, key('y'));
    let id = id_of(&fx);
    let reports = vec![
        report("t000", accepted()),
        report("t001", refused_550()),
        report("t002", accepted()),
    ];
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports,
            not_issued: Vec::new(),
        },
    );
    assert_eq!(
        flashed(&m),
        (
            Level::Error,
            "✖ mailed 2 links, 1 refused, 1 without an address. \
             Refused: t001 (550 5.1.1 mailbox unavailable). Without an address: t003."
        )
    );
    assert!(m.mailing.is_none());
    assert!(
        ["t000", "t001", "t002"]
            .iter()
            .all(|s| m.links.contains_key(*s))
    );
    // The same end again is stale: nothing changes.
    m.flash = None;
    update(
        &mut m,
        Msg::Mailed {
            id,
            reports: Vec::new(),
            not_issued: Vec::new(),
        },
    );
    assert!(m.flash.is_none());
}

#[test]
fn summaries_name_each_kind_of_failure_and_one_link_is_said_in_full() {
    let all_good = summary(
        &[report("a", accepted()), report("b", accepted())],
        &[],
        &[],
    );
    assert_eq!(all_good, (Level::Ok, "✔ mailed 2 links".into()));
    let (level, text) = summary(
        &[report("a", None)],
        &[("b".into(), "offboarded tenants take no links".into())],
        &[],
    );
    assert_eq!(level, Level::Error);
    assert_eq!(
        text,
        "✖ mailed 0 links, 1 not sent, 1 given no link. \
         Not sent: a (not tried: the relay could not be reached). \
         Given no link: b (offboarded tenants take no links)."
    );
    let (level, text) = summary(&[report("a", accepted())], &[], &[]);
    assert_eq!(level, Level::Ok);
    assert_eq!(
        text,
        "✔ link ab12cd34 of a mailed to it@a.example: the relay accepted it"
    );
    let (level, text) = summary(&[report("a", refused_550())], &[], &[]);
    assert_eq!(level, Level::Error);
    assert!(
        text.contains("not mailed: 550 5.1.1 mailbox unavailable"),
        "{text}"
    );
    let only_left_out = summary(
        &[report("a", accepted()), report("b", accepted())],
        &[],
        &["c".into()],
    );
    assert_eq!(
        only_left_out,
        (
            Level::Info,
            "mailed 2 links, 1 without an address. Without an address: c.".into()
        )
    );
}
