//! The accounts' repositories in every mode (a file, a libSQL server, an embedded replica):
//! roles, disabling, registration by mode and invitation, password-reset links, summaries.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, Utc};
use common::{contact, test_db, user};
use devhub_db::validate::Username;
use devhub_db::{
    sha256_hex, Error, InvitationProblem, InvitationStatus, NewUser, Refusal, RegistrationMode,
    ResetProblem, Role,
};

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

fn new_user(name: &str) -> NewUser {
    NewUser::new(Username::parse(name).unwrap(), HASH.into()).unwrap()
}

#[tokio::test]
async fn the_first_account_is_the_admin_and_the_last_admin_stays() {
    let db = test_db().await;
    let ada = user(&db).await;
    let bob = user(&db).await;
    assert_eq!(ada.role, Role::Admin);
    assert_eq!(bob.role, Role::Member);
    assert!(db.users().ensure_admin().await.unwrap().is_none());

    for refused in [
        db.users().set_role(&ada.id, Role::Member).await.map(|_| ()),
        db.users().set_disabled(&ada.id, true).await.map(|_| ()),
        db.users().delete_account(&ada.id).await,
    ] {
        match refused {
            Err(Error::Conflict { message, .. }) => assert!(message.contains("last admin")),
            other => panic!("{other:?}"),
        }
    }
    let bob = db.users().set_role(&bob.id, Role::Admin).await.unwrap();
    assert!(bob.is_admin());
    let (ada, ended) = db.users().set_disabled(&ada.id, true).await.unwrap();
    assert!(ada.is_disabled());
    assert_eq!(ended, 0);
    let (ada, _) = db.users().set_disabled(&ada.id, false).await.unwrap();
    assert!(!ada.is_disabled());
    db.users().delete_account(&ada.id).await.unwrap();
    // The only account left may go.
    db.users().delete_account(&bob.id).await.unwrap();
    assert!(db.users().list().await.unwrap().is_empty());
    assert!(matches!(
        db.users().delete_account(&bob.id).await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn a_disabled_accounts_sessions_and_tokens_are_not_found() {
    let db = test_db().await;
    let _admin = user(&db).await;
    let bob = user(&db).await;
    let session = devhub_db::Session {
        id: devhub_db::SessionId::from_token("bobs-cookie"),
        user_id: bob.id.clone(),
        expires_at: Utc::now() + Duration::days(30),
    };
    db.sessions().create(&session).await.unwrap();
    let token = db
        .api_tokens()
        .issue(&bob.id, "laptop", None)
        .await
        .unwrap();
    let hash = sha256_hex(token.secret.expose());
    assert!(db
        .sessions()
        .find(&session.id)
        .run()
        .await
        .unwrap()
        .is_some());

    let (_, ended) = db.users().set_disabled(&bob.id, true).await.unwrap();
    assert_eq!(ended, 1);
    assert!(db.api_tokens().find_by_hash(&hash).await.unwrap().is_none());
    // A session stored afterwards (another instance, a race) is not found either.
    db.sessions().create(&session).await.unwrap();
    assert!(db
        .sessions()
        .find(&session.id)
        .run()
        .await
        .unwrap()
        .is_none());

    db.users().set_disabled(&bob.id, false).await.unwrap();
    assert!(db
        .sessions()
        .find(&session.id)
        .run()
        .await
        .unwrap()
        .is_some());
    assert!(db.api_tokens().find_by_hash(&hash).await.unwrap().is_some());
}

#[tokio::test]
async fn registration_follows_the_mode_and_uses_an_invitation_once() {
    let db = test_db().await;
    let users = db.users();
    // Open by default: the first registration is the admin.
    let ada = users
        .register(&new_user("ada"), RegistrationMode::Open, None)
        .await
        .unwrap()
        .unwrap();
    assert!(ada.is_admin());
    // The starting value, until one is saved.
    assert_eq!(
        users
            .register(&new_user("bob"), RegistrationMode::Closed, None)
            .await
            .unwrap(),
        Err(Refusal::Closed)
    );
    let settings = db.instance_settings();
    settings
        .set_registration(RegistrationMode::Invite)
        .await
        .unwrap();
    assert_eq!(
        settings.registration(RegistrationMode::Open).await.unwrap(),
        RegistrationMode::Invite
    );
    assert_eq!(
        users
            .register(&new_user("bob"), RegistrationMode::Open, None)
            .await
            .unwrap(),
        Err(Refusal::InvitationRequired)
    );
    let issued = db
        .invitations()
        .issue(Some(&ada.id), Some("  for Bob  "), 7)
        .await
        .unwrap();
    let token = issued.token.expose().to_string();
    assert_eq!(issued.invitation.token_hash, sha256_hex(&token));
    assert_eq!(issued.invitation.note.as_deref(), Some("for Bob"));
    let bob = users
        .register(&new_user("bob"), RegistrationMode::Open, Some(&token))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bob.role, Role::Member);
    let listed = db.invitations().list().await.unwrap();
    assert_eq!(listed[0].used_by_name.as_deref(), Some("bob"));
    assert_eq!(listed[0].created_by_name.as_deref(), Some("ada"));
    assert_eq!(
        listed[0].invitation.status(Utc::now()),
        InvitationStatus::Used
    );
    assert_eq!(
        users
            .register(&new_user("carol"), RegistrationMode::Open, Some(&token))
            .await
            .unwrap(),
        Err(Refusal::Invitation(InvitationProblem::Used))
    );
    // A taken username leaves the invitation unused (one transaction).
    let second = db.invitations().issue(None, None, 1).await.unwrap();
    let taken = users
        .register(
            &new_user("bob"),
            RegistrationMode::Open,
            Some(second.token.expose()),
        )
        .await;
    assert!(matches!(taken, Err(Error::Conflict { .. })), "{taken:?}");
    let unused = db
        .invitations()
        .find_by_token(second.token.expose())
        .await
        .unwrap()
        .unwrap();
    assert!(unused.used_at.is_none());
    // Revoked, expired, unknown.
    db.invitations().revoke(&unused.id).await.unwrap();
    assert!(matches!(
        db.invitations().revoke(&unused.id).await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(
        users
            .register(
                &new_user("carol"),
                RegistrationMode::Open,
                Some(second.token.expose())
            )
            .await
            .unwrap(),
        Err(Refusal::Invitation(InvitationProblem::Revoked))
    );
    db.invitations()
        .create(
            None,
            None,
            &sha256_hex("old"),
            Utc::now() - Duration::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(
        users
            .register(&new_user("carol"), RegistrationMode::Open, Some("old"))
            .await
            .unwrap(),
        Err(Refusal::Invitation(InvitationProblem::Expired))
    );
    assert_eq!(
        users
            .register(&new_user("carol"), RegistrationMode::Open, Some("nope"))
            .await
            .unwrap(),
        Err(Refusal::Invitation(InvitationProblem::Unknown))
    );
    assert!(db.invitations().issue(None, None, 0).await.is_err());
    assert!(db.invitations().issue(None, None, 91).await.is_err());
    assert_eq!(users.list().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_ends_every_session() {
    let db = test_db().await;
    let admin = user(&db).await;
    let bob = user(&db).await;
    for cookie in ["one", "two"] {
        db.sessions()
            .create(&devhub_db::Session {
                id: devhub_db::SessionId::from_token(cookie),
                user_id: bob.id.clone(),
                expires_at: Utc::now() + Duration::days(30),
            })
            .await
            .unwrap();
    }
    let first = db
        .password_resets()
        .issue(&bob.id, Some(&admin.id))
        .await
        .unwrap();
    let issued = db
        .password_resets()
        .issue(&bob.id, Some(&admin.id))
        .await
        .unwrap();
    let token = issued.token.expose().to_string();
    assert_eq!(issued.reset.id, sha256_hex(&token));
    assert_eq!(
        (issued.reset.expires_at - issued.reset.created_at).num_seconds(),
        3600
    );
    // The newer link replaced the older one.
    assert!(db
        .password_resets()
        .find(first.token.expose())
        .await
        .unwrap()
        .is_none());
    let (found, whose) = db.password_resets().find(&token).await.unwrap().unwrap();
    assert_eq!(whose.id, bob.id);
    assert!(found.used_at.is_none());

    let user = db
        .password_resets()
        .redeem(&token, "$argon2id$new")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.id, bob.id);
    let bob_now = db.users().get(&bob.id).await.unwrap();
    assert_eq!(bob_now.password_hash, "$argon2id$new");
    for cookie in ["one", "two"] {
        let id = devhub_db::SessionId::from_token(cookie);
        assert!(db.sessions().find(&id).run().await.unwrap().is_none());
    }
    assert_eq!(
        db.password_resets()
            .redeem(&token, "$argon2id$again")
            .await
            .unwrap()
            .unwrap_err(),
        ResetProblem::Used
    );
    db.password_resets()
        .create(
            &bob.id,
            None,
            &sha256_hex("expired"),
            Utc::now() - Duration::seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(
        db.password_resets()
            .redeem("expired", "$argon2id$again")
            .await
            .unwrap()
            .unwrap_err(),
        ResetProblem::Expired
    );
    assert_eq!(
        db.password_resets()
            .redeem("unknown", "$argon2id$again")
            .await
            .unwrap()
            .unwrap_err(),
        ResetProblem::Unknown
    );
    assert_eq!(
        db.users().get(&bob.id).await.unwrap().password_hash,
        "$argon2id$new"
    );
}

#[tokio::test]
async fn summaries_count_an_accounts_rows_and_ensure_admin_promotes_the_oldest() {
    let db = test_db().await;
    let ada = user(&db).await;
    let bob = user(&db).await;
    let grace = db
        .contacts()
        .create(&bob.id, &contact("Grace"))
        .await
        .unwrap();
    db.interactions()
        .create(
            &bob.id,
            &grace.id,
            &devhub_db::InteractionInput {
                type_: "call".into(),
                date: "2024-01-02".into(),
                notes: Some("0123456789".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let summaries = db.users().summaries().await.unwrap();
    assert_eq!(summaries.len(), 2);
    assert_eq!(summaries[0].user.id, ada.id);
    let bobs = &summaries[1];
    assert_eq!(
        (bobs.contacts, bobs.interactions, bobs.follow_ups),
        (1, 1, 0)
    );
    // "Grace" and the ten characters of the notes, at least.
    assert!(bobs.storage_bytes >= 15, "{}", bobs.storage_bytes);
    assert!(bobs.last_activity.is_some());
    assert_eq!(summaries[0].storage_bytes, 0);
    assert!(summaries[0].last_activity.is_none());
    assert_eq!(db.users().summary(&bob.id).await.unwrap(), *bobs);

    assert!(bobs.storage_measured_at.is_some());

    // No admin left (as before roles): the oldest enabled account is promoted.
    let conn = db.conn().await.unwrap();
    conn.execute("UPDATE user SET role = 'member'", ())
        .await
        .unwrap();
    drop(conn);
    let promoted = db.users().ensure_admin().await.unwrap().unwrap();
    assert_eq!(promoted.id, ada.id);
    assert!(db.users().ensure_admin().await.unwrap().is_none());
}

/// The storage estimate is measured apart from the summaries: an account that never was is
/// measured when first listed, then the figure stays as measured until the sweep measures
/// every account again; a deleted account's measurement goes with it.
#[tokio::test]
async fn an_accounts_storage_is_measured_once_listed_and_again_by_the_sweep() {
    let db = test_db().await;
    let bob = user(&db).await;
    let grace = db
        .contacts()
        .create(&bob.id, &contact("Grace"))
        .await
        .unwrap();
    let usage_rows = "SELECT count(*) FROM account_usage";
    assert_eq!(common::count(&db, usage_rows).await, 0);
    let first = db.users().summary(&bob.id).await.unwrap();
    assert_eq!(first.storage_bytes, 5, "Grace");
    let measured = first.storage_measured_at.unwrap();
    assert_eq!(common::count(&db, usage_rows).await, 1);
    // Written since: not measured again by a summary.
    let update = devhub_db::ContactInput {
        name: "Grace Hopper".into(),
        notes: Some("Compilers".into()),
        ..devhub_db::ContactInput::default()
    }
    .parse()
    .unwrap();
    db.contacts()
        .update(&bob.id, &grace.id, &update)
        .await
        .unwrap();
    let listed = db.users().summaries().await.unwrap();
    assert_eq!(
        (listed[0].storage_bytes, listed[0].storage_measured_at),
        (5, Some(measured))
    );
    // The sweep's measurement: every account, each figure as the data is now.
    let later = measured + chrono::Duration::hours(1);
    assert_eq!(db.users().measure_storage(later).await.unwrap(), 1);
    let again = db.users().summary(&bob.id).await.unwrap();
    assert_eq!(
        (again.storage_bytes, again.storage_measured_at),
        (12 + 9, Some(later))
    );
    // Another account is measured on its first listing, the first one left as it was.
    let ada = user(&db).await;
    let listed = db.users().summaries().await.unwrap();
    let adas = listed.iter().find(|s| s.user.id == ada.id).unwrap();
    assert_eq!(adas.storage_bytes, 0);
    assert!(adas.storage_measured_at.is_some());
    assert_eq!(db.users().summary(&bob.id).await.unwrap(), again);
    db.users().delete(&bob.id).await.unwrap();
    assert_eq!(common::count(&db, usage_rows).await, 1);
}
