use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {}
}
