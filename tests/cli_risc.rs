//! `risc register` and `risc verify` from the command line, against the RISC API's
//! stand-in (which checks the service account's JWT) and a running owner: refused while
//! the receiver is off, then the stream registered to `{public_url}/risc` and Google's
//! verification event waited for until the owner has recorded it.

mod support_proc;

use mcp_onboard::sandbox::risc::RiscTransmitter;
use serde_json::Value;
use support_proc::*;

const KEY: &str = include_str!("fixtures/risc/transmitter-key.pem");
const SERVICE_ACCOUNT: &str = include_str!("fixtures/risc/service-account.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn risc_register_and_verify_run_against_the_api_and_the_owner() {
    let mut w = real_world();
    let sa = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/risc/service-account.json");
    let sa = sa.to_str().unwrap();
    let out = w.run(&["risc", "register", "--service-account", sa]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout);
    assert!(out.stderr.contains("google.risc = true"), "{}", out.stderr);

    let t = RiscTransmitter::start("it.apps.googleusercontent.com", "k1", KEY)
        .await
        .unwrap();
    let json: Value = serde_json::from_str(SERVICE_ACCOUNT).unwrap();
    t.trust_account(
        json["client_email"].as_str().unwrap(),
        json["private_key"].as_str().unwrap(),
    )
    .unwrap();
    for (k, v) in [
        ("GOOGLE_RISC", "true".to_owned()),
        (
            "GOOGLE_RISC_CONFIGURATION_URL",
            t.configuration_url().to_string(),
        ),
        ("GOOGLE_RISC_API_URL", t.api_url().to_string()),
    ] {
        w.env.push((k.into(), v));
    }
    let _serve = w.serve();
    let said = w.ok(&["risc", "register", "--service-account", sa]);
    assert!(said.starts_with("registered: "), "{said}");
    let stream = t.stream().expect("a stream registered");
    let push = format!("{}/risc", w.base_url().trim_end_matches('/'));
    assert_eq!(stream["delivery"]["url"], push.as_str());
    let v = w.json(&[
        "risc",
        "verify",
        "--service-account",
        sa,
        "--timeout",
        "30s",
    ]);
    assert_eq!(v["verified"], true, "{v}");
    assert!(t.refused().is_empty(), "{:?}", t.refused());
}
