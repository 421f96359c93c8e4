//! The demo's sample tenant in a real terminal (the binary inside tmux): it goes into a
//! database that holds no tenant, not only into a new one, and its link is in its link
//! view.
//!
//! Needs `tmux` (the CI job installs it).

mod support_proc;
mod support_tty;

use support_proc::*;
use support_tty::*;

/// The first console could not listen (its port taken) after making the database: the
/// next one, with the port free, adds the sample all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_whose_first_console_could_not_listen_gets_its_sample_from_the_next() {
    if !tmux_here() {
        return;
    }
    let w = World::new();
    let base = w.base_url();
    let taken = std::net::TcpListener::bind(("127.0.0.1", w.port)).expect("the demo's port");
    let first = Tty::start(&w, w.command(&[]), "taken", 120, 40);
    assert_ne!(first.exit_code(), 0, "stderr: {}", first.stderr());
    assert!(
        first.stderr().contains("cannot listen"),
        "{}",
        first.stderr()
    );
    assert!(
        w.data_dir().join("db").exists(),
        "the first console made the database"
    );
    drop(taken);

    let tty = Tty::start(&w, w.command(&[]), "next", 120, 40);
    tty.wait("the sample, its Gmail consented", |s| {
        row(s, "sample").is_some_and(|r| r.contains("gmail ◐") || r.contains("gmail ●"))
    });
    // Its link, issued by this console, is in its link view.
    tty.keys(&["Enter"]);
    tty.wait("the sample's link in its link view", |s| {
        s.contains("Consent link for Sample Ltd")
            && s.contains(&format!("{base}/c/"))
            && !s.contains("No link issued")
    });
    tty.keys(&["Escape"]);
    tty.wait("the table again", |s| {
        !s.contains("Consent link for Sample Ltd") && row(s, "sample").is_some()
    });
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}

/// The sample's Gmail as `tenant show --json` gives it.
fn gmail(t: &serde_json::Value) -> &serde_json::Value {
    &t["integrations"][0]
}

/// Quit while the sample's Gmail deploys, and start again: the demo's Blaxel stand-in (in
/// memory) forgot its connection and server, and the provisioner makes them again rather
/// than stopping the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_quit_while_the_samples_gmail_deploys_deploys_it_once_started_again() {
    if !tmux_here() {
        return;
    }
    let w = World::new();
    let tty = Tty::start(&w, w.command(&[]), "first", 120, 40);
    // (The console's owner answers the CLI once its table is up.)
    tty.wait("the sample", |s| row(s, "sample").is_some());
    tenant_when(&w, "sample", |t| t["provisioning"]["step"] == "deploy");
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());

    let tty = Tty::start(&w, w.command(&[]), "again", 120, 40);
    tty.wait("the sample", |s| row(s, "sample").is_some());
    let t = tenant_when(&w, "sample", |t| {
        ["deployed", "failed"].contains(&gmail(t)["status"].as_str().unwrap_or_default())
    });
    assert_eq!(gmail(&t)["status"], "deployed", "{t:#}");
    tty.wait("the sample's Gmail deployed", |s| {
        row(s, "sample").is_some_and(|r| r.contains("gmail ● drive ✉"))
    });
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}
