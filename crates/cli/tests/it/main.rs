#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout
)]
//! Tests of the `beredskap` binary as an operator uses it. One test binary for the crate.

mod commands;
mod durability;
mod hostile;
mod support;
