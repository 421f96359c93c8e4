//! mcp-onboard binary: parse the command line and run it; errors go to stderr with a
//! non-zero exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mcp_onboard::cli::Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(mcp_onboard::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if json => {
            eprintln!("{}", mcp_onboard::cli::error_json(&e));
            ExitCode::FAILURE
        }
        Err(e) => {
            // It may quote what an operator typed or what was stored: escaped, as replies are.
            let message = format!("{e:#}");
            eprintln!(
                "error: {}",
                mcp_onboard::text::escape_keeping_lines(&message)
            );
            ExitCode::FAILURE
        }
    }
}
