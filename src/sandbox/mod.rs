//! Local stand-ins for the external services, for `--demo` and tests.

pub mod blaxel;
