//! Passkeys (WebAuthn): the second factor a fake sign-in page cannot capture, because the
//! browser binds each signature to the real site's address.

use crate::config::Config;
use std::sync::Arc;
use url::Url;
use webauthn_rs::prelude::{CredentialID, Webauthn, WebauthnBuilder};

/// The relying party for this server, or `None` with the reason passkeys are unavailable.
pub fn relying_party(config: &Config) -> Result<Arc<Webauthn>, String> {
    let origin = Url::parse(&config.public_url()).map_err(|e| format!("public_url: {e}"))?;
    let host = origin
        .host_str()
        .ok_or_else(|| "public_url has no host".to_owned())?
        .to_owned();
    if host.parse::<std::net::IpAddr>().is_ok() {
        return Err(format!(
            "public_url is an IP address ({host}); passkeys need a name such as localhost or beredskap.example.org"
        ));
    }
    let builder = WebauthnBuilder::new(&host, &origin)
        .map_err(|e| format!("public_url: {e}"))?
        .rp_name("Beredskap")
        // On localhost the test and development servers run on changing ports.
        .allow_any_port(host == "localhost");
    builder.build().map(Arc::new).map_err(|e| e.to_string())
}

/// A credential id as the base64url text stored and compared.
pub fn credential_id_text(id: &CredentialID) -> String {
    serde_json::to_value(id)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
