//! The reminders' repository in every mode (a file, a libSQL server, an embedded replica):
//! settings, the address confirmation and unsubscribe links, planning each reminder once,
//! claiming with a lease, retries and giving up, and each user's record being theirs alone.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, Utc, Weekday};
use common::{contact, count, test_db, user};
use devhub_db::{
    AttemptOutcome, Channel, DeliveryKind, DeliveryStatus, Error, FollowUpInput, Frequency,
    Includes, ReminderInput, TimeZone,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn daily(hour: u32) -> ReminderInput {
    ReminderInput {
        frequency: Frequency::Daily,
        hour,
        weekday: Weekday::Mon,
        includes: Includes::default(),
        follow_up_push: false,
        email_on: true,
        webhook_url: None,
        ntfy_url: None,
    }
}

#[tokio::test]
async fn settings_are_saved_validated_and_keep_their_webhook_secret() {
    let db = test_db().await;
    let ada = user(&db).await;
    let now = at("2026-12-06T10:00:00Z");
    let utc = TimeZone::default();
    let none = db.reminders().get(&ada.id).await.unwrap();
    assert_eq!(none.frequency, Frequency::Off);
    assert!(none.channels().is_empty());

    let input = ReminderInput {
        webhook_url: Some(" https://hooks.example.com/devhub ".into()),
        ntfy_url: Some("https://ntfy.sh/ada-reminders".into()),
        ..daily(8)
    };
    let saved = db
        .reminders()
        .save(&ada.id, &input, utc, now)
        .await
        .unwrap();
    assert_eq!(
        saved.webhook_url.as_deref(),
        Some("https://hooks.example.com/devhub")
    );
    let secret = saved.webhook_secret.clone().unwrap();
    assert!(secret.len() >= 32);
    assert_eq!(saved.next_digest_at, Some(at("2026-12-07T08:00:00Z")));
    assert_eq!(saved.channels(), vec![Channel::Webhook, Channel::Ntfy]);
    // Saving again keeps the secret; a new one replaces it.
    let again = db
        .reminders()
        .save(&ada.id, &input, utc, now)
        .await
        .unwrap();
    assert_eq!(again.webhook_secret.as_deref(), Some(secret.as_str()));
    let new = db
        .reminders()
        .regenerate_webhook_secret(&ada.id, now)
        .await
        .unwrap();
    assert_ne!(new, secret);

    // Bad input: every field's problem, and nothing changes.
    let bad = ReminderInput {
        hour: 24,
        webhook_url: Some("ftp://example.com".into()),
        ntfy_url: Some("not a url".into()),
        ..daily(8)
    };
    match db.reminders().save(&ada.id, &bad, utc, now).await {
        Err(Error::Validation(errors)) => {
            let text = errors.to_string();
            for field in ["hour", "webhook_url", "ntfy_url"] {
                assert!(text.contains(field), "{text}");
            }
        }
        other => panic!("{other:?}"),
    }
    let kept = db.reminders().get(&ada.id).await.unwrap();
    assert_eq!(kept.hour, 8);
    assert_eq!(kept.webhook_secret.as_deref(), Some(new.as_str()));
}

#[tokio::test]
async fn an_address_gets_nothing_until_its_link_is_used_and_unsubscribing_stops_it() {
    let db = test_db().await;
    let ada = user(&db).await;
    let bob = user(&db).await;
    let now = at("2026-12-06T10:00:00Z");
    assert!(matches!(
        db.reminders()
            .set_email(&ada.id, Some("not an address"), now)
            .await,
        Err(Error::Validation(_))
    ));
    let token = db
        .reminders()
        .set_email(&ada.id, Some("ada@example.com"), now)
        .await
        .unwrap()
        .unwrap();
    let pending = db.reminders().get(&ada.id).await.unwrap();
    assert!(!pending.email_active());
    assert!(pending.channels().is_empty());

    // Expired a day later; bob's table row does not matter.
    db.reminders()
        .set_email(&bob.id, Some("bob@example.com"), now)
        .await
        .unwrap();
    // The link's page asks first: looking the link up changes nothing.
    for _ in 0..2 {
        assert_eq!(
            db.reminders()
                .pending_email(&token, now + Duration::hours(1))
                .await
                .unwrap()
                .as_deref(),
            Some("ada@example.com")
        );
    }
    assert!(!db.reminders().get(&ada.id).await.unwrap().email_active());
    assert!(db
        .reminders()
        .pending_email(&token, now + Duration::hours(25))
        .await
        .unwrap()
        .is_none());
    assert!(db
        .reminders()
        .confirm_email(&token, now + Duration::hours(25))
        .await
        .unwrap()
        .is_none());
    let (who, email) = db
        .reminders()
        .confirm_email(&token, now + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((who, email.as_str()), (ada.id.clone(), "ada@example.com"));
    // Once only.
    assert!(db
        .reminders()
        .confirm_email(&token, now)
        .await
        .unwrap()
        .is_none());
    assert!(db
        .reminders()
        .pending_email(&token, now)
        .await
        .unwrap()
        .is_none());
    let confirmed = db.reminders().get(&ada.id).await.unwrap();
    assert!(confirmed.email_active());
    assert!(!db.reminders().get(&bob.id).await.unwrap().email_active());
    // The same address again keeps its confirmation.
    assert!(db
        .reminders()
        .set_email(&ada.id, Some("ADA@example.com"), now)
        .await
        .unwrap()
        .is_none());

    let unsubscribe = confirmed.unsubscribe_token.clone().unwrap();
    assert!(db
        .reminders()
        .unsubscribe("nope", now)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        db.reminders().unsubscribe(&unsubscribe, now).await.unwrap(),
        Some(ada.id.clone())
    );
    let off = db.reminders().get(&ada.id).await.unwrap();
    assert!(!off.email_active());
    assert_eq!(off.email.as_deref(), Some("ada@example.com"));
    // A new address gets a new unsubscribe link; the old one stops working.
    db.reminders()
        .set_email(&ada.id, Some("ada@work.example"), now)
        .await
        .unwrap();
    assert!(db
        .reminders()
        .unsubscribe(&unsubscribe, now)
        .await
        .unwrap()
        .is_none());
}

/// Ada gets a daily digest at 08:00 in Auckland by webhook and ntfy.
async fn ada_with_a_digest(db: &devhub_db::Db, now: DateTime<Utc>) -> devhub_db::User {
    let ada = user(db).await;
    let zone = TimeZone::parse("Pacific/Auckland").unwrap();
    let prefs = devhub_db::Preferences {
        time_zone: zone,
        ..devhub_db::Preferences::default()
    };
    db.user_settings()
        .save_preferences(&ada.id, &prefs)
        .await
        .unwrap();
    let input = ReminderInput {
        webhook_url: Some("https://hooks.example.com/a".into()),
        ntfy_url: Some("https://ntfy.sh/a".into()),
        ..daily(8)
    };
    db.reminders()
        .save(&ada.id, &input, zone, now)
        .await
        .unwrap();
    ada
}

#[tokio::test]
async fn each_digest_is_planned_once_and_claimed_by_one_sender() {
    let db = test_db().await;
    // Sunday 10:00 UTC is Sunday 23:00 in Auckland: the next digest is Monday 08:00 there.
    let saved_at = at("2026-12-06T10:00:00Z");
    let ada = ada_with_a_digest(&db, saved_at).await;
    let next = db
        .reminders()
        .get(&ada.id)
        .await
        .unwrap()
        .next_digest_at
        .unwrap();
    assert_eq!(next, at("2026-12-06T19:00:00Z"));
    assert_eq!(
        db.reminders()
            .plan_digests(next - Duration::seconds(1), 100)
            .await
            .unwrap(),
        0
    );

    // Three planners at once, at 08:00 and a minute later: one delivery per channel.
    let reminders = db.reminders();
    let (a, b, c) = tokio::join!(
        reminders.plan_digests(next, 100),
        reminders.plan_digests(next, 100),
        reminders.plan_digests(next + Duration::minutes(1), 100),
    );
    assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 2);
    assert_eq!(
        count(
            &db,
            "SELECT count(*) FROM reminder_delivery WHERE slot = 'digest:2026-12-07'"
        )
        .await,
        2
    );
    // The next one is Tuesday's.
    let moved = db
        .reminders()
        .get(&ada.id)
        .await
        .unwrap()
        .next_digest_at
        .unwrap();
    assert_eq!(moved, at("2026-12-07T19:00:00Z"));

    // Three senders at once: each delivery to exactly one.
    let now = next + Duration::minutes(1);
    let (x, y, z) = tokio::join!(
        reminders.claim("one", now),
        reminders.claim("two", now),
        reminders.claim("three", now),
    );
    let claimed: Vec<_> = ["one", "two", "three"]
        .into_iter()
        .zip([x, y, z])
        .filter_map(|(holder, c)| c.unwrap().map(|d| (holder, d)))
        .collect();
    assert_eq!(claimed.len(), 2);
    assert_ne!(claimed[0].1.id, claimed[1].1.id);
    assert!(db.reminders().claim("four", now).await.unwrap().is_none());
    for (_, d) in &claimed {
        assert_eq!(d.kind, DeliveryKind::Digest);
        assert_eq!(d.slot_date().unwrap().to_string(), "2026-12-07");
        assert_eq!(d.attempts, 1);
    }

    // A sender that crashed holds its lease until it lapses; then another gets the row and
    // the first one's late answer is not recorded.
    let (holder, delivered) = &claimed[1];
    db.reminders()
        .record(delivered, holder, AttemptOutcome::Sent, "250 ok", true, now)
        .await
        .unwrap()
        .unwrap();
    let crashed = &claimed[0].1;
    let later = now + Duration::seconds(devhub_db::repo::reminder::LEASE_SECONDS);
    let again = db.reminders().claim("four", later).await.unwrap().unwrap();
    assert_eq!(again.id, crashed.id);
    assert_eq!(again.attempts, 2);
    let lost = db
        .reminders()
        .record(
            crashed,
            "zzz-not-the-holder",
            AttemptOutcome::Sent,
            "250 ok",
            true,
            later,
        )
        .await
        .unwrap();
    assert_eq!(lost, None);
    let sent = db
        .reminders()
        .record(
            &again,
            "four",
            AttemptOutcome::Sent,
            "250 2.0.0 queued",
            true,
            later,
        )
        .await
        .unwrap();
    assert_eq!(sent, Some(DeliveryStatus::Sent));
    assert_eq!(
        count(&db, "SELECT count(*) FROM reminder_attempt").await,
        2,
        "one attempt recorded each: the crashed one never answered"
    );
}

#[tokio::test]
async fn temporary_failures_are_retried_with_a_back_off_and_given_up_after_a_day() {
    let db = test_db().await;
    let saved_at = at("2026-12-06T10:00:00Z");
    let ada = ada_with_a_digest(&db, saved_at).await;
    let due = at("2026-12-06T19:00:00Z");
    db.reminders().plan_digests(due, 100).await.unwrap();
    let mut now = due;
    let first = db.reminders().claim("s", now).await.unwrap().unwrap();
    let status = db
        .reminders()
        .record(
            &first,
            "s",
            AttemptOutcome::Temporary,
            "451 4.3.0 try later",
            true,
            now,
        )
        .await
        .unwrap();
    assert_eq!(status, Some(DeliveryStatus::Pending));
    // The dashboard's question: the newest reminder is being retried.
    let failure = db.reminders().last_failure(&ada.id).await.unwrap().unwrap();
    assert!(failure.retrying());
    assert_eq!(failure.last_error.as_deref(), Some("451 4.3.0 try later"));
    assert_eq!(failure.next_attempt_at, now + Duration::seconds(60));
    // Not before its time.
    let other = db
        .reminders()
        .claim("s", now + Duration::seconds(59))
        .await
        .unwrap();
    assert!(other.is_none_or(|d| d.id != first.id));

    // Keep failing for a day: the waits double up to an hour, then it is given up.
    let mut tries = 1;
    let status = loop {
        let Some(d) = db
            .reminders()
            .claim("s", now + Duration::hours(1))
            .await
            .unwrap()
        else {
            panic!("nothing to claim after {tries} tries");
        };
        if d.id != first.id {
            // The other channel's delivery: send it.
            db.reminders()
                .record(&d, "s", AttemptOutcome::Sent, "200", true, now)
                .await
                .unwrap();
            continue;
        }
        now += Duration::hours(1);
        tries += 1;
        let status = db
            .reminders()
            .record(&d, "s", AttemptOutcome::Temporary, "451 still", true, now)
            .await
            .unwrap()
            .unwrap();
        if status != DeliveryStatus::Pending {
            break status;
        }
    };
    assert_eq!(status, DeliveryStatus::Failed);
    assert!((20..=26).contains(&tries), "{tries}");
    let failure = db.reminders().last_failure(&ada.id).await.unwrap().unwrap();
    assert_eq!(failure.status, DeliveryStatus::Failed);
    let attempts = db.reminders().attempts(&ada.id, &first.id).await.unwrap();
    assert_eq!(attempts.len(), tries);
    assert!(attempts
        .iter()
        .all(|(_, o, _)| *o == AttemptOutcome::Temporary));

    // A permanent failure is not retried.
    let next = db
        .reminders()
        .get(&ada.id)
        .await
        .unwrap()
        .next_digest_at
        .unwrap();
    db.reminders().plan_digests(next, 100).await.unwrap();
    let d = db.reminders().claim("s", next).await.unwrap().unwrap();
    let status = db
        .reminders()
        .record(
            &d,
            "s",
            AttemptOutcome::Permanent,
            "404 Not Found",
            true,
            next,
        )
        .await
        .unwrap();
    assert_eq!(status, Some(DeliveryStatus::Failed));
}

#[tokio::test]
async fn follow_ups_are_pushed_on_their_day_at_the_reminder_hour() {
    let db = test_db().await;
    let saved_at = at("2026-12-06T10:00:00Z");
    let ada = ada_with_a_digest(&db, saved_at).await;
    let zone = TimeZone::parse("Pacific/Auckland").unwrap();
    let input = ReminderInput {
        follow_up_push: true,
        frequency: Frequency::Off,
        webhook_url: Some("https://hooks.example.com/a".into()),
        ..daily(8)
    };
    db.reminders()
        .save(&ada.id, &input, zone, saved_at)
        .await
        .unwrap();
    let grace = db
        .contacts()
        .create(&ada.id, &contact("Grace Hopper"))
        .await
        .unwrap();
    let due = FollowUpInput {
        due_date: "2026-12-07".into(),
        note: Some("send the paper".into()),
    }
    .parse()
    .unwrap();
    let follow_up = db
        .follow_ups()
        .create(&ada.id, &grace.id, &due)
        .await
        .unwrap();
    let later = FollowUpInput {
        due_date: "2026-12-09".into(),
        note: None,
    }
    .parse()
    .unwrap();
    db.follow_ups()
        .create(&ada.id, &grace.id, &later)
        .await
        .unwrap();

    // 07:59 on the 7th in Auckland: not yet; 08:00: the follow-up due that day, once.
    assert_eq!(
        db.reminders()
            .plan_follow_ups(at("2026-12-06T18:59:00Z"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.reminders()
            .plan_follow_ups(at("2026-12-06T19:00:00Z"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.reminders()
            .plan_follow_ups(at("2026-12-06T21:00:00Z"))
            .await
            .unwrap(),
        0
    );
    let d = db
        .reminders()
        .claim("s", at("2026-12-06T21:00:00Z"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.kind, DeliveryKind::FollowUp);
    assert_eq!(d.follow_up_id.as_deref(), Some(follow_up.id.as_str()));
    assert_eq!(d.channel, Channel::Webhook);
    // Nothing left to say: skipped, no attempt, and not a failure.
    assert!(db
        .reminders()
        .skip(&d, "s", "done already", at("2026-12-06T21:00:00Z"))
        .await
        .unwrap());
    assert!(db
        .reminders()
        .last_failure(&ada.id)
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_users_reminders_are_theirs_alone() {
    let db = test_db().await;
    let _admin = user(&db).await;
    let now = at("2026-12-06T19:00:00Z");
    let ada = ada_with_a_digest(&db, at("2026-12-06T10:00:00Z")).await;
    let eve = user(&db).await;
    db.reminders().plan_digests(now, 100).await.unwrap();
    let d = db.reminders().claim("s", now).await.unwrap().unwrap();
    db.reminders()
        .record(&d, "s", AttemptOutcome::Permanent, "410 Gone", true, now)
        .await
        .unwrap();
    assert_eq!(
        db.reminders().deliveries(&ada.id, 20).await.unwrap().len(),
        2
    );
    assert!(db
        .reminders()
        .deliveries(&eve.id, 20)
        .await
        .unwrap()
        .is_empty());
    assert!(db
        .reminders()
        .attempts(&eve.id, &d.id)
        .await
        .unwrap()
        .is_empty());
    assert!(db
        .reminders()
        .last_failure(&eve.id)
        .await
        .unwrap()
        .is_none());
    assert!(db
        .reminders()
        .last_failure(&ada.id)
        .await
        .unwrap()
        .is_some());
    // Eve's settings are her own row; regenerating a secret she has no webhook for is refused.
    assert!(matches!(
        db.reminders().regenerate_webhook_secret(&eve.id, now).await,
        Err(Error::Validation(_))
    ));
    assert!(db
        .reminders()
        .get(&ada.id)
        .await
        .unwrap()
        .webhook_secret
        .is_some());
    // Deleting the account deletes its reminders.
    db.users().delete_account(&ada.id).await.unwrap();
    assert_eq!(
        count(&db, "SELECT count(*) FROM reminder_delivery").await,
        0
    );
    assert_eq!(
        count(&db, "SELECT count(*) FROM reminder_settings").await,
        0
    );
}
