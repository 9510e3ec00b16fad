use super::say;
use beredskap_server::Config;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The server's base URL; by default the configured listen address.
    #[arg(long)]
    url: Option<String>,
}

pub async fn run(config: Config, args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let base = args.url.unwrap_or_else(|| {
        // A server listening on every address is reached on loopback.
        let mut addr: SocketAddr = config.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        format!("http://{addr}")
    });
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => {
            say(format!("ready: {url}"));
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            say(format!("not ready: {url} answered {status}: {text}"));
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            say(format!("not ready: {url}: {e}"));
            Ok(ExitCode::FAILURE)
        }
    }
}
