//! `beredskap-bench`: the benchmarks of BENCHMARKS.md, in a binary of their own so nothing
//! for measuring is in the shipped `beredskap`. The servers it measures are the real
//! `beredskap serve`, started as child processes from the `beredskap` binary beside this one
//! (or `BEREDSKAP_BIN`).

mod blast;
mod fanout;
mod ingest;

use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Measure Beredskap's performance beside the limit of the machine (see BENCHMARKS.md).
#[derive(Debug, Parser)]
#[command(name = "beredskap-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: ingest::BenchCommand,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match ingest::run(cli.command).await {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The `beredskap` binary to measure: `BEREDSKAP_BIN`, or the one built beside this one.
fn server_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("BEREDSKAP_BIN") {
        return Ok(PathBuf::from(path));
    }
    let beside = std::env::current_exe()?.with_file_name("beredskap");
    anyhow::ensure!(
        beside.exists(),
        "no beredskap binary at {}: build it (cargo build --release) or set BEREDSKAP_BIN",
        beside.display()
    );
    Ok(beside)
}

/// Writes a line to standard output. A closed pipe is not an error.
fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{line}");
}
