//! The time, behind a trait, so tests can move it instead of sleeping (defined in
//! `beredskap_core::clock`, the only place that reads the machine's clock).

pub use beredskap_core::clock::{Clock, ManualClock, SystemClock};
