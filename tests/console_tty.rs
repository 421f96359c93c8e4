//! The console in a real terminal: the real binary runs inside tmux, keys go in with
//! `send-keys`, and what the operator sees comes back with `capture-pane`. A customer consents
//! over HTTP meanwhile, and the row on screen has to follow.
//!
//! Needs `tmux` (the CI job installs it).

mod support_proc;
mod support_tty;

use std::path::PathBuf;

use support_proc::*;
use support_tty::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_console_adds_a_tenant_by_keys_and_its_row_follows_the_customer_to_deployed() {
    if !tmux_here() {
        return;
    }
    let w = World::new();
    let base = w.base_url();
    let tty = Tty::start(&w, w.command(&[]), "owner", 120, 40);
    // Every wait waits for all it then relies on, on one screen read. The demo's new
    // database starts with its sample tenant: its Gmail consented by the demo's customer
    // and deployed, its Drive waiting for its own consent, each in the row and in a block.
    tty.wait(
        "the owner's sample tenant, Gmail deployed and Drive waiting, with the listener's URL in the header",
        |s| {
            row(s, "sample").is_some_and(|r| r.contains("gmail ● drive ✉"))
                && s.contains("gmail  ● deployed")
                && s.contains("google-drive  ✉")
                && s.contains("owner")
                && s.contains(&format!("{base}/"))
        },
    );
    tty.wait_styled("Gmail's mark green on the row of a tenant waiting", |st| {
        has_fg(sgr_before(st, "sample", "●"), 2)
    });

    // Add a tenant from the form; a link comes with it and its view opens.
    tty.keys(&["a"]);
    tty.wait("the add form", |s| s.contains("Add a tenant"));
    tty.text("acme");
    tty.keys(&["Tab"]);
    tty.text("Acme Ltd");
    tty.keys(&["Enter"]);
    let s = tty.wait("the link view with its link and a QR code", |s| {
        s.contains("Consent link for Acme Ltd")
            && s.contains(&format!("{base}/c/"))
            && s.contains('█')
            && s.contains('▀')
    });
    let link = link_on(&s, &base);

    // Back on the table, the row waits for the customer, in blue.
    tty.keys(&["Escape"]);
    tty.wait_styled("acme waiting, in blue", |st| {
        row(&strip_sgr(st), "acme").is_some_and(|r| r.contains("Acme Ltd") && r.contains('✉'))
            && has_fg(sgr_before(st, "acme", "✉"), 4)
    });

    // The customer goes through consent in their browser; nobody touches the console.
    let page = consent_over_http(&link, "ann@acme.com").await;
    assert!(is_connected_page(&page), "{page}");
    // The header counts it, and the panes show what Blaxel has for the selected tenant.
    tty.wait("acme deployed, counted, with its provisioning", |s| {
        row(s, "acme").is_some_and(|r| r.contains("● deployed") && r.contains("ann@acme.com"))
            && s.contains("deployed 1")
            && s.contains("Provisioning")
    });
    tty.wait_styled("deployed in green", |st| {
        has_fg(sgr_before(st, "acme", "● deployed"), 2)
    });

    // The sample's customer gives Drive's consent too, through a link a script asks the
    // console's owner for: the row follows Drive to deployed beside Gmail.
    let link = w.json(&["link", "sample"]);
    let url = link["url"].as_str().expect("url").to_owned();
    let page = consent_over_http(&url, "customer@example.com").await;
    assert!(is_connected_page(&page), "{page}");
    tty.wait(
        "the sample's Drive deployed beside its Gmail, counted",
        |s| {
            row(s, "sample")
                .is_some_and(|r| r.contains("● deployed") && r.contains("gmail ● drive ●"))
                && s.contains("deployed 2")
        },
    );

    // Nobody else is attached: q quits at once, the listener stops, the terminal is restored.
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
    tty.wait("the shell after exit, the console's screen gone", |s| {
        s.contains("CONSOLE-EXITED") && !s.contains("Tenants")
    });
    let modes = tty.stty();
    assert!(
        modes.contains(" icanon") && modes.contains(" echo") && !modes.contains("-icanon"),
        "the terminal is back in cooked mode:\n{modes}"
    );
    let health = reqwest::get(format!("{base}/healthz")).await;
    assert!(health.is_err(), "the listener stopped with the console");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_console_shows_what_other_clients_do_live_and_quits_without_stopping_serve() {
    if !tmux_here() {
        return;
    }
    let mut w = World::new();
    let _serve = w.serve();
    let base = w.base_url();
    let tty = Tty::start(&w, w.command(&[]), "attached", 80, 24);
    tty.wait("the attached console", |s| {
        s.contains("No tenants yet") && s.contains("attached")
    });

    // Another client adds a tenant and issues its link: the console shows both at once.
    w.ok(&["tenant", "add", "beta", "--name", "Beta Co"]);
    // (At 80 columns the name is in the detail pane, not the row.)
    tty.wait("beta added", |s| {
        row(s, "beta").is_some() && s.contains("Beta Co")
    });
    let link = w.json(&["link", "beta"]);
    let url = link["url"].as_str().expect("url").to_owned();
    tty.wait("beta waiting", |s| {
        row(s, "beta").is_some_and(|r| r.contains('✉'))
    });

    // The customer consents; the console follows to deployed without a key pressed.
    let page = consent_over_http(&url, "bo@beta.example").await;
    assert!(is_connected_page(&page), "{page}");
    tty.wait("beta deployed", |s| {
        row(s, "beta").is_some_and(|r| r.contains("● deployed"))
    });

    // The operator resizes the terminal: the layout follows.
    tty.tmux(&["resize-window", "-t", "console", "-x", "120", "-y", "40"]);
    // (The key hints may be drawn a moment after the rows: wait for the whole screen.)
    tty.wait(
        "the larger layout, with the key hints on the last line",
        |s| {
            s.lines().count() >= 39
                && row(s, "beta").is_some_and(|r| r.contains("bo@beta.example"))
                && s.lines().last().is_some_and(|l| l.contains("q quit"))
        },
    );

    // Filter by typing: `/` then text narrows the table.
    w.ok(&["tenant", "add", "gamma"]);
    tty.wait("gamma added", |s| row(s, "gamma").is_some());
    tty.keys(&["/"]);
    tty.text("gam");
    tty.wait("the filtered table", |s| {
        row(s, "gamma").is_some() && row(s, "beta").is_none() && s.contains("1 of 2")
    });
    tty.keys(&["Escape"]);
    tty.wait("the whole table again", |s| {
        row(s, "gamma").is_some() && row(s, "beta").is_some()
    });

    // Quitting an attached console leaves the owner running.
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
    let status = w.json(&["status"]);
    assert_eq!(status["tenants"], 2, "{status:#}");
    assert!(reqwest::get(format!("{base}/healthz")).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quitting_the_owning_console_while_another_is_attached_asks_first_and_the_other_reattaches()
{
    if !tmux_here() {
        return;
    }
    let mut w = World::new();
    let owner = Tty::start(&w, w.command(&[]), "first", 100, 30);
    // (The demo's new database starts with its sample tenant, Gmail consented.)
    owner.wait("the owning console, the sample's Gmail deployed", |s| {
        s.contains("gmail  ● deployed")
    });
    let second = Tty::start(&w, w.command(&[]), "second", 100, 30);
    second.wait("the second console, attached", |s| {
        row(s, "sample").is_some() && s.contains("attached")
    });

    owner.keys(&["q"]);
    owner.wait("the question, naming the other console", |s| {
        s.contains("Quit and stop the listener?") && s.contains("1 other console")
    });
    // No: the owner stays, and the second console keeps working through it.
    owner.keys(&["n"]);
    owner.wait("the question gone", |s| {
        !s.contains("Quit and stop the listener?")
    });
    w.ok(&["tenant", "add", "delta"]);
    second.wait("delta on the second console", |s| row(s, "delta").is_some());
    owner.wait("delta on the owner", |s| row(s, "delta").is_some());

    // Yes: the owner quits; the second console says its owner went away, and keeps looking.
    owner.keys(&["q"]);
    owner.wait("the question again", |s| {
        s.contains("Quit and stop the listener?")
    });
    owner.keys(&["y"]);
    assert_eq!(owner.exit_code(), 0, "stderr: {}", owner.stderr());
    second.wait_styled("the lost owner, in red", |st| {
        st.contains("\x1b[31mowner gone") || st.contains("\x1b[38;5;1mowner gone")
    });

    // A new owner starts (a service manager restarting it): the console attaches to it by
    // itself and loads everything afresh.
    let serve = w.serve();
    second.wait(
        "the console attached to the new owner, everything loaded afresh",
        |s| s.contains(&format!("attached to pid {}", serve.pid())) && row(s, "delta").is_some(),
    );
    w.ok(&["tenant", "add", "epsilon"]);
    second.wait("epsilon, live again", |s| row(s, "epsilon").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_80x24_a_deployed_tenants_mcp_url_and_last_timeline_entry_are_in_view_c_copies_and_e_exports()
 {
    if !tmux_here() {
        return;
    }
    let w = World::new();
    let tty = Tty::start(&w, w.command(&[]), "small", 80, 24);
    // tmux takes what the console copies (OSC 52) as a paste buffer.
    tty.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    // (The demo's new database starts with its sample tenant, Gmail consented.)
    tty.wait("the sample's Gmail deployed", |s| {
        s.contains("gmail  ● deployed")
    });
    w.ok(&["tenant", "add", "beta", "--name", "Beta Co"]);
    // beta comes first by slug; the selection stays on the sample until moved.
    tty.wait("beta's row", |s| row(s, "beta").is_some());
    tty.keys(&["g"]);
    let link = w.json(&["link", "beta"]);
    let page = consent_over_http(link["url"].as_str().expect("url"), "bo@beta.example").await;
    assert!(is_connected_page(&page), "{page}");

    let t = tenant_when(&w, "beta", |t| {
        t["status"] == "deployed" && t["mcp_url"].is_string()
    });
    let mcp = t["mcp_url"].as_str().expect("MCP URL").to_owned();
    let last = t["events"]
        .as_array()
        .and_then(|e| e.last())
        .expect("a timeline")
        .clone();
    let detail = last["detail"].as_str().expect("detail");
    assert!(detail.contains("deployed"), "{last:#}");
    let at = &last["at"].as_str().expect("at")[11..19];
    let words: Vec<&str> = detail.split(' ').take(3).collect();
    let start = format!("{at}  {}", words.join(" "));
    let s = tty.wait(
        "beta's MCP URL whole on a line of its own, and its last entry",
        |s| {
            row(s, "beta").is_some_and(|r| r.contains("● deployed"))
                && s.lines().any(|l| l.contains(&mcp) && !l.contains('│'))
                && s.contains(&start)
                && s.contains("deployed: ")
        },
    );
    assert_eq!(s.lines().count(), 24, "{s}");

    tty.keys(&["c"]);
    tty.wait("the copy said", |s| {
        s.contains("the MCP URL of beta copied to the clipboard")
    });
    assert_eq!(tty.copied(), mcp);

    // The QR code of a new link, exported into the data dir's exports folder, privately.
    tty.keys(&["Enter"]);
    tty.wait("the link view", |s| {
        s.contains("No link issued in this console yet")
    });
    tty.keys(&["n"]);
    // The view's title names the tenant before a link exists too: wait for the link's facts.
    tty.wait("the new link", |s| {
        s.contains("Consent link for Beta Co") && !s.contains("No link issued")
    });
    tty.keys(&["e"]);
    let exports = w.data_dir().join("exports");
    let s = tty.wait("the export said, with its folder", |s| {
        s.contains("QR code written to beta-") && s.contains("/exports")
    });
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&exports), 0o700, "{s}");
    let files: Vec<PathBuf> = std::fs::read_dir(&exports)
        .expect("the exports folder")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(name.starts_with("beta-"), "{name}");
        assert!(
            s.contains(&exports.display().to_string()) || s.contains(name),
            "{s}"
        );
    }
    // A second export of the same link overwrites nothing and says why.
    tty.keys(&["e"]);
    tty.wait("the refusal", |s| s.contains("exists already"));
    // The link view closed before q is sent: an Escape read together with the next key is
    // taken as that key with Alt.
    tty.keys(&["Escape"]);
    tty.wait("the table again", |s| {
        !s.contains("Consent link for Beta Co") && row(s, "beta").is_some()
    });
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}

/// A console started without the owner's configuration (no Google client, no Blaxel
/// credentials of its own) attached to a fully set-up `serve` opens on the tenants: the
/// set-up panel is the owner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attached_console_without_the_owners_config_opens_on_the_tenants_of_a_set_up_serve() {
    if !tmux_here() {
        return;
    }
    let mut w = World::new();
    w.demo = false;
    let owner_env = [
        ("GOOGLE_CLIENT_ID", "it.apps.googleusercontent.com"),
        ("GOOGLE_CLIENT_SECRET", "it-secret"),
        ("BL_WORKSPACE", "acme-prod"),
        ("BL_API_KEY", "bl_it_key"),
        // Nobody answers there: the provisioner runs, nothing is provisioned.
        ("BL_API_URL", "http://127.0.0.1:9/v0"),
    ];
    for (k, v) in owner_env {
        w.env.push((k.into(), v.into()));
    }
    let base = w.base_url();
    w.env.push(("MCP_ONBOARD_PUBLIC_URL".into(), base.clone()));
    let _serve = w.serve();
    w.ok(&["tenant", "add", "acme"]);
    // The console has none of it.
    w.env
        .retain(|(k, _)| !owner_env.iter().any(|(o, _)| o == k) && k != "MCP_ONBOARD_PUBLIC_URL");
    let tty = Tty::start(&w, w.command(&[]), "bare", 100, 30);
    tty.wait("the owner's tenants, not a set-up panel", |s| {
        row(s, "acme").is_some()
            && s.contains("attached to pid")
            && s.contains(&base)
            && !s.contains("Set up")
    });
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}

/// Blaxel refuses beta's MCP server with a message of some 450 characters (near what the
/// engine keeps of it): at 80x24 the panes cap it with a marker naming `d`, and the full view
/// reaches its last words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_80x24_the_end_of_a_long_blaxel_error_is_reached_in_the_full_view() {
    if !tmux_here() {
        return;
    }
    let mut long = String::from("the spec was refused:");
    for n in 1..=5 {
        long.push_str(&format!(
            " field spec.runtime.envs[{n}] is not valid for an integration connection;"
        ));
    }
    long.push_str(" request 7f3a9c2e ends here");
    let faults = mcp_onboard::sandbox::blaxel::BlaxelFaults {
        reject_names: [("gmail-mcp-beta".to_owned(), long)].into(),
        ..Default::default()
    };
    let (mut w, _google, _blaxel) = world_with_standins(faults).await;
    let _serve = w.serve();
    w.ok(&["tenant", "add", "beta", "--name", "Beta Co"]);
    let link = w.json(&["link", "beta"]);
    let (status, body) =
        consent_through(link["url"].as_str().expect("url"), "bo@beta.example", false).await;
    assert_eq!(status, 200, "{body}");
    let t = wait_status(&w, "beta", "failed");
    let error = t["provisioning"]["last_error"].as_str().unwrap_or_default();
    assert!(error.ends_with("request 7f3a9c2e ends here"), "{t:#}");

    let tty = Tty::start(&w, w.command(&[]), "long", 80, 24);
    let s = tty.wait("beta failed, its long texts capped with a marker", |s| {
        row(s, "beta").is_some_and(|r| r.contains("✖ failed"))
            && s.contains("more rows: d shows all")
    });
    assert!(
        !s.contains("ends here"),
        "the end is behind the marker:\n{s}"
    );
    tty.keys(&["d"]);
    tty.wait("the full view at its top", |s| {
        s.contains("beta: all of it ─ rows 1-") && s.contains("Beta Co")
    });
    tty.keys(&["G"]);
    let s = tty.wait(
        "the full view at its end, the error's last words in it",
        |s| {
            s.contains("request 7f3a9c2e ends here") && s.contains(" of ") && !s.contains("rows 1-")
        },
    );
    assert_eq!(s.lines().count(), 24, "{s}");
    tty.keys(&["Escape"]);
    tty.wait("the table again", |s| s.contains("Tenants"));
    tty.keys(&["q"]);
    assert_eq!(tty.exit_code(), 0, "stderr: {}", tty.stderr());
}
