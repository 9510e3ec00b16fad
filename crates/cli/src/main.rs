//! `beredskap`: the one binary. `main` only parses arguments and reports errors; each
//! subcommand lives in `commands/`.

mod commands;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// mimalloc hands memory freed after a burst (password hashing takes 19 MiB a time) back
/// to the system within moments; the default allocator kept a burst's peak for good.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = commands::Cli::parse();
    match commands::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
