#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout,
    // A test chooses its clock: often the machine's, to line up with the journal's times.
    clippy::disallowed_methods
)]
//! Tests of the `beredskap` binary as an operator uses it. One test binary for the crate.

mod commands;
mod durability;
mod hostile;
mod support;
