//! Printed one-time recovery codes, for when the phone with the authenticator app is lost.
//!
//! A code reads `ABCD-EFGH-JKMN`: the first group names the code (stored as is), the other
//! eight characters are the secret (40 bits, stored as an Argon2id hash). Characters are
//! Crockford base32, so O/0 and I/L/1 cannot be confused when typed from paper.

use rand::Rng;

pub const CODES_PER_SET: usize = 10;
const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// One code as printed, and what is stored of it.
pub struct RecoveryCode {
    pub printed: String,
    pub id: String,
    pub secret: String,
}

fn random_chars(n: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..n)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

pub fn new_set() -> Vec<RecoveryCode> {
    let mut ids: Vec<String> = Vec::new();
    let mut codes = Vec::new();
    while codes.len() < CODES_PER_SET {
        let id = random_chars(4);
        if ids.contains(&id) {
            continue;
        }
        let secret = random_chars(8);
        ids.push(id.clone());
        codes.push(RecoveryCode {
            printed: format!("{id}-{}-{}", &secret[..4], &secret[4..]),
            id,
            secret,
        });
    }
    codes
}

/// Splits a typed code into its id and secret, forgiving case, spaces, dashes and the
/// look-alike letters Crockford base32 leaves out.
pub fn parse(typed: &str) -> Option<(String, String)> {
    let clean: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    if clean.len() != 12 || !clean.bytes().all(|b| ALPHABET.contains(&b)) {
        return None;
    }
    Some((clean[..4].to_owned(), clean[4..].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_has_distinct_readable_codes() {
        let set = new_set();
        assert_eq!(set.len(), CODES_PER_SET);
        for code in &set {
            assert_eq!(code.printed.len(), 14);
            assert_eq!(
                parse(&code.printed),
                Some((code.id.clone(), code.secret.clone()))
            );
        }
        let mut ids: Vec<_> = set.iter().map(|c| c.id.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), CODES_PER_SET);
    }

    #[test]
    fn typed_codes_are_forgiving_but_exact() {
        assert_eq!(
            parse("abcd efgh jkmn"),
            Some(("ABCD".into(), "EFGHJKMN".into()))
        );
        assert_eq!(
            parse("0OIL-1111-2222"),
            Some(("0011".into(), "11112222".into()))
        );
        assert_eq!(parse("ABCD-EFGH-JKM"), None);
        assert_eq!(parse("ABCD-EFGH-JKMU"), None, "U is not in the alphabet");
    }
}
