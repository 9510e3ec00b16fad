use super::say;
use anyhow::Context;
use beredskap_server::Config;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// The server's base URL; by default the configured listen address, over HTTPS when
    /// the server terminates TLS.
    #[arg(long)]
    url: Option<String>,
}

pub async fn run(config: Config, args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let mut client = reqwest::Client::builder().timeout(Duration::from_secs(5));
    // The server's own certificate is trusted too: it may be self-signed or from the
    // organisation's own authority.
    if let Some(file) = &config.tls_cert_file {
        let pem = std::fs::read(file)
            .with_context(|| format!("reading tls_cert_file {}", file.display()))?;
        for certificate in reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("tls_cert_file {} holds no certificate", file.display()))?
        {
            client = client.add_root_certificate(certificate);
        }
    }
    let base = match args.url {
        Some(url) => url,
        None => {
            let addr = loopback(config.listen);
            match config.tls() {
                true => {
                    // The certificate names the public host: ask for that name, at the
                    // address the server listens on, so the name is checked as a browser
                    // would.
                    let host = reqwest::Url::parse(&config.public_url())
                        .ok()
                        .and_then(|u| u.host_str().map(str::to_owned))
                        .unwrap_or_else(|| "localhost".to_owned());
                    client = client.resolve(&host, addr);
                    format!("https://{host}:{}", addr.port())
                }
                false => format!("http://{addr}"),
            }
        }
    };
    let url = format!("{}/readyz", base.trim_end_matches('/'));
    let client = client.build()?;
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
            say(format!("not ready: {url}: {:#}", anyhow::Error::from(e)));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// A server listening on every address is reached on loopback.
fn loopback(mut addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    addr
}
