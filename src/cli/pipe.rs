//! A reader that goes away before the output ends (`mcp-onboard tenant list | head -1`):
//! the command ends quietly with exit code 141, as a Unix tool killed by SIGPIPE does,
//! instead of a panic. Rust ignores SIGPIPE, so a print into the closed pipe fails, and
//! `print!` panics on a failed print: the panic hook tells that panic from any other.

/// The shell's code for a process ended by SIGPIPE (128 + 13).
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Install once, first thing: a print into a closed pipe (stdout or stderr) ends the
/// process at once, with no message and [`BROKEN_PIPE_EXIT`]; other panics are reported
/// as before.
pub fn end_quietly_on_broken_pipe() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if message.is_some_and(is_failed_print_to_closed_pipe) {
            std::process::exit(BROKEN_PIPE_EXIT);
        }
        report(info);
    }));
}

/// The standard library's panic message for a print that failed on a closed pipe.
fn is_failed_print_to_closed_pipe(message: &str) -> bool {
    let broken = std::io::Error::from(std::io::ErrorKind::BrokenPipe).to_string();
    (message.starts_with("failed printing to stdout")
        || message.starts_with("failed printing to stderr"))
        && (message.contains("Broken pipe") || message.contains(&broken))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_failed_print_into_a_closed_pipe_is_taken_for_one() {
        assert!(is_failed_print_to_closed_pipe(
            "failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(is_failed_print_to_closed_pipe(
            "failed printing to stderr: Broken pipe (os error 32)"
        ));
        assert!(!is_failed_print_to_closed_pipe(
            "failed printing to stdout: No space left on device (os error 28)"
        ));
        assert!(!is_failed_print_to_closed_pipe("Broken pipe (os error 32)"));
    }
}
