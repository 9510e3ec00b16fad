//! `beredskap-bench`: the benchmarks of BENCHMARKS.md, in a binary of their own so nothing
//! for measuring is in the shipped `beredskap`. The servers it measures are the real
//! `beredskap serve`, started as child processes from the `beredskap` binary beside this one
//! (or `BEREDSKAP_BIN`).

mod blast;
mod failover;
mod fanout;
mod ingest;
mod nodes;
mod search;
mod status_page;
mod users;

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

/// A command running the `beredskap` binary to measure. `BEREDSKAP_BIN` is the bench's own
/// setting: the server would take it for one of its own (`BEREDSKAP_…`) and refuse to
/// start on an unknown field.
fn server_command() -> anyhow::Result<tokio::process::Command> {
    let mut command = tokio::process::Command::new(server_binary()?);
    command.env_remove("BEREDSKAP_BIN");
    Ok(command)
}

/// Starts `beredskap serve` on the data directory and waits until it listens; it stops
/// when the child is dropped.
async fn spawn_server(
    dir: &std::path::Path,
) -> anyhow::Result<(tokio::process::Child, std::net::SocketAddr)> {
    spawn_server_with(dir, &[]).await
}

/// [`spawn_server`] with more settings in its environment.
async fn spawn_server_with(
    dir: &std::path::Path,
    env: &[(&str, &str)],
) -> anyhow::Result<(tokio::process::Child, std::net::SocketAddr)> {
    use anyhow::Context as _;
    use tokio::io::AsyncBufReadExt as _;
    let mut child = server_command()?
        .envs(env.iter().copied())
        .arg("serve")
        .env("BEREDSKAP_DATA_DIR", dir)
        .env("BEREDSKAP_LISTEN", "127.0.0.1:0")
        .env("BEREDSKAP_LOG_FILTER", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("starting the server")?;
    let stdout = child.stdout.take().context("server output")?;
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await?
            .context("the server stopped before it listened")?;
        if let Some(rest) = line.strip_prefix("Beredskap is listening on http://") {
            let addr = rest.split_whitespace().next().unwrap_or_default();
            break addr.parse().context("the server's address")?;
        }
    };
    // Keep reading so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((child, addr))
}

/// A memory figure of a process from /proc/{pid}/status in MiB (`VmRSS` now, `VmHWM` its
/// peak), NaN when it cannot be read.
fn proc_memory_mib(pid: Option<u32>, field: &str) -> f64 {
    let Some(pid) = pid else { return f64::NAN };
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// The CPU time a process has used so far (user and system) in seconds, NaN when it cannot
/// be read. `/proc/{pid}/stat` counts in clock ticks of 1/100 s (`USER_HZ`, fixed by the
/// kernel's ABI on the architectures this runs on).
fn proc_cpu_seconds(pid: Option<u32>) -> f64 {
    let Some(pid) = pid else { return f64::NAN };
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            // The command name is in parentheses and may hold spaces: count after it.
            let fields: Vec<&str> = s.rsplit_once(')')?.1.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            let utime = fields.get(11)?.parse::<f64>().ok()?;
            let stime = fields.get(12)?.parse::<f64>().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// The value at quantile `q` (0.5, 0.99) of values sorted ascending; NaN if there are none.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// Writes a line to standard output. A closed pipe is not an error.
fn say(line: impl std::fmt::Display) {
    let _ = writeln!(std::io::stdout(), "{line}");
}
