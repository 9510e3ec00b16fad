//! Passwords: a strength rule people can understand, and Argon2id hashes.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 256;

/// Why a password is refused; each reads as advice to the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("must be at least {MIN_CHARS} characters; a few unrelated words make a good one")]
    TooShort,
    #[error("must be at most {MAX_CHARS} characters")]
    TooLong,
    #[error("is too easy to guess: it is a common word with numbers or symbols added")]
    Common,
    #[error("must not contain your name or sign-in name")]
    ContainsName,
    #[error("uses too few different characters")]
    Monotonous,
}

/// Words people build weak passwords from, in Swedish, Danish and English. A password that
/// is one of these plus digits and symbols ("Sommar2026!") is refused.
const COMMON_WORDS: &[&str] = &[
    "password",
    "passw0rd",
    "losenord",
    "lösenord",
    "kodeord",
    "adgangskode",
    "hemligt",
    "hemmelig",
    "secret",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "abc",
    "admin",
    "administrator",
    "welcome",
    "valkommen",
    "välkommen",
    "velkommen",
    "sommar",
    "sommer",
    "summer",
    "vinter",
    "winter",
    "var",
    "vår",
    "host",
    "höst",
    "efterar",
    "efterår",
    "forar",
    "forår",
    "spring",
    "autumn",
    "januari",
    "januar",
    "februari",
    "februar",
    "mars",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "august",
    "september",
    "oktober",
    "november",
    "december",
    "beredskap",
    "beredskab",
    "kommun",
    "kommune",
    "region",
    "sverige",
    "danmark",
    "letmein",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "fotboll",
    "fodbold",
    "hejsan",
    "hej",
    "test",
];

/// Checks a new password. `names` are the person's name and sign-in name.
pub fn check_strength(password: &str, names: &[&str]) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() || COMMON_WORDS.contains(&letters.as_str()) {
        return Err(PasswordProblem::Common);
    }
    let repeated_common = COMMON_WORDS
        .iter()
        .any(|w| w.len() >= 3 && !letters.is_empty() && letters.replace(w, "").is_empty());
    if repeated_common {
        return Err(PasswordProblem::Common);
    }
    for name in names {
        let parts = name
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|p| p.chars().count() >= 4)
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if parts.iter().any(|p| lower.contains(p.as_str())) {
            return Err(PasswordProblem::ContainsName);
        }
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 6 {
        return Err(PasswordProblem::Monotonous);
    }
    Ok(())
}

/// Argon2id with the OWASP-recommended minimum: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) with a fresh random salt.
pub fn hash(secret: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()
        .hash_password(secret.as_bytes(), &salt)?
        .to_string())
}

/// Whether `secret` matches a stored PHC string. A malformed hash never matches.
pub fn verify(secret: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(secret.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let names = ["Anna Berg", "anna.berg@lillby.se"];
        let check = |p: &str| check_strength(p, &names);
        assert_eq!(check("kort"), Err(PasswordProblem::TooShort));
        assert_eq!(check("Sommar2026!!!"), Err(PasswordProblem::Common));
        assert_eq!(check("Lösenord12345"), Err(PasswordProblem::Common));
        assert_eq!(check("qwertyqwerty1"), Err(PasswordProblem::Common));
        assert_eq!(check("123456789012345"), Err(PasswordProblem::Common));
        assert_eq!(
            check("annaberg-rules-2026"),
            Err(PasswordProblem::ContainsName)
        );
        assert_eq!(check("aaaaaaaaaaaaaab1"), Err(PasswordProblem::Monotonous));
        assert_eq!(check(&"x".repeat(300)), Err(PasswordProblem::TooLong));
        assert_eq!(check("korrekt häst batteri häftstift"), Ok(()));
        assert_eq!(check("Blåbärssoppa i Vasaloppet"), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("korrekt häst batteri").unwrap();
        let b = hash("korrekt häst batteri").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "every hash has its own salt");
        assert!(verify("korrekt häst batteri", &a));
        assert!(!verify("korrekt häst batteri!", &a));
        assert!(!verify("anything", "not a hash"));
    }
}
