//! Local stand-ins for the outside services (Google OAuth, Blaxel), for `--demo` and tests,
//! and a customer's browser driven against them.
//! They check what the real services check, so passing against them means something.

pub mod blaxel;
pub mod customer;
pub mod google;
pub mod risc;
