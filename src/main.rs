//! mcp-onboard binary: parse the command line and run it; errors go to stderr with a
//! non-zero exit code (2 for an invalid command line; 141, quietly, when the reader of the
//! output went away).

use std::process::ExitCode;

fn main() -> ExitCode {
    mcp_onboard::cli::end_quietly_on_broken_pipe();
    let cli = mcp_onboard::cli::parse();
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
