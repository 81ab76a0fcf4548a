//! Random tokens (session cookies, API tokens, calendar feed addresses) and the wrapper that
//! keeps a secret out of logs.

use rand::RngCore;

/// 20 random bytes (160 bits) as lowercase base32 without padding: 32 characters.
pub fn random_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base32_lower(&bytes)
}

/// Whether `token`, as it came from a cookie or a link, could be one of ours: not empty and
/// not longer than any token this app hands out (with room to spare), so an empty or huge
/// value is answered "unknown" without a lookup.
pub fn plausible_token(token: &str) -> bool {
    !token.is_empty() && token.len() <= 128
}

fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// A secret shown to its owner once (a new API token): `Debug` prints `[redacted]`, so it
/// cannot reach a log by accident; [`Secret::expose`] is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_32_base32_characters_and_differ() {
        let a = random_token();
        assert_eq!(a.len(), 32);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)));
        assert_ne!(a, random_token());
        assert_eq!(base32_lower(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn a_token_is_plausible_when_neither_empty_nor_huge() {
        assert!(plausible_token(&random_token()));
        assert!(plausible_token(&"a".repeat(128)));
        assert!(!plausible_token(""));
        assert!(!plausible_token(&"a".repeat(129)));
    }

    #[test]
    fn secrets_do_not_print_in_debug() {
        assert_eq!(format!("{:?}", Secret::new("dh_x".into())), "[redacted]");
    }
}
