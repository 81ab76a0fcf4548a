//! RFC 6238 (TOTP) written out independently of the app's TOTP crate, with `hmac` and `sha1`:
//! the tests' own source of codes.
#![allow(dead_code, clippy::unwrap_used)]

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// RFC 4226 HOTP with HMAC-SHA1: the code of `counter`, `digits` long.
pub fn hotp(key: &[u8], counter: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(key).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = (u32::from(hash[offset] & 0x7f) << 24)
        | (u32::from(hash[offset + 1]) << 16)
        | (u32::from(hash[offset + 2]) << 8)
        | u32::from(hash[offset + 3]);
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

/// RFC 6238 TOTP: the code at Unix time `t` (T0 = 0, X = 30 s).
pub fn totp(key: &[u8], t: u64, digits: u32) -> String {
    hotp(key, t / 30, digits)
}

/// RFC 4648 base32 decoding (upper case, no padding), for the secrets the app makes.
pub fn base32_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The code a phone shows for the base32 `secret` at Unix time `t` (six digits).
pub fn code(secret: &str, t: u64) -> String {
    totp(&base32_decode(secret), t, 6)
}

/// The Unix time now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
