//! The second factor's storage (issue 16): set-up and confirmation, the replay check of time
//! steps, single-use recovery codes, log-in challenges, remembered browsers and what forgets
//! them (turning 2FA off, an admin's clear, a password change) — owner-scoped, in every
//! database mode.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{count, test_db, user};
use devhub_db::repo::two_factor::{new_recovery_codes, recovery_code_hash, RECOVERY_CODES};
use devhub_db::*;

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn hashes() -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = new_recovery_codes()
        .iter()
        .map(|c| c.expose().to_string())
        .collect();
    let hashes = codes.iter().map(|c| recovery_code_hash(c)).collect();
    (codes, hashes)
}

async fn rows(db: &Db, table: &str, user: &UserId) -> i64 {
    count(
        db,
        &format!("SELECT count(*) FROM {table} WHERE user_id = '{user}'"),
    )
    .await
}

/// A user whose second factor is on (confirmed at step 100), with their recovery codes.
async fn enabled(db: &Db) -> (User, Vec<String>) {
    let u = user(db).await;
    let repo = db.two_factor();
    repo.begin_setup(&u.id, SECRET).await.unwrap();
    let (codes, hashes) = hashes();
    repo.enable(&u.id, 100, &hashes).await.unwrap();
    (u, codes)
}

#[tokio::test]
async fn a_set_up_is_off_until_confirmed_and_then_holds_ten_recovery_codes() {
    let db = test_db().await;
    let u = user(&db).await;
    let repo = db.two_factor();
    assert!(repo.find(&u.id).await.unwrap().is_none());

    let pending = repo.begin_setup(&u.id, SECRET).await.unwrap();
    assert!(!pending.is_enabled());
    assert_eq!(pending.secret.expose(), SECRET);
    assert!(!repo.is_enabled(&u.id).await.unwrap());
    assert!(
        !repo.use_step(&u.id, 5).await.unwrap(),
        "no code counts before it is on"
    );
    // Starting again replaces the unconfirmed secret.
    let again = repo
        .begin_setup(&u.id, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        .await
        .unwrap();
    assert_eq!(again.secret.expose(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");

    let (_, hashes) = hashes();
    repo.enable(&u.id, 42, &hashes).await.unwrap();
    let on = repo.find(&u.id).await.unwrap().unwrap();
    assert!(on.is_enabled());
    assert_eq!(on.last_used_step, Some(42));
    assert_eq!(
        repo.recovery_codes_left(&u.id).await.unwrap(),
        RECOVERY_CODES as u64
    );

    // Once on, neither a new set-up nor a second confirmation changes it.
    assert!(matches!(
        repo.begin_setup(&u.id, SECRET).await,
        Err(Error::Conflict { .. })
    ));
    assert!(matches!(
        repo.enable(&u.id, 43, &hashes).await,
        Err(Error::NotFound)
    ));
    repo.cancel_setup(&u.id).await.unwrap();
    assert!(
        repo.is_enabled(&u.id).await.unwrap(),
        "cancel leaves an active factor alone"
    );
    assert!(format!("{on:?}").contains("[redacted]"));
    assert!(!format!("{on:?}").contains(SECRET));
}

#[tokio::test]
async fn a_time_step_is_accepted_once_and_never_an_earlier_one_after_it() {
    let db = test_db().await;
    let (u, _) = enabled(&db).await;
    let repo = db.two_factor();
    assert!(
        !repo.use_step(&u.id, 100).await.unwrap(),
        "the confirming step is spent"
    );
    assert!(repo.use_step(&u.id, 101).await.unwrap());
    assert!(!repo.use_step(&u.id, 101).await.unwrap(), "replayed");
    assert!(
        !repo.use_step(&u.id, 100).await.unwrap(),
        "older than the last"
    );
    assert!(repo.use_step(&u.id, 103).await.unwrap());
}

#[tokio::test]
async fn a_recovery_code_works_once_for_its_owner_only() {
    let db = test_db().await;
    let (ada, codes) = enabled(&db).await;
    let (eve, _) = enabled(&db).await;
    let repo = db.two_factor();
    let hash = recovery_code_hash(&codes[3]);

    assert_eq!(repo.use_recovery_code(&eve.id, &hash).await.unwrap(), None);
    assert_eq!(
        repo.use_recovery_code(&ada.id, &recovery_code_hash(&codes[3].to_uppercase()))
            .await
            .unwrap(),
        Some(9)
    );
    assert_eq!(repo.use_recovery_code(&ada.id, &hash).await.unwrap(), None);
    assert_eq!(repo.recovery_codes_left(&ada.id).await.unwrap(), 9);
    assert_eq!(repo.recovery_codes_left(&eve.id).await.unwrap(), 10);

    // New codes replace the old ones, used or not.
    let (fresh, fresh_hashes) = hashes();
    repo.replace_recovery_codes(&ada.id, &fresh_hashes)
        .await
        .unwrap();
    assert_eq!(repo.recovery_codes_left(&ada.id).await.unwrap(), 10);
    assert_eq!(
        repo.use_recovery_code(&ada.id, &recovery_code_hash(&codes[0]))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        repo.use_recovery_code(&ada.id, &recovery_code_hash(&fresh[0]))
            .await
            .unwrap(),
        Some(9)
    );
    // Without a factor that is on, there is nothing to replace.
    let other = user(&db).await;
    assert!(matches!(
        repo.replace_recovery_codes(&other.id, &fresh_hashes).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_challenge_counts_wrong_codes_and_ends() {
    let db = test_db().await;
    let (u, _) = enabled(&db).await;
    let repo = db.two_factor();
    let id = ChallengeId::from_token("some-cookie-token");
    let expires = devhub_db::row::now() + Duration::minutes(5);
    repo.create_challenge(&u.id, &id, Some("/contacts"), expires)
        .await
        .unwrap();
    let found = repo.find_challenge(&id).await.unwrap().unwrap();
    assert_eq!(found.user_id, u.id);
    assert_eq!(found.next.as_deref(), Some("/contacts"));
    assert_eq!(found.attempts, 0);
    assert!(!found.is_expired(devhub_db::row::now()));
    assert!(found.is_expired(expires));
    assert_eq!(repo.count_failed_attempt(&id).await.unwrap(), Some(1));
    assert_eq!(repo.count_failed_attempt(&id).await.unwrap(), Some(2));
    repo.delete_challenge(&id).await.unwrap();
    assert!(repo.find_challenge(&id).await.unwrap().is_none());
    assert_eq!(repo.count_failed_attempt(&id).await.unwrap(), None);
    // An id that is not a hash is refused.
    assert!(matches!(
        repo.create_challenge(&u.id, &ChallengeId::from("plain"), None, expires)
            .await,
        Err(Error::Validation(_))
    ));
}

#[tokio::test]
async fn a_remembered_browser_expires_and_belongs_to_one_user() {
    let db = test_db().await;
    let (ada, _) = enabled(&db).await;
    let (eve, _) = enabled(&db).await;
    let repo = db.two_factor();
    let now = devhub_db::row::now();
    let device = sha256_hex("browser-token");
    repo.remember_device(&ada.id, &device, now + Duration::days(30))
        .await
        .unwrap();
    assert!(repo.is_remembered(&ada.id, &device, now).await.unwrap());
    assert!(!repo
        .is_remembered(&ada.id, &device, now + Duration::days(30))
        .await
        .unwrap());
    assert!(!repo.is_remembered(&eve.id, &device, now).await.unwrap());
    // Eve cannot take over Ada's row with the same id.
    repo.remember_device(&eve.id, &device, now + Duration::days(300))
        .await
        .unwrap();
    assert!(!repo.is_remembered(&eve.id, &device, now).await.unwrap());
    assert!(!repo
        .is_remembered(&ada.id, &device, now + Duration::days(31))
        .await
        .unwrap());
}

#[tokio::test]
async fn clearing_removes_the_factor_codes_challenges_and_remembered_browsers_of_that_user_only() {
    let db = test_db().await;
    let (ada, _) = enabled(&db).await;
    let (eve, _) = enabled(&db).await;
    let repo = db.two_factor();
    let now = devhub_db::row::now();
    for u in [&ada, &eve] {
        repo.remember_device(&u.id, &sha256_hex(u.id.as_str()), now + Duration::days(30))
            .await
            .unwrap();
        repo.create_challenge(
            &u.id,
            &ChallengeId::from_token(u.id.as_str()),
            None,
            now + Duration::minutes(5),
        )
        .await
        .unwrap();
    }
    assert!(repo.clear(&ada.id).await.unwrap());
    for table in [
        "two_factor",
        "recovery_code",
        "two_factor_challenge",
        "remembered_device",
    ] {
        assert_eq!(rows(&db, table, &ada.id).await, 0, "{table}");
        assert!(
            rows(&db, table, &eve.id).await > 0,
            "{table} of another user"
        );
    }
    assert!(!repo.is_enabled(&ada.id).await.unwrap());
    assert!(!repo.clear(&ada.id).await.unwrap(), "nothing left to clear");
}

#[tokio::test]
async fn the_schema_forgets_remembered_browsers_when_the_password_changes_or_the_factor_goes() {
    let db = test_db().await;
    let (ada, _) = enabled(&db).await;
    let repo = db.two_factor();
    let now = devhub_db::row::now();
    let device = sha256_hex("ada-laptop");
    repo.remember_device(&ada.id, &device, now + Duration::days(30))
        .await
        .unwrap();
    // The same hash again: nothing changes, the browser stays remembered.
    db.users()
        .update_password_hash(&ada.id, &ada.password_hash)
        .await
        .unwrap();
    assert!(repo.is_remembered(&ada.id, &device, now).await.unwrap());
    db.users()
        .update_password_hash(
            &ada.id,
            "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$bmV3aGFzaA",
        )
        .await
        .unwrap();
    assert!(!repo.is_remembered(&ada.id, &device, now).await.unwrap());

    // Another tool deleting the row (the studio, SQL) forgets them too.
    repo.remember_device(&ada.id, &device, now + Duration::days(30))
        .await
        .unwrap();
    let conn = db.conn().await.unwrap();
    conn.execute(
        "DELETE FROM two_factor WHERE user_id = ?1",
        [ada.id.as_str()],
    )
    .await
    .unwrap();
    drop(conn);
    assert!(!repo.is_remembered(&ada.id, &device, now).await.unwrap());
}

#[tokio::test]
async fn deleting_the_user_deletes_every_row_of_their_second_factor() {
    let db = test_db().await;
    let (ada, _) = enabled(&db).await;
    let now = devhub_db::row::now();
    let repo = db.two_factor();
    repo.remember_device(&ada.id, &sha256_hex("x"), now + Duration::days(1))
        .await
        .unwrap();
    repo.create_challenge(
        &ada.id,
        &ChallengeId::from_token("y"),
        None,
        now + Duration::minutes(1),
    )
    .await
    .unwrap();
    db.users().delete(&ada.id).await.unwrap();
    for table in [
        "two_factor",
        "recovery_code",
        "two_factor_challenge",
        "remembered_device",
    ] {
        assert_eq!(rows(&db, table, &ada.id).await, 0, "{table}");
    }
}
