//! The security log (`security_event`) and the sessions' meta rows (`session_meta`), in every
//! database mode (`DEVHUB_TEST_MODE=local|remote|replica`).
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::{test_db, user};
use devhub_db::repo::security_event::KEPT_DAYS;
use devhub_db::row::now;
use devhub_db::{
    ClientInfo, Error, NewSecurityEvent, SecurityEventKind as Kind, Session, SessionId,
};

fn from_browser(event: NewSecurityEvent) -> NewSecurityEvent {
    event.from_client(
        Some("203.0.113.7".into()),
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0".into()),
    )
}

#[tokio::test]
async fn a_users_events_are_listed_newest_first_with_address_and_browser_and_only_to_them() {
    let db = test_db().await;
    let ada = user(&db).await;
    let eve = user(&db).await;
    let events = db.security_events();
    let t = now() - Duration::hours(2);
    events
        .record_at(
            &from_browser(NewSecurityEvent::of_user(&ada.id, Kind::Login)),
            t,
        )
        .await
        .unwrap();
    events
        .record_at(
            &NewSecurityEvent::of_user(&ada.id, Kind::TokenCreated).detail("laptop"),
            t + Duration::minutes(5),
        )
        .await
        .unwrap();
    events
        .record(&NewSecurityEvent::of_user(&eve.id, Kind::Login))
        .await
        .unwrap();

    let listed = events.list_for_user(&ada.id, 50).await.unwrap();
    let kinds: Vec<_> = listed.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [Some(Kind::TokenCreated), Some(Kind::Login)]);
    assert_eq!(listed[0].detail.as_deref(), Some("laptop"));
    assert_eq!(listed[1].ip.as_deref(), Some("203.0.113.7"));
    assert!(listed[1].user_agent.as_deref().unwrap().contains("Firefox"));
    assert!(listed.iter().all(|e| e.user_id.as_ref() == Some(&ada.id)));
    assert_eq!(events.list_for_user(&ada.id, 1).await.unwrap().len(), 1);
    // Nothing of the users' shows on the instance's list.
    assert!(events.list_instance(50).await.unwrap().is_empty());
}

#[tokio::test]
async fn failed_log_ins_within_fifteen_minutes_are_one_entry_with_their_count() {
    let db = test_db().await;
    let ada = user(&db).await;
    let events = db.security_events();
    let start = now() - Duration::hours(1);
    for minutes in [0, 3, 9, 14] {
        let ip = format!("198.51.100.{minutes}");
        let event =
            NewSecurityEvent::of_user(&ada.id, Kind::LoginFailed).from_client(Some(ip), None);
        events
            .record_at(&event, start + Duration::minutes(minutes))
            .await
            .unwrap();
    }
    // A log-in in between does not end the burst; a failure past its window starts another.
    events
        .record_at(
            &NewSecurityEvent::of_user(&ada.id, Kind::Login),
            start + Duration::minutes(15),
        )
        .await
        .unwrap();
    events
        .record_at(
            &NewSecurityEvent::of_user(&ada.id, Kind::LoginFailed),
            start + Duration::minutes(16),
        )
        .await
        .unwrap();

    let listed = events.list_for_user(&ada.id, 50).await.unwrap();
    let summary: Vec<_> = listed.iter().map(|e| (e.kind, e.count)).collect();
    assert_eq!(
        summary,
        [
            (Some(Kind::LoginFailed), 1),
            (Some(Kind::Login), 1),
            (Some(Kind::LoginFailed), 4)
        ]
    );
    let burst = &listed[2];
    assert_eq!(burst.created_at, start);
    assert_eq!(burst.updated_at, start + Duration::minutes(14));
    assert_eq!(
        burst.ip.as_deref(),
        Some("198.51.100.14"),
        "the latest address"
    );

    // Another account's failures are theirs alone.
    let eve = user(&db).await;
    events
        .record_at(
            &NewSecurityEvent::of_user(&eve.id, Kind::LoginFailed),
            start + Duration::minutes(17),
        )
        .await
        .unwrap();
    assert_eq!(events.list_for_user(&ada.id, 50).await.unwrap()[0].count, 1);
    assert_eq!(events.list_for_user(&eve.id, 50).await.unwrap()[0].count, 1);
}

#[tokio::test]
async fn instance_events_are_listed_apart_and_outlive_the_account_they_name() {
    let db = test_db().await;
    let ada = user(&db).await;
    let events = db.security_events();
    events
        .record(&NewSecurityEvent::of_user(&ada.id, Kind::Registered))
        .await
        .unwrap();
    events
        .record(&NewSecurityEvent::of_instance(
            Kind::Registered,
            format!("{} registered", ada.username),
        ))
        .await
        .unwrap();
    db.users().delete(&ada.id).await.unwrap();
    events
        .record(&NewSecurityEvent::of_instance(
            Kind::AccountDeleted,
            format!("{} deleted their own account", ada.username),
        ))
        .await
        .unwrap();

    assert_eq!(events.count_for_user(&ada.id).await.unwrap(), 0, "cascaded");
    let instance = events.list_instance(10).await.unwrap();
    let kinds: Vec<_> = instance.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&Some(Kind::AccountDeleted)));
    assert!(instance.iter().all(|e| e.user_id.is_none()));
    assert!(instance
        .iter()
        .all(|e| e.detail.as_deref().unwrap().contains(&ada.username)));
    // An event of an account that does not exist is refused.
    let ghost = devhub_db::UserId::from("no-such-user");
    assert!(matches!(
        events
            .record(&NewSecurityEvent::of_user(&ghost, Kind::Login))
            .await,
        Err(Error::NotFound)
    ));
}

#[tokio::test]
async fn an_event_recorded_in_a_unit_of_work_goes_or_stays_with_it() {
    let db = test_db().await;
    let ada = user(&db).await;
    let failed: Result<(), Error> = db
        .write(async |tx| {
            tx.security_events()
                .record(&NewSecurityEvent::of_user(&ada.id, Kind::PasswordChanged))
                .await?;
            Err(Error::validation("password", "made to fail"))
        })
        .await;
    assert!(failed.is_err());
    assert_eq!(
        db.security_events().count_for_user(&ada.id).await.unwrap(),
        0
    );

    db.write(async |tx| {
        tx.api_tokens().issue(&ada.id, "laptop", None).await?;
        tx.security_events()
            .record(&NewSecurityEvent::of_user(&ada.id, Kind::TokenCreated).detail("laptop"))
            .await
    })
    .await
    .unwrap();
    db.sync().await.unwrap();
    assert_eq!(
        db.security_events().count_for_user(&ada.id).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn the_sweep_deletes_events_older_than_ninety_days_and_the_lists_never_show_them() {
    let db = test_db().await;
    let ada = user(&db).await;
    let events = db.security_events();
    let old = now() - Duration::days(KEPT_DAYS + 1);
    events
        .record_at(&NewSecurityEvent::of_user(&ada.id, Kind::Login), old)
        .await
        .unwrap();
    events
        .record_at(
            &NewSecurityEvent::of_instance(Kind::Registered, "old registration"),
            old,
        )
        .await
        .unwrap();
    events
        .record(&NewSecurityEvent::of_user(&ada.id, Kind::PasswordChanged))
        .await
        .unwrap();
    assert_eq!(events.list_for_user(&ada.id, 50).await.unwrap().len(), 1);
    assert!(events.list_instance(50).await.unwrap().is_empty());

    let swept = events
        .sweep(now() - Duration::days(KEPT_DAYS))
        .await
        .unwrap();
    assert_eq!(swept, 2);
    assert_eq!(events.count_for_user(&ada.id).await.unwrap(), 1);
}

fn session_of(user: &devhub_db::User, token: &str) -> Session {
    Session {
        id: SessionId::from_token(token),
        user_id: user.id.clone(),
        expires_at: now() + Duration::days(30),
    }
}

#[tokio::test]
async fn sessions_are_listed_with_their_device_and_one_without_meta_as_unknown() {
    let db = test_db().await;
    let ada = user(&db).await;
    let eve = user(&db).await;
    let with_meta = session_of(&ada, "token-with-meta");
    let public_id = db
        .write(async |tx| {
            tx.sessions().create(&with_meta).await?;
            tx.session_meta()
                .create(
                    &with_meta,
                    &ClientInfo {
                        ip: Some("192.0.2.1".into()),
                        user_agent: Some("curl/8.5.0".into()),
                    },
                )
                .await
        })
        .await
        .unwrap();
    // Made by another tool: the session table alone.
    let bare = session_of(&ada, "token-from-another-tool");
    db.sessions().create(&bare).await.unwrap();
    let expired = Session {
        expires_at: now() - Duration::minutes(1),
        ..session_of(&ada, "expired")
    };
    db.sessions().create(&expired).await.unwrap();
    db.sessions()
        .create(&session_of(&eve, "eves"))
        .await
        .unwrap();

    let listed = db
        .session_meta()
        .list_for_user(&ada.id, now())
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0].session_id, with_meta.id);
    assert_eq!(listed[0].public_id, public_id);
    assert_eq!(listed[0].ip.as_deref(), Some("192.0.2.1"));
    assert_eq!(listed[0].user_agent.as_deref(), Some("curl/8.5.0"));
    assert!(listed[0].has_meta && listed[0].last_used_at.is_some());
    assert_eq!(listed[1].session_id, bare.id);
    assert!(!listed[1].has_meta);
    assert!(listed[1].ip.is_none() && listed[1].last_used_at.is_none());
    assert!(!listed[1].public_id.contains(bare.id.as_str()));
    assert_ne!(public_id, with_meta.id.as_str());
}

#[tokio::test]
async fn a_session_is_ended_by_its_public_id_only_by_its_owner() {
    let db = test_db().await;
    let ada = user(&db).await;
    let eve = user(&db).await;
    let ada_session = session_of(&ada, "ada-1");
    let ada_public = db
        .write(async |tx| {
            tx.sessions().create(&ada_session).await?;
            tx.session_meta()
                .create(&ada_session, &ClientInfo::default())
                .await
        })
        .await
        .unwrap();
    let bare = session_of(&ada, "ada-bare");
    db.sessions().create(&bare).await.unwrap();

    // Eve cannot end Ada's session, nor a made-up one.
    assert!(matches!(
        db.session_meta().end(&eve.id, &ada_public).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        db.session_meta().end(&ada.id, "nothing").await,
        Err(Error::NotFound)
    ));
    db.sync().await.unwrap();
    assert!(db.sessions().find(&ada_session.id).await.unwrap().is_some());

    let ended = db.session_meta().end(&ada.id, &ada_public).await.unwrap();
    assert_eq!(ended.session_id, ada_session.id);
    db.sync().await.unwrap();
    assert!(db.sessions().find(&ada_session.id).await.unwrap().is_none());
    // The session without meta is ended by its derived id.
    let listed = db
        .session_meta()
        .list_for_user(&ada.id, now())
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let ended = db
        .session_meta()
        .end(&ada.id, &listed[0].public_id)
        .await
        .unwrap();
    assert_eq!(ended.session_id, bare.id);
    db.sync().await.unwrap();
    assert!(db
        .session_meta()
        .list_for_user(&ada.id, now())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn last_use_is_written_only_when_older_than_asked() {
    let db = test_db().await;
    let ada = user(&db).await;
    let session = session_of(&ada, "ada-touch");
    db.write(async |tx| {
        tx.sessions().create(&session).await?;
        tx.session_meta()
            .create(&session, &ClientInfo::default())
            .await
    })
    .await
    .unwrap();
    let meta = db.session_meta();
    let made = meta.last_used(&session.id).await.unwrap().unwrap();
    let later = made + Duration::minutes(3);
    // Used within the last five minutes: left alone.
    meta.touch(&session.id, later, later - Duration::minutes(5))
        .await
        .unwrap();
    db.sync().await.unwrap();
    assert_eq!(meta.last_used(&session.id).await.unwrap(), Some(made));
    let much_later = made + Duration::minutes(6);
    meta.touch(&session.id, much_later, much_later - Duration::minutes(5))
        .await
        .unwrap();
    db.sync().await.unwrap();
    assert_eq!(meta.last_used(&session.id).await.unwrap(), Some(much_later));
    // A session without meta has no last use, and touching it changes nothing.
    let bare = session_of(&ada, "bare-touch");
    db.sessions().create(&bare).await.unwrap();
    meta.touch(&bare.id, much_later, much_later).await.unwrap();
    assert_eq!(meta.last_used(&bare.id).await.unwrap(), None);
}
