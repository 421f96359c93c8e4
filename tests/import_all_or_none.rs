//! `tenant import` is one decision: every row of the file is added, or none, and what it
//! says is true, with or without an owner running and whatever another client does
//! meanwhile. The size is `MCP_ONBOARD_TEST_IMPORT_ROWS` (100,000 by default).

mod support_proc;

use std::process::Stdio;
use std::time::{Duration, Instant};

use support_proc::*;

fn rows() -> usize {
    std::env::var("MCP_ONBOARD_TEST_IMPORT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn slug(i: usize) -> String {
    format!("t{i:06}")
}

/// A CSV of `n` good rows.
fn csv(w: &World, n: usize) -> std::path::PathBuf {
    let mut text = String::from("slug,name,contact\n");
    for i in 0..n {
        text.push_str(&format!("{},Tenant {i},ops {i}\n", slug(i)));
    }
    let f = w.tmp.path().join("tenants.csv");
    std::fs::write(&f, text).unwrap();
    f
}

fn count(w: &World) -> u64 {
    w.json(&["status"])["tenants"].as_u64().expect("a count")
}

/// Start `tenant import` without waiting for it.
fn spawn_import(w: &World, file: &std::path::Path) -> (std::process::Child, std::path::PathBuf) {
    let err = w.tmp.path().join(format!("import-{}.stderr", free_port()));
    let child = w
        .command(&["tenant", "import", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    (child, err)
}

/// The import with another client adding one of its slugs meanwhile, then the same
/// import again without the conflict.
fn import_racing_an_add(w: &mut World, owner: bool) {
    let n = rows();
    let file = csv(w, n);
    let clash = slug(n - 1);
    let started = Instant::now();
    let (mut child, err) = spawn_import(w, &file);
    if owner {
        // Add the clash once the import has begun: its first rows are in (if it commits
        // part by part) or its first part is staged on the owner.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let staged = String::from_utf8_lossy(&all_bytes(&w.data_dir().join("logs")))
                .contains("import part staged");
            if staged || count(w) > 0 {
                break;
            }
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            assert!(Instant::now() < deadline, "the import never began");
            std::thread::sleep(Duration::from_millis(20));
        }
        w.ok(&["tenant", "add", &clash]);
    } else {
        // No owner: once the import holds the database (it says so in `owner.json`), try
        // to add the clash until the import is over or one add gets in.
        let holder = format!("\"pid\":{}", child.id());
        let deadline = Instant::now() + Duration::from_secs(120);
        while !std::fs::read_to_string(w.data_dir().join("owner.json"))
            .is_ok_and(|o| o.contains(&holder))
        {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the import never opened the database"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if w.run(&["tenant", "add", &clash]).ok() {
                break;
            }
        }
    }
    let status = wait_deadline(&mut child, Duration::from_secs(600)).expect("import ends");
    let stderr = read(&err);
    let total = count(w);
    if status.success() {
        // The add came after the whole import: it was refused, everything is in.
        assert_eq!(total, n as u64, "{stderr}");
    } else {
        assert_eq!(total, 1, "nothing of the import was added: {stderr}");
        assert!(
            stderr.contains("nothing was added") || stderr.contains("none was added"),
            "{stderr}"
        );
        assert!(stderr.contains(&clash), "names the clash: {stderr}");
        assert!(!stderr.contains("in use by"), "{stderr}");
        // Without the clash, the same file goes in whole.
        w.ok(&["tenant", "remove", &clash]);
        let out = w.ok(&["tenant", "import", file.to_str().unwrap()]);
        assert!(out.contains(&format!("added {n} tenants")), "{out}");
        assert_eq!(count(w), n as u64);
    }
    eprintln!(
        "{n} rows {} an owner: {:.1} s ({})",
        if owner { "with" } else { "without" },
        started.elapsed().as_secs_f64(),
        if status.success() {
            "imported whole, the add refused"
        } else {
            "the add first, the import refused whole, then imported whole"
        }
    );
}

#[test]
fn a_large_import_with_no_owner_running_is_all_or_none() {
    let mut w = World::new();
    w.demo = false;
    import_racing_an_add(&mut w, false);
}

#[test]
fn a_large_import_through_the_owner_is_all_or_none_when_another_client_adds_one_of_its_slugs() {
    let mut w = World::new();
    w.demo = false;
    let _serve = w.serve();
    import_racing_an_add(&mut w, true);
}
