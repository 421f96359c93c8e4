//! Pure lifecycle tests: no IO, no async.

use proptest::prelude::*;
use rstest::rstest;

use super::lifecycle::{
    InvalidInput, NewTenant, Transition, TransitionError, apply, new_tenant, validate_slug,
};
use super::model::{EventKind, ExpectedAccount, FailureKind, GoogleIdentity, Tenant, TenantStatus};

fn tenant() -> Tenant {
    let input = NewTenant {
        slug: "acme".into(),
        display_name: Some("Acme Corp".into()),
        ..Default::default()
    };
    new_tenant(&input, 1_000).unwrap().0
}

fn identity() -> GoogleIdentity {
    GoogleIdentity {
        sub: "42".into(),
        email: Some("ann@acme.com".into()),
        email_verified: true,
        hd: Some("acme.com".into()),
    }
}

fn consented() -> Transition {
    Transition::Consented {
        identity: identity(),
        granted_scopes: vec!["openid".into()],
    }
}

fn failed() -> Transition {
    Transition::ConsentFailed {
        kind: FailureKind::ConsentDenied,
        reason: "declined".into(),
    }
}

#[rstest]
#[case("acme", true)]
#[case("a", true)]
#[case("0-team", true)]
#[case("a234567890123456789012345678901", true)]
#[case("a2345678901234567890123456789012", false)]
#[case("", false)]
#[case("-acme", false)]
#[case("acme-", false)]
#[case("a-", false)]
#[case("a-b", true)]
#[case("Acme", false)]
#[case("ac_me", false)]
#[case("acmé", false)]
fn slug_rules(#[case] slug: &str, #[case] ok: bool) {
    assert_eq!(validate_slug(slug).is_ok(), ok, "{slug}");
}

#[test]
fn new_tenant_normalises_and_validates_expected_account() {
    let input = NewTenant {
        slug: "acme".into(),
        expected_email: Some(" Ann@ACME.com ".into()),
        ..Default::default()
    };
    let (t, ev) = new_tenant(&input, 5).unwrap();
    assert_eq!(
        t.expected,
        Some(ExpectedAccount::Email("ann@acme.com".into()))
    );
    assert_eq!(t.display_name, "acme");
    assert_eq!(t.status, TenantStatus::Created);
    assert_eq!(ev.kind, EventKind::TenantAdded);
    assert!(t.scopes.iter().any(|s| s.ends_with("gmail.send")));
    assert!(t.scopes.iter().any(|s| s == "openid"));

    let bad = NewTenant {
        slug: "acme".into(),
        expected_email: Some("not-an-email".into()),
        ..Default::default()
    };
    assert!(matches!(new_tenant(&bad, 5), Err(InvalidInput::Email(_))));
    let bad = NewTenant {
        slug: "acme".into(),
        expected_domain: Some("nodot".into()),
        ..Default::default()
    };
    assert!(matches!(new_tenant(&bad, 5), Err(InvalidInput::Domain(_))));
    let dom = NewTenant {
        slug: "acme".into(),
        expected_domain: Some("@Acme.com".into()),
        ..Default::default()
    };
    assert_eq!(
        new_tenant(&dom, 5).unwrap().0.expected,
        Some(ExpectedAccount::Domain("acme.com".into()))
    );
    let ctl = NewTenant {
        slug: "acme".into(),
        display_name: Some("a\u{7}b".into()),
        ..Default::default()
    };
    assert!(matches!(
        new_tenant(&ctl, 5),
        Err(InvalidInput::Text("display name", _))
    ));
}

#[test]
fn happy_path_moves_through_the_states_with_one_event_each() {
    let t = tenant();
    let (t, e1) = apply(
        &t,
        &Transition::LinkIssued {
            link_id: "ab12".into(),
            expires_at: 99_000,
            only: None,
        },
        2_000,
    )
    .unwrap();
    assert_eq!(t.status, TenantStatus::LinkIssued);
    assert!(e1.detail.contains("ab12"));
    let (t, _) = apply(
        &t,
        &Transition::LinkOpened {
            link_id: "ab12".into(),
            only: None,
        },
        3_000,
    )
    .unwrap();
    assert_eq!(t.status, TenantStatus::LinkOpened);
    let (t, e) = apply(
        &t,
        &Transition::ConsentStarted {
            link_id: "ab12".into(),
        },
        3_500,
    )
    .unwrap();
    assert_eq!(
        (t.status, e.kind),
        (TenantStatus::LinkOpened, EventKind::ConsentStarted)
    );
    let (t, e) = apply(&t, &consented(), 4_000).unwrap();
    assert_eq!(t.status, TenantStatus::Consented);
    assert_eq!(t.google, Some(identity()));
    assert_eq!(t.consented_at, Some(4_000));
    assert_eq!(t.updated_at, 4_000);
    assert!(e.detail.contains("ann@acme.com"));
}

#[test]
fn failure_records_kind_and_reason_and_a_later_consent_clears_them() {
    let (t, _) = apply(&tenant(), &failed(), 2_000).unwrap();
    assert_eq!(t.status, TenantStatus::Failed);
    assert_eq!(t.failure, Some(FailureKind::ConsentDenied));
    assert_eq!(t.reason.as_deref(), Some("declined"));
    let (t, _) = apply(
        &t,
        &Transition::LinkOpened {
            link_id: "x".into(),
            only: None,
        },
        3_000,
    )
    .unwrap();
    assert_eq!(
        (t.status, t.failure, t.reason.clone()),
        (TenantStatus::LinkOpened, None, None)
    );
    let (t, _) = apply(&t, &consented(), 4_000).unwrap();
    assert_eq!(t.status, TenantStatus::Consented);
}

#[test]
fn a_bad_callback_never_undoes_an_existing_consent() {
    let (t, _) = apply(&tenant(), &consented(), 2_000).unwrap();
    let (t2, e) = apply(&t, &failed(), 3_000).unwrap();
    assert_eq!(t2.status, TenantStatus::Consented);
    assert_eq!(t2.reason, None);
    assert!(e.detail.contains("earlier consent kept"));
    let (t3, _) = apply(
        &t2,
        &Transition::LinkOpened {
            link_id: "x".into(),
            only: None,
        },
        4_000,
    )
    .unwrap();
    assert_eq!(t3.status, TenantStatus::Consented);
    let (t4, e) = apply(
        &t3,
        &Transition::CallbackRefused {
            reason: "replay".into(),
        },
        5_000,
    )
    .unwrap();
    assert_eq!(
        (t4.status, e.kind),
        (TenantStatus::Consented, EventKind::CallbackRefused)
    );
}

#[test]
fn offboarded_accepts_nothing() {
    let mut t = tenant();
    t.status = TenantStatus::Offboarded;
    assert_eq!(
        apply(&t, &consented(), 1).unwrap_err(),
        TransitionError::Offboarded("acme".into())
    );
}

fn any_transition() -> impl Strategy<Value = Transition> {
    prop_oneof![
        Just(Transition::LinkIssued {
            link_id: "l".into(),
            expires_at: 10,
            only: None,
        }),
        Just(Transition::LinkOpened {
            link_id: "l".into(),
            only: None,
        }),
        Just(Transition::ConsentStarted {
            link_id: "l".into()
        }),
        Just(consented()),
        Just(failed()),
        Just(Transition::CallbackRefused { reason: "r".into() }),
    ]
}

proptest! {
    /// Whatever happens: a reason exists exactly when failed, an identity exists whenever
    /// consent is held, and once consent is held it stays held.
    #[test]
    fn invariants_hold_for_any_sequence(seq in proptest::collection::vec(any_transition(), 0..30)) {
        let mut t = tenant();
        let mut ever_consented = false;
        for (i, tr) in seq.iter().enumerate() {
            let (next, ev) = apply(&t, tr, 2_000 + i as i64).unwrap();
            prop_assert_eq!(&ev.tenant, "acme");
            prop_assert_eq!(next.reason.is_some(), next.status == TenantStatus::Failed);
            if next.status.has_consent() { prop_assert!(next.google.is_some()); }
            ever_consented |= next.status.has_consent();
            if ever_consented { prop_assert!(next.status.has_consent()); }
            t = next;
        }
    }
}

#[test]
fn deploy_wait_accumulates_over_polls_and_resets_on_the_next_step() {
    use super::lifecycle::deploy_polled;
    let (t, _) = apply(&tenant(), &consented(), 10).unwrap();
    let (t, _) = apply(&t, &Transition::ConnectionReady { generation: 1 }, 20).unwrap();
    let (t, _) = apply(
        &t,
        &Transition::ServerCreated {
            generation: 1,
            blaxel_status: Some("DEPLOYING".into()),
        },
        30,
    )
    .unwrap();
    let (t, e) = deploy_polled(&t, 1, "DEPLOYING", 500, 1_000, 530).unwrap();
    assert!(e.is_none(), "an unchanged status records no event");
    let (t, e) = deploy_polled(&t, 1, "BUILDING", 700, 2_000, 1_230).unwrap();
    assert_eq!(e.unwrap().kind, EventKind::DeployStatus);
    let job = t.provision.clone().unwrap();
    assert_eq!(
        (job.waited_ms, job.attempts, job.next_attempt_at),
        (1_200, 2, 2_000)
    );
    assert!(
        deploy_polled(&t, 2, "DEPLOYING", 1, 1, 1).is_err(),
        "another generation is stale"
    );
    let (t, _) = apply(
        &t,
        &Transition::Deployed {
            generation: 1,
            mcp_url: None,
            blaxel_status: "DEPLOYED".into(),
        },
        1_300,
    )
    .unwrap();
    let job = t.provision.unwrap();
    assert_eq!(
        (job.step, job.waited_ms),
        (super::model::ProvisionStep::Done, 0)
    );
    assert_eq!(t.status, TenantStatus::Deployed);
}

mod after_onboarding {
    use crate::domain::health::Health;
    use crate::domain::lifecycle::{NewTenant, Transition, apply, new_tenant};
    use crate::domain::model::{GoogleIdentity, ProvisionStep, TenantStatus};

    fn consented() -> crate::domain::model::Tenant {
        let (t, _) = new_tenant(
            &NewTenant {
                slug: "acme".into(),
                ..Default::default()
            },
            1,
        )
        .unwrap();
        let (t, _) = apply(
            &t,
            &Transition::Consented {
                identity: GoogleIdentity {
                    sub: "1".into(),
                    email: Some("it@acme.example".into()),
                    email_verified: true,
                    hd: None,
                },
                granted_scopes: t.scopes.clone(),
            },
            2,
        )
        .unwrap();
        t
    }

    #[test]
    fn a_provisioning_result_does_not_undo_needs_reconsent_and_retry_says_why() {
        let t = consented();
        let generation = t.provision.as_ref().unwrap().generation;
        let (t, _) = apply(
            &t,
            &Transition::HealthChecked {
                health: Health::NeedsReconsent,
                reason: "400 invalid_grant".into(),
            },
            3,
        )
        .unwrap();
        let (t, _) = apply(&t, &Transition::ConnectionReady { generation }, 4).unwrap();
        assert_eq!(t.status, TenantStatus::NeedsReconsent);
        assert_eq!(t.reason.as_deref(), Some("400 invalid_grant"));
        assert_eq!(
            t.provision.as_ref().unwrap().step,
            ProvisionStep::Function,
            "the job itself moved on"
        );
        let err = apply(&t, &Transition::RetryRequested, 5).unwrap_err();
        assert!(err.to_string().contains("new consent link"), "{err}");
    }

    #[test]
    fn a_pending_consent_keeps_the_status_while_the_job_moves_and_reject_restores_it() {
        let t = consented();
        let generation = t.provision.as_ref().unwrap().generation;
        let (t, _) = apply(
            &t,
            &Transition::AwaitApproval {
                identity: GoogleIdentity {
                    sub: "2".into(),
                    email: Some("bob@gmail.com".into()),
                    email_verified: true,
                    hd: None,
                },
                granted_scopes: vec![],
            },
            3,
        )
        .unwrap();
        assert_eq!(t.status, TenantStatus::AwaitingApproval);
        let (t, _) = apply(&t, &Transition::ConnectionReady { generation }, 4).unwrap();
        assert_eq!(t.status, TenantStatus::AwaitingApproval);
        assert_eq!(
            t.pending.as_ref().unwrap().underlying,
            TenantStatus::ConnectionReady
        );
        let (rejected, _) = apply(&t, &Transition::Reject, 5).unwrap();
        assert_eq!(rejected.status, TenantStatus::ConnectionReady);
        assert!(rejected.pending.is_none());
        assert_eq!(rejected.google.unwrap().sub, "1");
        let (approved, e) = apply(&t, &Transition::Approve, 6).unwrap();
        assert_eq!(approved.status, TenantStatus::Consented);
        assert_eq!(approved.google.as_ref().unwrap().sub, "2");
        assert_eq!(approved.tokens_issued, 1, "another account: counted afresh");
        assert!(e.detail.contains("(was it@acme.example)"), "{}", e.detail);
        assert!(apply(&approved, &Transition::Approve, 7).is_err());
    }
}
