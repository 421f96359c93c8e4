use super::*;

#[test]
fn a_reply_is_kept_as_one_line_cut_short() {
    let long = format!("451 4.3.0\r\nTry\tagain {}", "x".repeat(400));
    let MailOutcome::Refused { reply, .. } = (MailOutcome::Refused {
        code: Some(451),
        reply: long,
        permanent: false,
    })
    .cleaned() else {
        panic!("a refusal stays one")
    };
    assert!(reply.starts_with("451 4.3.0 Try again xxx"), "{reply}");
    assert_eq!(reply.chars().count(), MAX_REPLY + 1, "cut with an ellipsis");
    let MailOutcome::Accepted { queue_id } = (MailOutcome::Accepted {
        queue_id: Some("\u{1b}[31m".into()),
    })
    .cleaned() else {
        panic!("accepted stays accepted")
    };
    assert_eq!(queue_id.as_deref(), Some("[31m"), "control characters go");
}

#[test]
fn a_reply_is_made_safe_as_all_outside_text() {
    let MailOutcome::Refused { reply, .. } = (MailOutcome::Refused {
        code: Some(550),
        reply: "550 user \u{202E}moc.evil\u{2028}next".into(),
        permanent: true,
    })
    .cleaned() else {
        panic!("a refusal stays one")
    };
    assert_eq!(reply, "550 user \u{FFFD}moc.evil next");
}
