//! Time-based one-time codes (RFC 6238): six digits, 30-second steps, SHA-1, as
//! Microsoft Authenticator, Google Authenticator, FreeOTP and the like expect.

use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
/// Steps accepted on either side of now, for clocks that drift.
const SKEW_STEPS: i64 = 1;

/// A new 160-bit secret, the size RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], digits: usize, issuer: &str, account: &str) -> Result<TOTP, String> {
    TOTP::new(
        Algorithm::SHA1,
        digits,
        0,
        STEP_SECONDS,
        secret.to_vec(),
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|e| e.to_string())
}

/// The secret in the base32 form people can type into an app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    Secret::Raw(secret.to_vec()).to_encoded().to_string()
}

/// The `otpauth://` link an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &[u8], issuer: &str, account: &str) -> Result<String, String> {
    Ok(totp(secret, DIGITS, issuer, account)?.get_url())
}

/// The code an authenticator app shows at `now_unix` (for `notify test` and tests).
pub fn code_now(secret: &[u8], now_unix: u64) -> Option<String> {
    code_at(secret, DIGITS, i64::try_from(now_unix / STEP_SECONDS).ok()?)
}

fn code_at(secret: &[u8], digits: usize, step: i64) -> Option<String> {
    let t = totp(secret, digits, "beredskap", "check").ok()?;
    Some(t.generate(u64::try_from(step).ok()? * STEP_SECONDS))
}

/// Checks a typed code against the steps around `now_unix`. Returns the step it matched,
/// which the caller must record; a step at or before `last_used_step` is refused, so a
/// code cannot be used twice.
pub fn verify(
    secret: &[u8],
    code: &str,
    now_unix: u64,
    last_used_step: Option<i64>,
) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now_step = i64::try_from(now_unix / STEP_SECONDS).ok()?;
    (now_step - SKEW_STEPS..=now_step + SKEW_STEPS)
        .filter(|step| last_used_step.is_none_or(|last| *step > last))
        .find(|step| code_at(secret, DIGITS, *step).is_some_and(|c| c == code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1, 8 digits, secret "12345678901234567890".
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            let step = i64::try_from(time / STEP_SECONDS).unwrap();
            assert_eq!(code_at(secret, 8, step).unwrap(), expected, "T={time}");
        }
    }

    #[test]
    fn codes_verify_once_within_the_skew() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let step = i64::try_from(now / STEP_SECONDS).unwrap();
        let code = code_at(&secret, 6, step).unwrap();
        assert_eq!(verify(&secret, &code, now, None), Some(step));
        assert_eq!(verify(&secret, &code, now, Some(step)), None, "replayed");
        assert_eq!(
            verify(&secret, &code, now + 30, None),
            Some(step),
            "a step late"
        );
        assert_eq!(verify(&secret, &code, now + 90, None), None, "expired");
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(&secret, &spaced, now, None), Some(step));
        assert_eq!(verify(&secret, "12345", now, None), None);
        assert_eq!(verify(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn the_otpauth_link_names_the_issuer_and_account() {
        let url = otpauth_url(&new_secret(), "Beredskap Lillby", "anna@lillby.se").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Beredskap%20Lillby:anna%40lillby.se?secret="),
            "{url}"
        );
        assert!(url.contains("issuer=Beredskap%20Lillby"));
        assert_eq!(
            secret_base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
