//! A command line clap refuses for an unknown option: the error, then the options of the
//! command it was given to (clap alone shows a one-line usage and suggests passing the
//! option as a value after `--`, which is never what was meant here). Exit code 2. With
//! `--json` anywhere on it, any command line refused is said as the JSON error object
//! every other error is, `invalid_input`.

use clap::error::{ContextKind, ErrorKind};
use clap::{CommandFactory, Parser};

use super::Cli;

/// Parse the process's arguments, or print why not and exit (2; 0 for help and version).
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // Help and version asked for are no error (clap prints them on stdout).
        Err(e) if e.use_stderr() && wants_json(&args) => {
            eprintln!("{}", json_error(e));
            std::process::exit(2);
        }
        Err(e) if e.kind() == ErrorKind::UnknownArgument => {
            eprint!("{}", explain(e, &args));
            std::process::exit(2);
        }
        Err(e) => e.exit(),
    }
}

/// Whether `--json` is on the command line (before a `--`, after which all is values).
fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// The refusal as `--json` prints errors: `{"error": {"code": "invalid_input", ...}}`.
pub fn json_error(mut e: clap::Error) -> String {
    e.remove(ContextKind::Suggested);
    e.remove(ContextKind::Usage);
    let rendered = e.render().to_string();
    let message = match e.kind() {
        // A command group given alone: clap's answer is its whole help.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => bare_group(&rendered),
        _ => first_part(&rendered)
            .trim_start_matches("error: ")
            .to_owned(),
    };
    serde_json::json!({
        "error": {
            "code": crate::engine::ErrorCode::InvalidInput.as_str(),
            "message": message,
        }
    })
    .to_string()
}

/// What clap says of a command group given alone elsewhere on the line: "'mcp-onboard
/// webhook' requires a subcommand", the command read from its help's usage line.
fn bare_group(help: &str) -> String {
    let usage = help.lines().find_map(|l| l.trim().strip_prefix("Usage: "));
    let words: Vec<&str> = usage
        .unwrap_or("mcp-onboard")
        .split_whitespace()
        .take_while(|w| !w.starts_with(['[', '<']))
        .collect();
    format!("'{}' requires a subcommand", words.join(" "))
}

/// A rendered error without clap's closing pointer to `--help`.
fn first_part(rendered: &str) -> &str {
    rendered
        .split("\nFor more information, try")
        .next()
        .unwrap_or(rendered)
        .trim_end()
}

/// The error without clap's `-- --option` tip and usage line, then the help of the
/// (sub)command the arguments were for.
pub fn explain(mut e: clap::Error, args: &[std::ffi::OsString]) -> String {
    e.remove(ContextKind::Suggested);
    e.remove(ContextKind::Usage);
    let rendered = e.render().to_string();
    let error = first_part(&rendered);
    let mut root = Cli::command();
    root.build();
    let path = command_path(args);
    format!(
        "{error}\n\nThe options of `mcp-onboard{}`:\n\n{}",
        path.iter().map(|p| format!(" {p}")).collect::<String>(),
        help_of(&mut root, &path)
    )
}

/// The help of the subcommand at `path` under `cmd` (built).
fn help_of(cmd: &mut clap::Command, path: &[String]) -> String {
    if let Some((first, rest)) = path.split_first()
        && let Some(sub) = cmd.find_subcommand_mut(first)
    {
        return help_of(sub, rest);
    }
    cmd.render_help().to_string()
}

/// The subcommands the arguments name (`["tenant", "add"]`), read as far as clap can.
fn command_path(args: &[std::ffi::OsString]) -> Vec<String> {
    let mut path = Vec::new();
    if let Ok(m) = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(args)
    {
        let mut at = &m;
        while let Some((name, sub)) = at.subcommand() {
            path.push(name.to_owned());
            at = sub;
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(args: &[&str]) -> String {
        let args: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
        let e = Cli::try_parse_from(&args).expect_err("refused");
        assert_eq!(e.kind(), ErrorKind::UnknownArgument);
        explain(e, &args)
    }

    #[test]
    fn an_unknown_option_shows_the_commands_options_and_no_dash_dash_tip() {
        let text = explained(&["mcp-onboard", "tenant", "add", "beta", "--colour", "red"]);
        assert!(
            text.starts_with("error: unexpected argument '--colour' found"),
            "{text}"
        );
        assert!(!text.contains("-- --colour"), "{text}");
        assert!(
            text.contains("The options of `mcp-onboard tenant add`:"),
            "{text}"
        );
        assert!(text.contains("Usage: mcp-onboard tenant add"), "{text}");
        assert!(
            text.contains("--name <NAME>") && text.contains("--contact"),
            "{text}"
        );
        assert!(!text.contains("For more information"), "{text}");
    }

    #[test]
    fn with_json_anywhere_a_refused_command_line_is_a_json_error() {
        for args in [
            vec![
                "mcp-onboard",
                "--json",
                "tenant",
                "add",
                "beta",
                "--colour",
                "red",
            ],
            vec!["mcp-onboard", "tenant", "list", "--bogus", "--json"],
            vec!["mcp-onboard", "tenant", "--json"],
            vec!["mcp-onboard", "--json", "frobnicate"],
        ] {
            let os: Vec<std::ffi::OsString> = args.iter().map(Into::into).collect();
            assert!(wants_json(&os), "{args:?}");
            let e = Cli::try_parse_from(&os).expect_err("refused");
            assert!(e.use_stderr(), "{args:?}");
            let v: serde_json::Value = serde_json::from_str(&json_error(e)).unwrap();
            assert_eq!(v["error"]["code"], "invalid_input", "{args:?}");
            let message = v["error"]["message"].as_str().unwrap();
            assert!(
                !message.is_empty() && !message.starts_with("error:"),
                "{args:?}: {message}"
            );
            assert!(!message.contains("For more information"), "{message}");
        }
        let os = |a: &[&str]| {
            a.iter()
                .map(Into::into)
                .collect::<Vec<std::ffi::OsString>>()
        };
        let e = Cli::try_parse_from(os(&["mcp-onboard", "tenant", "--json"])).unwrap_err();
        assert!(
            json_error(e).contains("'mcp-onboard tenant' requires a subcommand"),
            "clap's own words"
        );
        // After `--` it is a value, not the option.
        assert!(!wants_json(&os(&[
            "mcp-onboard",
            "tenant",
            "add",
            "--",
            "--json"
        ])));
        assert!(!wants_json(&os(&["mcp-onboard", "tenant", "add", "beta"])));
    }

    #[test]
    fn a_near_miss_still_gets_clap_s_suggestion_and_global_options_are_skipped() {
        let text = explained(&[
            "mcp-onboard",
            "--data-dir",
            "tenant",
            "link",
            "acme",
            "--rplace",
        ]);
        assert!(
            text.contains("a similar argument exists: '--replace'"),
            "{text}"
        );
        assert!(
            text.contains("The options of `mcp-onboard link`:"),
            "{text}"
        );
    }

    /// A subcommand that shows its help when given nothing (`webhook`) is refused, with
    /// `--json`, as a JSON error whose message is the whole help text (usage, commands,
    /// options) where `tenant` says one line: "'mcp-onboard tenant' requires a subcommand".
    #[test]
    fn json_refusal_of_a_bare_subcommand_is_one_message_not_its_help() {
        for group in ["webhook", "tenant"] {
            let args = ["mcp-onboard", "--json", group];
            let e = Cli::try_parse_from(args).expect_err("refused");
            let v: serde_json::Value = serde_json::from_str(&json_error(e)).unwrap();
            let message = v["error"]["message"].as_str().unwrap_or_default();
            assert!(
                !message.contains("Usage:") && !message.contains('\n'),
                "{message}"
            );
            assert_eq!(
                message,
                format!("'mcp-onboard {group}' requires a subcommand")
            );
            assert_eq!(v["error"]["code"], "invalid_input");
        }
    }
}
