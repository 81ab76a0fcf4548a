//! The TOTP verifier against codes computed here, independently of the crate it uses: RFC 6238
//! written out with `hmac` and `sha1` (RFC 4226's dynamic truncation), checked first against
//! the RFC's own test vectors; then the verifier's clock window (the steps −1, 0 and +1 pass,
//! −2 and +2 do not) and the refusal of a replayed step.
#![allow(clippy::unwrap_used)]

use devhub_db::{migrate, Db, DbConfig, NewUser, OpenMode};
use devhub_web::two_factor::totp::{Totp, STEP_SECONDS};

mod rfc6238;
use rfc6238::{base32_decode, totp};

/// RFC 6238 appendix B, the SHA-1 rows: (time, 8-digit code).
const RFC_VECTORS: [(u64, &str); 6] = [
    (59, "94287082"),
    (1_111_111_109, "07081804"),
    (1_111_111_111, "14050471"),
    (1_234_567_890, "89005924"),
    (2_000_000_000, "69279037"),
    (20_000_000_000, "65353130"),
];
const RFC_KEY: &[u8] = b"12345678901234567890";

#[test]
fn the_independent_implementation_gives_the_rfc_test_vectors() {
    for (t, code) in RFC_VECTORS {
        assert_eq!(totp(RFC_KEY, t, 8), code, "T = {t}");
    }
}

#[test]
fn the_apps_generator_gives_the_rfc_test_vectors_too() {
    let ours = Totp::from_bytes(RFC_KEY.to_vec(), 8, "rfc").unwrap();
    for (t, code) in RFC_VECTORS {
        assert_eq!(ours.code_at(t), code, "T = {t}");
    }
}

#[test]
fn the_verifier_accepts_the_steps_either_side_of_now_and_no_further() {
    let secret = Totp::generate_secret();
    let key = base32_decode(&secret);
    assert_eq!(key.len(), 20, "160 bits");
    let ours = Totp::new(&secret, "ada").unwrap();
    // Several moments, including the first and last second of a step.
    for now in [
        1_700_000_000u64,
        1_700_000_010,
        1_700_000_019,
        1_700_000_020,
        1_111_111_109,
    ] {
        let step = (now / STEP_SECONDS) as i64;
        let at = |offset: i64| totp(&key, ((step + offset) as u64) * STEP_SECONDS, 6);
        let window = [at(-1), at(0), at(1)];
        for offset in -1..=1 {
            assert_eq!(
                ours.verify(&at(offset), now),
                Some(step + offset),
                "step {offset:+} at {now}"
            );
        }
        for offset in [-2, 2, -3, 3, 10] {
            let code = at(offset);
            // A code of a far step that happens to equal one in the window (one chance in
            // a few hundred thousand) says nothing about the window.
            if !window.contains(&code) {
                assert_eq!(ours.verify(&code, now), None, "step {offset:+} at {now}");
            }
        }
        // A code from another secret, and what is not a code.
        assert_eq!(
            ours.verify(&totp(b"another secret 12345", now, 6), now),
            None
        );
        assert_eq!(ours.verify("", now), None);
        assert_eq!(ours.verify(&totp(&key, now, 8), now), None, "8 digits");
    }
    // The very first steps of the epoch have no step before them: no underflow.
    assert_eq!(ours.verify(&totp(&key, 0, 6), 5), Some(0));
}

#[tokio::test]
async fn a_step_already_used_is_refused_even_inside_the_window() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(
        &DbConfig::local(dir.path().join("t.db")),
        OpenMode::CreateIfMissing,
    )
    .await
    .unwrap();
    migrate::migrate(&db, &migrate::embedded().unwrap())
        .await
        .unwrap();
    let user = db
        .users()
        .create(
            &NewUser::new(
                devhub_db::validate::Username::parse("ada").unwrap(),
                "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    let secret = Totp::generate_secret();
    let key = base32_decode(&secret);
    let ours = Totp::new(&secret, "ada").unwrap();
    let repo = db.two_factor();
    repo.begin_setup(&user.id, &secret).await.unwrap();
    let now = 1_700_000_000u64;
    let code = |t: u64| totp(&key, t, 6);

    // The confirming code spends its step.
    let confirmed = ours.verify(&code(now), now).unwrap();
    repo.enable(&user.id, confirmed, &[devhub_db::sha256_hex("x")])
        .await
        .unwrap();
    assert!(!repo.use_step(&user.id, confirmed).await.unwrap(), "replay");
    // The next step's code, inside the window, works once.
    let next = ours.verify(&code(now + 30), now).unwrap();
    assert_eq!(next, confirmed + 1);
    assert!(repo.use_step(&user.id, next).await.unwrap());
    assert!(!repo.use_step(&user.id, next).await.unwrap(), "replay");
    // The step before, still inside the window, is older than the last used: refused.
    let before = ours.verify(&code(now - 30), now).unwrap();
    assert!(!repo.use_step(&user.id, before).await.unwrap());
}
