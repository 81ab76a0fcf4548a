//! Time-based one-time passwords (RFC 6238) as every authenticator app makes them: HMAC-SHA1,
//! six digits, 30-second steps, through the `totp-rs` crate; the `otpauth://` address that
//! apps scan, and its QR code drawn as SVG on the server.
//!
//! The verifier takes the time as a parameter (tests inject it) and answers *which* time step
//! matched, so that the caller can refuse a step already used (`TwoFactorRepo::use_step`).

use totp_rs::{Algorithm, TOTP};

/// Digits of a code.
pub const DIGITS: usize = 6;
/// Seconds per time step.
pub const STEP_SECONDS: u64 = 30;
/// The issuer in the `otpauth://` address: the name an app lists the account under.
pub const ISSUER: &str = "Developer Hub";
/// Steps accepted either side of the current one: RFC 6238 §5.2 recommends one, for a phone
/// whose clock is a little off and the seconds it takes to type a code.
pub const WINDOW: i64 = 1;

/// A user's TOTP generator and verifier.
pub struct Totp(TOTP);

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Totp([redacted])")
    }
}

impl Totp {
    /// The generator for a base32 secret (as stored) and the account it is shown under;
    /// `None` when the secret is not base32 or shorter than 128 bits.
    pub fn new(secret_base32: &str, account: &str) -> Option<Totp> {
        let bytes = totp_rs::Secret::Encoded(secret_base32.to_string())
            .to_bytes()
            .ok()?;
        Totp::from_bytes(bytes, DIGITS, account)
    }

    /// The generator for a raw secret and a number of digits (6 to 8; RFC 6238's test
    /// vectors have 8).
    pub fn from_bytes(secret: Vec<u8>, digits: usize, account: &str) -> Option<Totp> {
        // A ':' separates issuer and account in the address: none in either (usernames have
        // none; the replacement is for safety only).
        let account = account.replace(':', "_");
        TOTP::new(
            Algorithm::SHA1,
            digits,
            0,
            STEP_SECONDS,
            secret,
            Some(ISSUER.to_string()),
            account,
        )
        .ok()
        .map(Totp)
    }

    /// A new random secret: 160 bits (RFC 4226 §4's recommended length), base32.
    pub fn generate_secret() -> String {
        devhub_db::secret::random_token().to_ascii_uppercase()
    }

    /// The code at Unix time `unix` (seconds).
    pub fn code_at(&self, unix: u64) -> String {
        self.0.generate(unix)
    }

    /// The time step whose code `code` is, among the steps within [`WINDOW`] of the one of
    /// `unix`; `None` when it is none of them. `code` as [`normalize_code`] gives it.
    pub fn verify(&self, code: &str, unix: u64) -> Option<i64> {
        let now = i64::try_from(unix / STEP_SECONDS).ok()?;
        let mut matched = None;
        // Every step is compared (in constant time, by the crate), not only up to a match.
        for step in now - WINDOW..=now + WINDOW {
            let Ok(at) = u64::try_from(step) else {
                continue;
            };
            if self.0.check(code, at * STEP_SECONDS) && matched.is_none() {
                matched = Some(step);
            }
        }
        matched
    }

    /// The secret in base32, for typing into an app by hand.
    pub fn secret_base32(&self) -> String {
        self.0.get_secret_base32()
    }

    /// The `otpauth://totp/Developer%20Hub:NAME?secret=…&issuer=Developer%20Hub` address.
    pub fn url(&self) -> String {
        self.0.get_url()
    }

    /// The address as a QR code: inline SVG markup (dark modules on white, with the quiet
    /// zone scanners need), no XML declaration.
    pub fn qr_svg(&self) -> Option<String> {
        let code = qrcode::QrCode::new(self.url().as_bytes()).ok()?;
        let svg = code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build();
        let start = svg.find("<svg")?;
        Some(svg[start..].replacen(
            "<svg ",
            "<svg class=\"qr\" role=\"img\" aria-label=\"QR code of the set-up key\" ",
            1,
        ))
    }
}

/// The unix time now, in seconds.
pub fn unix_now() -> u64 {
    u64::try_from(devhub_db::row::now().timestamp()).unwrap_or(0)
}

/// A code as typed (`123 456`, `123-456`) → its digits; `None` unless it is six digits.
pub fn normalize_code(raw: &str) -> Option<String> {
    let digits: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == DIGITS && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// `ABCDEFGH…` → `ABCD EFGH …`: a secret easier to read and type.
pub fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_as_typed_are_normalised_or_refused() {
        assert_eq!(normalize_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123-456").as_deref(), Some("123456"));
        assert_eq!(normalize_code("12345"), None);
        assert_eq!(normalize_code("1234567"), None);
        assert_eq!(normalize_code("12345a"), None);
        assert_eq!(
            normalize_code("١٢٣٤٥٦"),
            None,
            "other scripts' digits are not ASCII"
        );
    }

    #[test]
    fn a_new_secret_is_160_bits_of_base32_and_the_address_names_issuer_and_account() {
        let secret = Totp::generate_secret();
        assert_eq!(secret.len(), 32);
        let totp = Totp::new(&secret, "ada").unwrap();
        assert_eq!(totp.secret_base32(), secret);
        let url = totp.url();
        assert!(
            url.starts_with("otpauth://totp/Developer%20Hub:ada?secret="),
            "{url}"
        );
        assert!(url.contains(&format!("secret={secret}")), "{url}");
        assert!(url.contains("issuer=Developer%20Hub"), "{url}");
        let svg = totp.qr_svg().unwrap();
        assert!(svg.starts_with("<svg class=\"qr\""), "{svg:.80}");
        assert!(!svg.contains("style"), "the CSP forbids inline styles");
        assert!(Totp::new("not base32!", "ada").is_none());
        assert!(
            Totp::new("GEZDGNBV", "ada").is_none(),
            "40 bits are too few"
        );
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
