use super::*;
use crate::domain::model::Integration;

fn link() -> LinkView {
    LinkView {
        slug: "beta".into(),
        url: format!("https://onboard.parcel.example/c/{}", "Xy3".repeat(40)),
        id: "ab12cd34".into(),
        expires_at: "2026-12-08T12:00:00Z".into(),
        ..Default::default()
    }
}

fn who(lang: Option<Lang>) -> Addressee {
    Addressee {
        slug: "beta".into(),
        name: "Beta GmbH".into(),
        to: Some("jane@beta.example".into()),
        integration: Integration::Gmail,
        expected: None,
        lang,
    }
}

fn written(lang: Option<Lang>) -> String {
    let from: Mailbox = "Parcel AI <onboarding@parcel.example>".parse().unwrap();
    let reply: Mailbox = "help@parcel.example".parse().unwrap();
    let own = OwnTemplates::default();
    let s = Sender {
        from: &from,
        reply_to: Some(&reply),
        brand: "Parcel AI",
        templates: &own,
    };
    let m = letter(&s, &who(lang), "jane@beta.example", &link()).unwrap();
    String::from_utf8(m.formatted()).unwrap()
}

#[test]
fn the_mail_carries_the_whole_link_on_one_line_in_the_tenants_language() {
    let en = written(None);
    assert!(
        en.contains("Subject: Parcel AI: connect your Google account for Beta GmbH"),
        "{en}"
    );
    assert!(en.contains("Content-Language: en"), "{en}");
    assert!(en.contains("Content-Transfer-Encoding: 7bit"), "{en}");
    assert!(en.contains("Reply-To: help@parcel.example"), "{en}");
    let url = link().url;
    assert!(
        en.lines().any(|l| l.trim_end() == url),
        "the link is a line of its own, unbroken: {en}"
    );
    let de = written(Some(Lang::from_tag("de").unwrap()));
    assert!(de.contains("Content-Language: de"), "{de}");
    assert!(de.contains("Content-Transfer-Encoding: 8bit"), "{de}");
    assert!(de.lines().any(|l| l.trim_end() == url), "{de}");
    // The subject is encoded (RFC 2047) when it is not ASCII.
    let ja = written(Some(Lang::from_tag("ja").unwrap()));
    assert!(ja.contains("Subject: Parcel =?utf-8?b?"), "{ja}");
}

#[test]
fn a_line_too_long_for_smtp_goes_as_base64_whole() {
    let long = format!("{}\n", "a".repeat(2000));
    let b = body_of(long.clone());
    assert_eq!(b.encoding(), ContentTransferEncoding::Base64);
    let short = body_of("hello\n".into());
    assert_eq!(short.encoding(), ContentTransferEncoding::SevenBit);
}
