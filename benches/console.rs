//! Load driver for the console with 100,000 tenants in the store:
//!
//! - in this process, the console's own code on a `TestBackend` fed by the engine: one
//!   frame's render (unchanged and after a move), a filter keystroke to redraw (update plus
//!   draw, over all rows), and a sort change to redraw, at 120x40 and 80x24;
//! - the real binary in a real terminal (tmux), start to first frame (the first rows on
//!   screen) and to the whole list loaded, attached to a running `serve` and owning the
//!   runtime (opening the database and building the index included); resident memory (now
//!   and peak) of the console and of the owner.
//!
//! Run with `cargo bench --bench console` (`-- --quick` for 10,000 tenants and fewer
//! rounds). Needs `tmux`.

mod support_console;

use std::path::Path;
use std::process::Command as Proc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use mcp_onboard::config::Config;
use mcp_onboard::engine::lifecycle::{NewTenant, new_tenant};
use mcp_onboard::engine::{Engine, Placement};
use mcp_onboard::store::KeySource;
use support_console::in_process::in_process;
use support_console::terminal::{Tmux, World, console_round, memory};
use support_console::{median, ms};

fn fill(rt: &tokio::runtime::Runtime, data: &Path, key: &KeySource, n: usize) {
    let config = Arc::new(Config::load(None, false, &|_| None).expect("config"));
    rt.block_on(async {
        let engine = Engine::open(data, key, config, Placement::Direct)
            .await
            .expect("open");
        let t = Instant::now();
        for chunk in 0..n.div_ceil(1000) {
            engine
                .commit_for_tests(move |tx| {
                    for i in chunk * 1000..((chunk + 1) * 1000).min(n) {
                        let input = NewTenant {
                            slug: format!("tenant-{i:06}"),
                            display_name: Some(format!("Customer number {i}")),
                            contact: Some(format!("ops{i}@customer{i}.example")),
                            ..Default::default()
                        };
                        let (t, e) = new_tenant(&input, 1 + i as i64).expect("valid");
                        tx.insert_tenant(t, e)?;
                    }
                    Ok(())
                })
                .await
                .expect("fill");
        }
        engine
            .shutdown(Duration::from_secs(60))
            .await
            .expect("flush");
        println!("filled {n} tenants in {:.1?}", t.elapsed());
    });
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n: usize = if quick { 10_000 } else { 100_000 };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let data = dir.path().join("data");
    let key_text = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let key = KeySource::Env(secrecy::SecretString::from(key_text.clone()));
    fill(&rt, &data, &key, n);
    in_process(&rt, &data, &key, n, quick);

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let w = World {
        home,
        data,
        key: key_text,
        port,
    };
    let t = Tmux::start();
    let rounds = if quick { 3 } else { 5 };

    let mut serve = w.serve();
    let (owner_idle, _) = memory(serve.id());
    let mut firsts = Vec::new();
    let mut fulls = Vec::new();
    let mut mem = (0.0f64, 0.0f64);
    for i in 0..rounds {
        let (f, full, m) = console_round(&t, &w, &format!("attached{i}"), n);
        firsts.push(f);
        fulls.push(full);
        mem = (mem.0.max(m.0), mem.1.max(m.1));
    }
    let owner_mem = memory(serve.id());
    println!("real binary in tmux at 120x40, {n} tenants, {rounds} rounds each:");
    println!(
        "  attached to serve: first rows {} (median; max {}), whole list {} (median)",
        ms(median(&mut firsts)),
        ms(*firsts.iter().max().expect("some")),
        ms(median(&mut fulls))
    );
    println!("    console RSS {:.0} MB (peak {:.0} MB)", mem.0, mem.1);
    println!(
        "    owner (serve) RSS {:.0} MB idle, {:.0} MB after the consoles (peak {:.0} MB)",
        owner_idle, owner_mem.0, owner_mem.1
    );
    let _ = Proc::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status();
    let _ = serve.wait();

    let mut firsts = Vec::new();
    let mut fulls = Vec::new();
    let mut mem = (0.0f64, 0.0f64);
    for i in 0..rounds {
        let (f, full, m) = console_round(&t, &w, &format!("owning{i}"), n);
        firsts.push(f);
        fulls.push(full);
        mem = (mem.0.max(m.0), mem.1.max(m.1));
    }
    println!(
        "  owning (database opened, index built): first rows {} (median; max {}), whole list {} (median)",
        ms(median(&mut firsts)),
        ms(*firsts.iter().max().expect("some")),
        ms(median(&mut fulls))
    );
    println!(
        "    console + owner in one process: RSS {:.0} MB (peak {:.0} MB)",
        mem.0, mem.1
    );
}
