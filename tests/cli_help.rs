//! Help that helps: every command's `--help` is snapshotted, every positional and option is
//! described, global options have their own heading, no `[env: NAME=]` with an empty value,
//! and the README's CLI reference names every command and option the help does.

mod support_proc;

use clap::CommandFactory;
use mcp_onboard::cli::Cli;
use support_proc::*;

/// Every command with its path (`tenant add`), the top level first.
fn commands() -> Vec<(String, clap::Command)> {
    fn walk(prefix: &str, cmd: &clap::Command, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let path = if prefix.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{prefix} {}", sub.get_name())
            };
            out.push((path.clone(), sub.clone()));
            walk(&path, sub, out);
        }
    }
    let mut root = Cli::command();
    root.build();
    let mut out = vec![(String::new(), root.clone())];
    walk("", &root, &mut out);
    out
}

fn help_of(path: &str) -> String {
    let mut args = vec!["mcp-onboard"];
    args.extend(path.split_whitespace());
    args.push("--help");
    match Cli::command().try_get_matches_from(args) {
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.render().to_string(),
        other => panic!("--help of {path:?} did not print help: {other:?}"),
    }
}

#[test]
fn every_commands_help_is_as_recorded() {
    for (path, _) in commands() {
        let name = if path.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", path.replace(' ', "_"))
        };
        insta::assert_snapshot!(name, help_of(&path));
    }
}

#[test]
fn every_argument_is_described_and_global_options_have_their_own_heading() {
    for (path, cmd) in commands() {
        for arg in cmd.get_arguments() {
            if ["help", "version"].contains(&arg.get_id().as_str()) {
                continue;
            }
            assert!(
                arg.get_help().is_some(),
                "`{path}`: {} has no description",
                arg.get_id()
            );
            if arg.is_global_set() {
                assert_eq!(
                    arg.get_help_heading(),
                    Some("Global options"),
                    "`{path}`: --{}",
                    arg.get_id()
                );
            }
        }
        let help = help_of(&path);
        assert!(help.contains("Global options:"), "`{path}`:\n{help}");
        assert!(
            !help.contains("=]"),
            "an empty env value shown in `{path}`:\n{help}"
        );
    }
}

#[test]
fn env_values_are_not_shown_even_when_set() {
    let w = World::new();
    let mut c = w.command(&["tenant", "add", "--help"]);
    c.env("MCP_ONBOARD_KEY_FILE", "/very/secret/place.key");
    let out = c.output().expect("running the binary");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[env: MCP_ONBOARD_KEY_FILE]"), "{text}");
    assert!(!text.contains("secret/place"), "{text}");
}

/// The README's CLI reference: its table rows, by the command they start with.
fn readme_rows() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("## CLI reference")
        .nth(1)
        .expect("a CLI reference section");
    let section = section.split("\n## ").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readmes_cli_reference_names_every_command_and_its_options() {
    let rows = readme_rows();
    for (path, cmd) in commands() {
        if path.is_empty() || cmd.has_subcommands() {
            continue;
        }
        let mine: Vec<&String> = rows
            .iter()
            .filter(|r| {
                r.strip_prefix("| `").is_some_and(|r| {
                    r == path
                        || r.starts_with(&format!("{path} "))
                        || r.starts_with(&format!("{path}`"))
                })
            })
            .collect();
        assert!(
            !mine.is_empty(),
            "the README's CLI reference has no row for `{path}`"
        );
        for arg in cmd.get_arguments() {
            if arg.is_global_set() || ["help", "version"].contains(&arg.get_id().as_str()) {
                continue;
            }
            let Some(long) = arg.get_long() else { continue };
            assert!(
                mine.iter().any(|r| r.contains(&format!("--{long}"))),
                "the README's row for `{path}` does not mention --{long}"
            );
        }
    }
    // And no row for a command that does not exist.
    let known: Vec<String> = commands().into_iter().map(|(p, _)| p).collect();
    for r in &rows {
        let cell = r.trim_start_matches("| `");
        let cell = cell.split('`').next().unwrap_or_default();
        let words: Vec<&str> = cell
            .split_whitespace()
            .take_while(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            .collect();
        if cell.starts_with('(') || words.is_empty() {
            continue;
        }
        let path = (1..=words.len())
            .rev()
            .map(|n| words[..n].join(" "))
            .find(|p| known.contains(p));
        assert!(
            path.is_some(),
            "the README documents an unknown command: {r}"
        );
    }
}

#[test]
fn completions_and_the_man_page_are_generated_without_touching_any_data() {
    let w = World::new();
    let out = w.run(&["completions", "bash"]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(out.stdout.contains("mcp-onboard") && out.stdout.contains("--all-failed"));
    let script = w.tmp.path().join("mcp-onboard.bash");
    std::fs::write(&script, &out.stdout).expect("write");
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .expect("bash");
    assert!(
        check.status.success(),
        "the bash completion is valid shell: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    for shell in ["zsh", "fish"] {
        let out = w.run(&["completions", shell]);
        assert!(
            out.ok() && out.stdout.contains("tenant"),
            "{shell}: {}",
            out.stderr
        );
    }
    let out = w.run(&["completions", "tcsh"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a bad command line"
    );

    let out = w.run(&["man"]);
    assert!(out.ok(), "{}", out.stderr);
    assert!(
        out.stdout.starts_with(".ie") || out.stdout.contains(".TH mcp-onboard"),
        "{}",
        &out.stdout[..200.min(out.stdout.len())]
    );
    assert!(out.stdout.contains(".SH") && out.stdout.contains("tenant"));
    assert!(!out.stderr.contains("new database"), "{}", out.stderr);
    assert!(
        !w.data_dir().exists(),
        "completions and man need no data dir"
    );
}
