//! A command line clap refuses for an unknown option: the error, then the options of the
//! command it was given to (clap alone shows a one-line usage and suggests passing the
//! option as a value after `--`, which is never what was meant here). Exit code 2.

use clap::error::{ContextKind, ErrorKind};
use clap::{CommandFactory, Parser};

use super::Cli;

/// Parse the process's arguments, or print why not and exit (2; 0 for help and version).
pub fn parse() -> Cli {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.kind() == ErrorKind::UnknownArgument => {
            eprint!("{}", explain(e, &args));
            std::process::exit(2);
        }
        Err(e) => e.exit(),
    }
}

/// The error without clap's `-- --option` tip and usage line, then the help of the
/// (sub)command the arguments were for.
pub fn explain(mut e: clap::Error, args: &[std::ffi::OsString]) -> String {
    e.remove(ContextKind::Suggested);
    e.remove(ContextKind::Usage);
    let rendered = e.render().to_string();
    let error = rendered
        .split("\nFor more information, try")
        .next()
        .unwrap_or(&rendered)
        .trim_end();
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
}
