//! Password hashing: argon2id, PHC strings, at least OWASP's parameters (19 MiB, t=2, p=1).
//! Hashing is slow on purpose, so it runs on the blocking pool, off the async executor.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The argon2id PHC string of `password` with a fresh random salt.
pub fn hash_password_blocking(password: &str) -> Result<String, PasswordError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

pub async fn hash_password(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await?
}

/// Whether devhub can verify a password against `hash`: an argon2 PHC string. A database
/// adopted from another app may hold hashes of other schemes (`scrypt$…`); their accounts
/// need a password reset.
pub fn is_supported_hash(hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// Whether `password` matches the PHC string `hash` (with the parameters stored in it).
/// A malformed hash never matches.
pub fn verify_password_blocking(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
}

pub async fn verify_password(password: String, hash: String) -> Result<bool, PasswordError> {
    Ok(tokio::task::spawn_blocking(move || verify_password_blocking(&password, &hash)).await?)
}

/// A hash to verify against when the username does not exist, so that a log-in with an
/// unknown username costs as much as one with a wrong password.
pub async fn dummy_verify(password: String) -> Result<bool, PasswordError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || {
        let hash =
            DUMMY.get_or_init(|| hash_password_blocking("not a real password").unwrap_or_default());
        verify_password_blocking(&password, hash);
        false
    })
    .await
    .map_err(PasswordError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password_blocking("correct horse").unwrap_or_default();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password_blocking("correct horse", &hash));
        assert!(!verify_password_blocking("wrong horse", &hash));
        assert!(!verify_password_blocking("correct horse", "not a hash"));
        assert!(is_supported_hash(&hash));
        assert!(!is_supported_hash("scrypt$c2FsdA$aGFzaA"));
        assert!(!is_supported_hash("$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA"));
        assert!(!is_supported_hash(""));
    }
}
