#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout,
    // A test chooses its clock: often the machine's, to line up with the journal's times.
    clippy::disallowed_methods
)]
//! Server tests over real HTTP. One test binary for the crate; add modules, not files.

mod admin;
mod alerting;
mod alerts_web;
mod api;
mod channels_web;
mod conversation;
mod demo;
mod directory;
mod helpers;
mod incidents;
mod layers;
mod notify;
mod one_time;
mod operations;
mod passkeys;
mod plans;
mod priority_list;
mod providers;
mod roles;
mod rotations;
mod services;
mod status;
mod subscriptions;
mod web;
