//! Signing and checking SMS gateways' webhooks: the signature Beredskap puts on what it
//! sends to a webhook gateway, the one it checks on what a gateway sends back, and
//! Twilio's. Used by the SMS provider (outgoing) and the API's hook routes (incoming).

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};

type HmacSha256 = Hmac<sha2::Sha256>;

/// How far a signed webhook's time may be from ours: a captured request cannot be
/// replayed later than this.
const WEBHOOK_TOLERANCE_SECONDS: i64 = 300;

/// The HMAC-SHA256 a webhook is signed with, over `"<unix time>.<body>"`, ready to finish
/// or to verify.
fn webhook_hmac(secret: &[u8], unix_time: i64, body: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(secret).ok()?;
    mac.update(format!("{unix_time}.").as_bytes());
    mac.update(body);
    Some(mac)
}

/// The hex signature of a webhook body (the `v1` of `X-Beredskap-Signature`).
pub fn webhook_mac(secret: &[u8], unix_time: i64, body: &[u8]) -> String {
    webhook_hmac(secret, unix_time, body)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1, keyed with the
/// account's auth token, over the full URL Twilio called followed by every form field's
/// name and value, sorted by name.
pub fn twilio_signature(auth_token: &[u8], url: &str, form: &[(String, String)]) -> String {
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(auth_token) else {
        return String::new();
    };
    let mut fields: Vec<&(String, String)> = form.iter().collect();
    fields.sort();
    mac.update(url.as_bytes());
    for (name, value) in fields {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks an `X-Beredskap-Signature: t=<unix time>,v1=<hex>` header against the body.
pub fn verify_webhook(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), &'static str> {
    let header = header.ok_or("the X-Beredskap-Signature header is missing")?;
    let mut time = None;
    let mut tag = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => time = t.parse::<i64>().ok(),
            Some(("v1", v)) => tag = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(time), Some(tag)) = (time, tag) else {
        return Err("the signature must be t=<unix time>,v1=<hex>");
    };
    if (now.timestamp() - time).abs() > WEBHOOK_TOLERANCE_SECONDS {
        return Err("the signature's time is too far from now");
    }
    webhook_hmac(secret, time, body)
        .ok_or("the webhook secret is unusable")?
        .verify_slice(&tag)
        .map_err(|_| "the signature does not match")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_signatures_are_computed_as_twilio_documents_them() {
        // The example in Twilio's security documentation.
        let form: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            twilio_signature(
                b"12345",
                "https://mycompany.com/myapp.php?foo=1&bar=2",
                &form
            ),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
    }

    #[test]
    fn a_webhook_is_accepted_only_with_a_fresh_matching_signature() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let t = now.timestamp();
        let body = b"from=%2B46701000001&message=Ja";
        let good = format!("t={t},v1={}", webhook_mac(b"s3cret", t, body));
        assert_eq!(verify_webhook(b"s3cret", Some(&good), body, now), Ok(()));
        assert!(verify_webhook(b"other", Some(&good), body, now).is_err());
        assert!(verify_webhook(b"s3cret", Some(&good), b"from=x&message=Nej", now).is_err());
        let old = format!("t={},v1={}", t - 600, webhook_mac(b"s3cret", t - 600, body));
        assert_eq!(
            verify_webhook(b"s3cret", Some(&old), body, now),
            Err("the signature's time is too far from now")
        );
        assert!(verify_webhook(b"s3cret", None, body, now).is_err());
        assert!(verify_webhook(b"s3cret", Some("v1=zz"), body, now).is_err());
    }
}
