use super::say;
use beredskap_server::config::EXAMPLE;
use beredskap_server::Config;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCommand {
    /// Print a commented configuration file with every setting at its default.
    Example,
    /// Check the configuration (file and environment) and print what takes effect.
    Check,
}

pub fn run(file: Option<&Path>, cmd: ConfigCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCommand::Example => {
            say(EXAMPLE.trim_end());
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Check => match Config::load(file) {
            Ok(config) => {
                let db = config.database()?;
                say("# configuration is valid; in effect (passwords hidden):");
                say(toml::to_string(&config)?.trim_end());
                say(format!("# database: {}", db.url));
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                say(format!("configuration is not valid: {e}"));
                Ok(ExitCode::FAILURE)
            }
        },
    }
}
