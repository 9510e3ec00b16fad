#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The application layer's tests: the policy table over every use case and role, and what
//! each use case wakes. One test binary for the crate; add modules, not files.

mod directory;
mod messages;
mod policy;
mod priority_list;
mod sign_in;
mod status;
mod world;
