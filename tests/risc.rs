//! Google's security events (RISC) against a transmitter stand-in that publishes its own
//! configuration and keys on loopback and signs its tokens with its own RSA key: each
//! event acts as specified, per tenant and integration, on sled and on PostgreSQL; bad
//! tokens are refused (signature, issuer, audience, no jti); an unknown key id fetches the
//! keys again, but a flood of them does not hammer the transmitter nor starve the
//! customers' pages; a duplicate `jti` changes nothing.

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::pg::Backend;
use common::{CLIENT_ID, Harness, harness_with_env_on};
use mcp_onboard::domain::model::{EventKind, Integration, Tenant, TenantStatus};
use mcp_onboard::domain::risc::RiscKind;
use mcp_onboard::domain::token_facts::FailureCause;
use mcp_onboard::engine::{Command, Reply};
use mcp_onboard::sandbox::risc::RiscTransmitter;
use rstest::rstest;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use sha2::{Digest, Sha512};

const KEY: &str = include_str!("fixtures/risc/transmitter-key.pem");
const KEY_2: &str = include_str!("fixtures/risc/transmitter-key-2.pem");

async fn rig(backend: Backend) -> Option<(Harness, RiscTransmitter)> {
    let t = RiscTransmitter::start(CLIENT_ID, "k1", KEY).await.unwrap();
    let url = t.configuration_url().to_string();
    let env = [
        ("GOOGLE_RISC", "true"),
        ("GOOGLE_RISC_CONFIGURATION_URL", url.as_str()),
        ("GOOGLE_RISC_KEYS_MIN_REFRESH", "1s"),
    ];
    let h = harness_with_env_on(&env, backend).await?;
    h.engine.store().enable_outbox();
    Some((h, t))
}

/// Push a token to `/risc`: the answer's status.
async fn push(h: &Harness, token: &str) -> u16 {
    h.http
        .post(h.base.join("risc").unwrap())
        .header("content-type", "application/secevent+jwt")
        .body(token.to_owned())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn stored(h: &Harness, slug: &str) -> Tenant {
    let s = slug.to_owned();
    h.engine
        .store()
        .read(move |st| st.tenant(&s))
        .await
        .unwrap()
        .unwrap()
}

fn account(h: &Tenant) -> Value {
    json!({"subject_type": "iss-sub", "iss": "https://accounts.google.com/",
           "sub": h.google.as_ref().unwrap().sub})
}

fn by_prefix(token: &str) -> Value {
    json!({"subject_type": "oauth_token", "token_type": "refresh_token",
           "token_identifier_alg": "prefix", "token": &token[..16]})
}

fn by_hash(token: &str) -> Value {
    let hash = Sha512::digest(Sha512::digest(token.as_bytes()));
    json!({"subject_type": "oauth_token", "token_type": "refresh_token",
           "token_identifier_alg": "hash_base64_sha512_sha512", "token": STANDARD.encode(hash)})
}

/// `acme` holds Gmail and Drive consented by one account; `beta` Gmail by another.
async fn tenants(h: &Harness) {
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.example").await.status, 200);
    h.run(Command::AddIntegration {
        slug: "acme".into(),
        integration: Integration::GoogleDrive,
    })
    .await;
    let Reply::Link(link) = h
        .run(Command::IssueLink {
            slug: "acme".into(),
            ttl_secs: 3600,
            replace: false,
            integration: Some(Integration::GoogleDrive),
        })
        .await
    else {
        panic!("a link");
    };
    assert_eq!(
        h.onboard_through(&link, "ann@acme.example").await.status,
        200
    );
    h.add("beta", None, None).await;
    assert_eq!(h.onboard("beta", "bob@beta.example").await.status, 200);
}

fn security_lines(t: &[mcp_onboard::engine::api::EventView]) -> usize {
    t.iter()
        .filter(|e| e.kind == EventKind::SecurityEvent)
        .count()
}

#[rstest]
#[case::sled(Backend::Sled)]
#[case::postgres(Backend::Postgres)]
#[tokio::test]
async fn each_event_acts_on_the_tenants_and_integrations_it_names(#[case] backend: Backend) {
    let Some((h, t)) = rig(backend).await else {
        return;
    };
    tenants(&h).await;
    let drive = h.secret("acme", "google-drive/refresh_token").unwrap();
    let gmail = h.token("acme").unwrap();
    // The token's hashed identifiers are kept, never the token.
    let acme = stored(&h, "acme").await;
    let facts = acme.token_facts_of(Integration::GoogleDrive).unwrap();
    assert!(
        !serde_json::to_string(&acme)
            .unwrap()
            .contains(drive.expose_secret())
    );
    assert_eq!(facts.tokens_issued, Some(2));

    // One token revoked, by its hash: Drive alone needs a new consent.
    let ev = t
        .event("k1", RiscKind::TokenRevoked, by_hash(drive.expose_secret()))
        .unwrap();
    assert_eq!(push(&h, &ev).await, 202);
    let acme = stored(&h, "acme").await;
    assert_eq!(
        acme.status_of(Integration::GoogleDrive),
        Some(TenantStatus::NeedsReconsent)
    );
    assert_ne!(
        acme.status_of(Integration::Gmail),
        Some(TenantStatus::NeedsReconsent)
    );
    assert_eq!(
        acme.token_facts_of(Integration::GoogleDrive).unwrap().cause,
        Some(FailureCause::RevokedByCustomer)
    );
    // The same token again (Google retries): accepted, nothing done twice.
    let before = security_lines(&h.show("acme").await.events);
    assert_eq!(push(&h, &ev).await, 202);
    assert_eq!(security_lines(&h.show("acme").await.events), before);

    // The other by its first 16 characters.
    let ev = t
        .event(
            "k1",
            RiscKind::TokenRevoked,
            by_prefix(gmail.expose_secret()),
        )
        .unwrap();
    assert_eq!(push(&h, &ev).await, 202);
    assert_eq!(
        stored(&h, "acme").await.status,
        TenantStatus::NeedsReconsent
    );

    // Every token of beta's account: beta needs a new consent, with a webhook.
    let beta = stored(&h, "beta").await;
    let ev = t
        .event("k1", RiscKind::TokensRevoked, account(&beta))
        .unwrap();
    assert_eq!(push(&h, &ev).await, 202);
    let beta = stored(&h, "beta").await;
    assert_eq!(beta.status, TenantStatus::NeedsReconsent);
    let outbox = h
        .engine
        .store()
        .read(|s| s.outbox_after(None, 1000))
        .await
        .unwrap();
    assert!(
        outbox
            .iter()
            .any(|(_, e)| e.event_type == "tenant.needs_reconsent" && e.data["slug"] == "beta"),
        "{outbox:?}"
    );

    // Account disabled, then enabled: a hold, then none; a credential change recorded.
    h.add("gamma", None, None).await;
    assert_eq!(h.onboard("gamma", "gil@gamma.example").await.status, 200);
    let gamma = stored(&h, "gamma").await;
    let ev = |kind, subject| t.event("k1", kind, subject).unwrap();
    assert_eq!(
        push(&h, &ev(RiscKind::AccountDisabled, account(&gamma))).await,
        202
    );
    let g = stored(&h, "gamma").await;
    assert!(g.token_facts.as_ref().unwrap().hold.is_some());
    assert_ne!(g.status, TenantStatus::NeedsReconsent, "tokens are kept");
    assert_eq!(
        push(&h, &ev(RiscKind::AccountEnabled, account(&gamma))).await,
        202
    );
    assert!(
        stored(&h, "gamma")
            .await
            .token_facts
            .unwrap()
            .hold
            .is_none()
    );
    let change = ev(RiscKind::AccountCredentialChangeRequired, account(&gamma));
    assert_eq!(push(&h, &change).await, 202);
    assert!(
        stored(&h, "gamma")
            .await
            .token_facts
            .unwrap()
            .credential_change
            .is_some()
    );
    assert!(security_lines(&h.show("gamma").await.events) >= 3);

    // An event for an account that no longer holds a grant: recorded, not acted on.
    let before = stored(&h, "beta").await;
    let again = ev(RiscKind::AccountDisabled, account(&before));
    assert_eq!(push(&h, &again).await, 202);
    let after = stored(&h, "beta").await;
    assert_eq!(after.status, TenantStatus::NeedsReconsent);
    assert!(after.token_facts.unwrap().hold.is_none());
    let shown = h.show("beta").await;
    assert!(
        shown
            .events
            .iter()
            .any(|e| e.detail.contains("not acted on")),
        "{:?}",
        shown.events
    );
    // And for nobody we know: accepted all the same.
    let nobody =
        json!({"subject_type": "iss-sub", "iss": "https://accounts.google.com/", "sub": "0"});
    assert_eq!(push(&h, &ev(RiscKind::SessionsRevoked, nobody)).await, 202);
    // Every event is on the audit chain: those about a tenant with it, the others alone.
    let audit = h
        .engine
        .store()
        .read(|r| r.audit_records(None, None))
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|r| r.kind == "security_event" && r.what == "sessions-revoked"),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|r| r.tenant.as_deref() == Some("gamma") && r.detail.contains("account-disabled")),
        "{audit:?}"
    );
}

#[tokio::test]
async fn invalid_tokens_are_refused_and_change_nothing() {
    let Some((h, t)) = rig(Backend::Sled).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.example").await.status, 200);
    let acme = stored(&h, "acme").await;
    let good = |iss: &str, aud: &str, jti: Option<&str>| {
        let mut claims = json!({
            "iss": iss, "aud": aud, "iat": 1,
            "events": {RiscKind::TokensRevoked.uri(): {"subject": account(&acme)}},
        });
        if let Some(j) = jti {
            claims["jti"] = json!(j);
        }
        claims
    };
    let issuer = t.issuer();
    let cases = [
        (
            "signed by another key",
            t.sign_with("k1", KEY_2, &good(&issuer, CLIENT_ID, Some("a")))
                .unwrap(),
        ),
        (
            "another issuer",
            t.sign_with(
                "k1",
                KEY,
                &good("https://evil.example/", CLIENT_ID, Some("b")),
            )
            .unwrap(),
        ),
        (
            "issuer without its slash",
            t.sign_with(
                "k1",
                KEY,
                &good(issuer.trim_end_matches('/'), CLIENT_ID, Some("c")),
            )
            .unwrap(),
        ),
        (
            "another audience",
            t.sign_with("k1", KEY, &good(&issuer, "other.apps", Some("d")))
                .unwrap(),
        ),
        (
            "no jti",
            t.sign_with("k1", KEY, &good(&issuer, CLIENT_ID, None))
                .unwrap(),
        ),
        ("not a JWT", "hello".to_owned()),
        ("no issuer", {
            let mut c = good(&issuer, CLIENT_ID, Some("f"));
            c.as_object_mut().unwrap().remove("iss");
            t.sign_with("k1", KEY, &c).unwrap()
        }),
        ("no audience", {
            let mut c = good(&issuer, CLIENT_ID, Some("g"));
            c.as_object_mut().unwrap().remove("aud");
            t.sign_with("k1", KEY, &c).unwrap()
        }),
    ];
    for (what, token) in cases {
        assert_eq!(push(&h, &token).await, 400, "{what}");
    }
    assert_eq!(stored(&h, "acme").await.status, TenantStatus::Consented);
    // The same claims, rightly signed, are taken: no `exp`, no `typ` needed.
    let ok = t
        .sign_with("k1", KEY, &good(&issuer, CLIENT_ID, Some("e")))
        .unwrap();
    assert_eq!(push(&h, &ok).await, 202);
    assert_eq!(
        stored(&h, "acme").await.status,
        TenantStatus::NeedsReconsent
    );
}

#[tokio::test]
async fn an_unknown_key_id_fetches_the_keys_again_but_a_flood_of_them_does_not() {
    let Some((h, t)) = rig(Backend::Sled).await else {
        return;
    };
    h.add("acme", None, None).await;
    assert_eq!(h.onboard("acme", "ann@acme.example").await.status, 200);
    let acme = stored(&h, "acme").await;
    let subject = account(&acme);
    let first = t
        .event("k1", RiscKind::SessionsRevoked, subject.clone())
        .unwrap();
    assert_eq!(push(&h, &first).await, 202);
    assert_eq!(t.jwks_fetches(), 1);
    // A flood of tokens naming keys nobody published, while a customer opens a page.
    let started = Instant::now();
    let flood: Vec<_> = (0..200)
        .map(|i| {
            let token = t
                .sign_with(&format!("made-up-{i}"), KEY_2, &json!({"jti": i}))
                .unwrap();
            let (http, url) = (h.http.clone(), h.base.join("risc").unwrap());
            tokio::spawn(async move {
                http.post(url)
                    .body(token)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let page = h.get(h.base.join("healthz").unwrap().as_str()).await;
    assert_eq!(page.status, 200);
    let page_took = started.elapsed();
    for f in flood {
        // Refused (400 once the keys were fetched again and still lack it; 503 while they
        // were fetched too recently to fetch again), or its connection shed by the
        // listener's limits per address (all come from one here): never taken.
        if let Ok(status) = f.await.unwrap() {
            assert!(status == 400 || status == 503, "{status}");
        }
    }
    assert!(
        page_took < Duration::from_secs(5),
        "the page took {page_took:?}"
    );
    let during = t.jwks_fetches();
    let lasted = started.elapsed().as_secs() + 2;
    assert!(during <= 1 + lasted, "{during} fetches in {lasted}s");
    // A key published later is found once the least time between fetches has passed.
    t.add_key("k2", KEY_2).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let token = t
            .event("k2", RiscKind::SessionsRevoked, subject.clone())
            .unwrap();
        if push(&h, &token).await == 202 {
            break;
        }
        assert!(Instant::now() < deadline, "the new key was never fetched");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const SERVICE_ACCOUNT: &str = include_str!("fixtures/risc/service-account.json");

#[tokio::test]
async fn register_and_verify_call_the_risc_api_as_the_service_account() {
    use mcp_onboard::google::risc_api::{ServiceAccount, update_stream, verify_stream};
    let Some((h, t)) = rig(Backend::Sled).await else {
        return;
    };
    let sa = ServiceAccount::from_json(SERVICE_ACCOUNT).unwrap();
    let json: Value = serde_json::from_str(SERVICE_ACCOUNT).unwrap();
    let api = t.api_url();
    // An account the API does not trust is refused, and so is a push URL in clear.
    let err = update_stream(&api, &sa, &h.base.join("risc").unwrap())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("401"), "{err:#}");
    let clear = url::Url::parse("http://onboard.example.com/risc").unwrap();
    let err = update_stream(&api, &sa, &clear).await.unwrap_err();
    assert!(err.to_string().contains("https"), "{err:#}");
    t.trust_account(
        json["client_email"].as_str().unwrap(),
        json["private_key"].as_str().unwrap(),
    )
    .unwrap();
    let push = h.base.join("risc").unwrap();
    update_stream(&api, &sa, &push).await.unwrap();
    let stream = t.stream().unwrap();
    assert_eq!(stream["delivery"]["url"], push.as_str());
    assert_eq!(
        stream["delivery"]["delivery_method"],
        "https://schemas.openid.net/secevent/risc/delivery-method/push"
    );
    let asked: Vec<&str> = stream["events_requested"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for k in RiscKind::ALL {
        assert!(asked.contains(&k.uri().as_str()), "{k} asked for");
    }
    // Verify: the event comes back to the receiver, which records it.
    let seen = |state: &'static str| {
        let engine = h.engine.clone();
        async move {
            let reply = engine
                .run(
                    common::OWNER,
                    Command::RiscVerified {
                        state: state.into(),
                    },
                )
                .await
                .unwrap();
            matches!(reply, Reply::RiscVerified { seen: true })
        }
    };
    assert!(!seen("s-1").await);
    verify_stream(&api, &sa, "s-1").await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen("s-1").await {
        assert!(
            Instant::now() < deadline,
            "the verification event never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!seen("s-2").await, "only the state asked for");
}
