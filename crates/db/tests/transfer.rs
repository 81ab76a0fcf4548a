//! Import and export: realistic sample files of Google, Apple, Outlook and LinkedIn, the
//! round trips, duplicates, all-or-nothing and owner scoping, on real database files.

mod common;

use chrono::NaiveDate;
use common::{contact, test_db, user};
use devhub_db::transfer::export::{export_contacts, ContactFormat};
use devhub_db::transfer::plan::{self, DuplicatePolicy, Match, Target};
use devhub_db::transfer::{backup, parse_upload, FileError, ImportFormat, ParsedImport};
use devhub_db::validate::{Email, PhoneNumber, WebUrl};
use devhub_db::{
    BackgroundInput, ContactInfoInput, ContactQuery, Db, FollowUpInput, InteractionInput,
    NewContactInfo, TagInput, UserId,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(name: &str) -> ParsedImport {
    parse_upload(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn import(
    db: &Db,
    user: &UserId,
    bytes: &[u8],
    policy: DuplicatePolicy,
) -> plan::ImportSummary {
    let parsed = parse_upload(bytes).expect("readable file");
    plan::apply(db, user, parsed, policy).await.expect("import")
}

async fn export(db: &Db, user: &UserId, format: ContactFormat) -> String {
    let mut out = Vec::new();
    export_contacts(db, user, None, format, &mut out)
        .await
        .expect("export");
    String::from_utf8(out).expect("utf-8")
}

/// The profile links of parsed contact info, as text.
fn links(info: &NewContactInfo) -> Vec<&str> {
    info.social_links().iter().map(WebUrl::as_str).collect()
}

async fn contact_count(db: &Db, user: &UserId) -> u64 {
    db.contacts()
        .list(user, &ContactQuery::default())
        .await
        .expect("list")
        .total
}

#[test]
fn google_vcards_map_names_birthdays_company_address_emails_links_and_notes() {
    let parsed = parse("google.vcf");
    assert_eq!(parsed.format, ImportFormat::Vcard);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let [ada, zoe, kenji] = &parsed.contacts[..] else {
        panic!("three cards: {:?}", parsed.contacts);
    };
    assert_eq!(ada.line, 1);
    assert_eq!(ada.contact.name().as_str(), "Ada Lovelace");
    // Years before 1900 (Apple writes 1604 for "no year") are taken as unknown.
    assert_eq!(
        ada.contact.birthday(),
        NaiveDate::from_ymd_opt(1904, 12, 10)
    );
    assert_eq!(
        ada.contact.location(),
        Some("12 St James's Square, London, SW1Y 4JH, United Kingdom")
    );
    assert!(!ada.contact.vip(), "details alone do not make a VIP");
    assert_eq!(ada.background.company(), Some("Analytical Engines Ltd"));
    assert_eq!(
        ada.details.info().email().map(Email::as_str),
        Some("ada@example.com")
    );
    assert_eq!(
        ada.details.info().phone_number().map(PhoneNumber::as_str),
        Some("+44 20 7946 0958")
    );
    assert_eq!(
        links(ada.details.info()),
        vec!["https://github.com/ada".to_string()]
    );
    // NOTE is the contact's notes; what has no field of its own, the background's.
    let notes = ada.contact.notes().unwrap_or("");
    assert!(notes.starts_with("Met at the Difference Engine meetup.\nWants to talk about Bernoulli numbers, loops; and more."), "{notes}");
    let extra = ada.background.misc_notes().unwrap_or("");
    assert!(extra.contains("Title: Mathematician"), "{extra}");
    // Every e-mail and phone, with the label its TYPE gives.
    let input = ada.details.to_input();
    let labeled = |l: &[devhub_db::Labeled]| {
        l.iter()
            .map(|x| (x.value.clone(), x.label.clone().unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        labeled(&input.emails),
        [
            ("ada@example.com".to_string(), "home".to_string()),
            (
                "ada.lovelace@analytical.example".to_string(),
                "work".to_string()
            )
        ]
    );
    assert_eq!(
        labeled(&input.phones),
        [("+44 20 7946 0958".to_string(), "mobile".to_string())]
    );
    assert!(!extra.contains("Other e-mails"), "{extra}");
    assert_eq!(ada.tags, vec!["Mentors".to_string()]);
    assert_eq!(
        ada.emails,
        vec![
            "ada@example.com".to_string(),
            "ada.lovelace@analytical.example".to_string()
        ]
    );

    assert_eq!(zoe.contact.name().as_str(), "Zoë Müller-Łukasiewicz");
    assert_eq!(
        zoe.contact.birthday(),
        NaiveDate::from_ymd_opt(1904, 2, 29),
        "no year"
    );
    assert_eq!(
        kenji.contact.name().as_str(),
        "Kenji Tanaka",
        "from N when FN is missing"
    );
    assert_eq!(
        kenji.details.info().phone_number().map(PhoneNumber::as_str),
        Some("+81 3-1234-5678")
    );
}

#[test]
fn apple_vcards_unfold_lines_skip_photos_and_read_social_profiles() {
    let parsed = parse("apple.vcf");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let [grace] = &parsed.contacts[..] else {
        panic!("one card");
    };
    assert_eq!(grace.contact.name().as_str(), "Grace Hopper");
    assert_eq!(
        grace.contact.birthday(),
        NaiveDate::from_ymd_opt(1904, 12, 9)
    );
    assert_eq!(
        grace.contact.location(),
        Some("1 Cobol Way, Arlington, VA, 22201, USA")
    );
    assert_eq!(grace.background.company(), Some("US Navy"));
    assert_eq!(
        grace.details.info().phone_number().map(PhoneNumber::as_str),
        Some("(555) 010-2030")
    );
    assert_eq!(
        links(grace.details.info()),
        vec![
            "https://twitter.com/gracehopper".to_string(),
            "https://www.linkedin.com/in/grace".to_string()
        ]
    );
    let notes = grace.contact.notes().unwrap_or("");
    assert!(
        notes.starts_with("She found the first actual bug. This note is deliberately long so that the exporter folds it over more than one line, as Apple Contacts does."),
        "{notes}"
    );
    assert!(
        !notes.contains("PHOTO") && notes.len() < 400,
        "the photo is skipped"
    );
}

#[test]
fn links_without_a_scheme_are_taken_as_https_by_the_rule_the_forms_use() {
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nURL:github.com/ada\r\n\
                URL:https://ada.dev\r\nURL:ada\r\nURL:@ada@hachyderm.io\r\nEND:VCARD\r\n";
    let parsed = parse_upload(card.as_bytes()).expect("readable");
    let [ada] = &parsed.contacts[..] else {
        panic!("one card: {parsed:?}");
    };
    assert_eq!(
        links(ada.details.info()),
        ["https://github.com/ada", "https://ada.dev"]
    );
    // What is no web address is kept in the notes, not dropped.
    let notes = ada.background.misc_notes().unwrap_or("");
    assert!(notes.contains("Profile: ada"), "{notes}");
    assert!(notes.contains("Profile: @ada@hachyderm.io"), "{notes}");
    // The forms and the API take each link the same way.
    for (raw, stored) in [
        ("github.com/ada", Ok("https://github.com/ada")),
        ("https://ada.dev", Ok("https://ada.dev")),
    ] {
        let input = ContactInfoInput {
            social_links: vec![raw.to_string()],
            ..ContactInfoInput::default()
        };
        let parsed = input.parse().expect("valid");
        assert_eq!(links(&parsed).first().copied().ok_or(()), stored, "{raw}");
    }
    let refused = ContactInfoInput {
        social_links: vec!["ada".to_string()],
        ..ContactInfoInput::default()
    };
    assert!(refused.parse().is_err());
}

#[test]
fn outlook_quoted_printable_values_decode_in_their_charset() {
    let parsed = parse("outlook.vcf");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let [jorg] = &parsed.contacts[..] else {
        panic!("one card");
    };
    assert_eq!(jorg.contact.name().as_str(), "Jörg Straßer");
    assert_eq!(
        jorg.contact.location(),
        Some("Straße 1, München, 80331, Deutschland")
    );
    assert_eq!(
        jorg.details.info().phone_number().map(PhoneNumber::as_str),
        Some("+49 30 1234567")
    );
    assert_eq!(
        links(jorg.details.info()),
        vec!["http://contoso.example/joerg".to_string()]
    );
    let notes = jorg.contact.notes().unwrap_or("");
    assert!(
        notes.starts_with("Kennt sich mit Rust aus.\r\nMöchte einen Vortrag halten."),
        "{notes:?}"
    );
    // Outlook's bare `TEL;WORK;VOICE` and `TEL;CELL;VOICE` give the labels.
    let phones: Vec<(String, Option<String>)> = jorg
        .details
        .to_input()
        .phones
        .into_iter()
        .map(|p| (p.value, p.label))
        .collect();
    assert_eq!(
        phones,
        [
            ("+49 30 1234567".to_string(), Some("work".to_string())),
            ("+49 170 7654321".to_string(), Some("mobile".to_string()))
        ]
    );
}

#[test]
fn vcard4_cards_without_a_name_are_reported_with_their_line() {
    let parsed = parse("v4.vcf");
    let [linus, nameless] = &parsed.contacts[..] else {
        panic!("two readable cards: {:?}", parsed.contacts);
    };
    assert_eq!(
        linus.contact.birthday(),
        NaiveDate::from_ymd_opt(1969, 12, 28)
    );
    assert_eq!(
        linus.details.info().phone_number().map(PhoneNumber::as_str),
        Some("+1-555-555-0100")
    );
    // An e-mail that is no address still names the card; it is kept in the notes.
    assert_eq!(nameless.contact.name().as_str(), "nobody-has-a-name");
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].line, 15);
    assert_eq!(parsed.errors[0].reason, "the record has no name");
}

#[test]
fn google_csv_and_linkedin_connections_are_recognised_and_mapped() {
    let google = parse("google.csv");
    assert_eq!(google.format, ImportFormat::GoogleCsv);
    let [margaret, soren] = &google.contacts[..] else {
        panic!("two contacts: {:?}", google.contacts);
    };
    assert_eq!(margaret.contact.name().as_str(), "Margaret Hamilton");
    assert_eq!(
        margaret.contact.birthday(),
        NaiveDate::from_ymd_opt(1936, 8, 17)
    );
    assert_eq!(
        margaret.contact.location(),
        Some("1 Main St, Cambridge, MA 02139, USA")
    );
    assert_eq!(
        margaret.details.info().email().map(Email::as_str),
        Some("margaret@example.com")
    );
    assert_eq!(margaret.emails.len(), 3);
    assert_eq!(margaret.tags, vec!["Mentors".to_string()]);
    assert!(
        margaret.contact.notes().is_some_and(
            |n| n.starts_with("Apollo guidance software.\nAsk about the \"Lauren bug\".")
        )
    );
    assert_eq!(margaret.details.to_input().emails.len(), 3);
    assert_eq!(soren.contact.name().as_str(), "Søren Kierkegaard");
    assert_eq!(
        soren.contact.birthday(),
        NaiveDate::from_ymd_opt(1904, 5, 5)
    );
    assert_eq!(soren.contact.location(), Some("Copenhagen, Denmark"));
    assert!(!soren.contact.vip());
    assert_eq!(google.errors.len(), 1);
    assert_eq!(google.errors[0].line, 8);

    let linkedin = parse("Connections.csv");
    assert_eq!(linkedin.format, ImportFormat::LinkedInCsv);
    assert!(linkedin.errors.is_empty(), "{:?}", linkedin.errors);
    let names: Vec<&str> = linkedin
        .contacts
        .iter()
        .map(|c| c.contact.name().as_str())
        .collect();
    assert_eq!(names, ["Barbara Liskov", "Radia Perlman", "José Núñez"]);
    let barbara = &linkedin.contacts[0];
    assert_eq!(barbara.line, 5);
    assert_eq!(barbara.background.company(), Some("MIT"));
    assert_eq!(
        barbara.details.info().email().map(Email::as_str),
        Some("barbara@example.com")
    );
    assert_eq!(
        links(barbara.details.info()),
        vec!["https://www.linkedin.com/in/barbara-liskov".to_string()]
    );
    assert_eq!(
        linkedin.contacts[2].background.company(),
        Some("Acme, Inc.")
    );
}

#[test]
fn broken_files_are_refused_whole() {
    let truncated = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Gra";
    assert_eq!(
        parse_upload(truncated),
        Err(FileError::Truncated { line: 5 })
    );
    let nested = b"BEGIN:VCARD\nFN:A\nBEGIN:VCARD\nFN:B\nEND:VCARD\n";
    assert_eq!(parse_upload(nested), Err(FileError::Truncated { line: 1 }));
    let junk = b"BEGIN:VCARD\nFN:A\nEND:VCARD\n\x7fELF\x02\x01\x01\x00";
    assert_eq!(parse_upload(junk), Err(FileError::Binary { line: 4 }));
    assert_eq!(
        parse_upload(b"id;amount\n1;2\n"),
        Err(FileError::UnknownFormat)
    );
    let latin1 = b"First Name,Last Name,E-mail 1 - Value\nJos\xe9,Garc\xeda,j@example.com\n";
    assert_eq!(parse_upload(latin1), Err(FileError::NotUtf8 { line: 2 }));
}

#[tokio::test]
async fn importing_the_same_file_twice_creates_nothing_the_second_time() {
    let db = test_db().await;
    let u = user(&db).await;
    let first = import(&db, &u.id, &fixture("google.vcf"), DuplicatePolicy::Skip).await;
    assert_eq!(first.created, 3);
    let second = import(&db, &u.id, &fixture("google.vcf"), DuplicatePolicy::Skip).await;
    assert_eq!((second.created, second.skipped), (0, 3));
    let merged = import(&db, &u.id, &fixture("google.vcf"), DuplicatePolicy::Merge).await;
    assert_eq!((merged.created, merged.merged), (0, 3));
    assert_eq!(contact_count(&db, &u.id).await, 3);

    let page = db
        .contacts()
        .list(&u.id, &ContactQuery::default())
        .await
        .unwrap();
    let ada = page
        .contacts
        .iter()
        .find(|c| c.name == "Ada Lovelace")
        .unwrap();
    assert!(!ada.vip, "details alone do not make a VIP");
    let info = db
        .contact_infos()
        .get(&u.id, &ada.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.email.as_deref(), Some("ada@example.com"));
    let tags = db.tags().list(&u.id).await.unwrap();
    assert_eq!(
        tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["Mentors"]
    );
}

#[tokio::test]
async fn the_preview_names_duplicates_by_email_then_by_name_and_writes_nothing() {
    let db = test_db().await;
    let u = user(&db).await;
    let existing = db
        .contacts()
        .create(&u.id, &contact("Someone Else"))
        .await
        .unwrap();
    db.contact_infos()
        .upsert(
            &u.id,
            &existing.id,
            &ContactInfoInput {
                email: Some("ADA@example.com".into()),
                ..ContactInfoInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.contacts()
        .create(&u.id, &contact("kenji  tanaka"))
        .await
        .unwrap();

    let preview = plan::preview(&db, &u.id, parse("google.vcf"))
        .await
        .unwrap();
    assert_eq!(preview.new_contacts.len(), 1);
    assert_eq!(
        preview.new_contacts[0].contact.name().as_str(),
        "Zoë Müller-Łukasiewicz"
    );
    assert_eq!(preview.duplicates.len(), 2);
    assert_eq!(
        preview.duplicates[0].matched,
        Match::Email("ada@example.com".into())
    );
    assert!(
        matches!(&preview.duplicates[0].target, Target::Existing { id, .. } if *id == existing.id)
    );
    assert_eq!(preview.duplicates[1].matched, Match::Name);
    assert_eq!(
        contact_count(&db, &u.id).await,
        2,
        "a preview writes nothing"
    );

    // Merging fills in what the existing contact lacks and keeps what it has.
    let summary = import(&db, &u.id, &fixture("google.vcf"), DuplicatePolicy::Merge).await;
    assert_eq!((summary.created, summary.merged), (1, 2));
    let merged = db.contacts().get(&u.id, &existing.id).await.unwrap();
    assert_eq!(merged.name, "Someone Else");
    assert!(!merged.vip, "a merge keeps the contact's VIP status");
    let bg = db
        .backgrounds()
        .get(&u.id, &existing.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bg.company.as_deref(), Some("Analytical Engines Ltd"));
    let info = db
        .contact_infos()
        .get(&u.id, &existing.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.email.as_deref(), Some("ADA@example.com"));
    assert_eq!(info.phone_number.as_deref(), Some("+44 20 7946 0958"));
}

#[tokio::test]
async fn duplicates_inside_one_file_become_one_contact() {
    let db = test_db().await;
    let u = user(&db).await;
    let file = b"BEGIN:VCARD\nVERSION:3.0\nFN:Ada\nEMAIL:ada@example.com\nEND:VCARD\n\
                 BEGIN:VCARD\nVERSION:3.0\nFN:Ada L.\nEMAIL:ADA@example.com\nTEL:+44 1234 5678\nEND:VCARD\n";
    let summary = import(&db, &u.id, file, DuplicatePolicy::Merge).await;
    assert_eq!((summary.created, summary.merged), (1, 1));
    let page = db
        .contacts()
        .list(&u.id, &ContactQuery::default())
        .await
        .unwrap();
    let info = db
        .contact_infos()
        .get(&u.id, &page.contacts[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.phone_number.as_deref(), Some("+44 1234 5678"));
}

async fn strip_uids(vcards: String) -> String {
    vcards
        .lines()
        .filter(|l| !l.starts_with("UID:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn vcard_and_csv_exports_import_back_to_the_same_export() {
    let db = test_db().await;
    let source = user(&db).await;
    for f in [
        "google.vcf",
        "apple.vcf",
        "outlook.vcf",
        "v4.vcf",
        "google.csv",
        "Connections.csv",
    ] {
        import(&db, &source.id, &fixture(f), DuplicatePolicy::Skip).await;
    }
    let page = db
        .contacts()
        .list(&source.id, &ContactQuery::default())
        .await
        .unwrap();
    let someone = &page.contacts[0];
    db.contacts()
        .set_status(&source.id, &someone.id, devhub_db::ContactStatus::Archived)
        .await
        .unwrap();
    assert_eq!(contact_count(&db, &source.id).await, 12);

    for format in [ContactFormat::Vcard, ContactFormat::Csv] {
        let first = export(&db, &source.id, format).await;
        let target = user(&db).await;
        let summary = import(&db, &target.id, first.as_bytes(), DuplicatePolicy::Skip).await;
        assert_eq!(summary.created, 12, "{format:?}");
        assert_eq!(summary.unreadable, 0, "{format:?}");
        let second = export(&db, &target.id, format).await;
        assert_eq!(
            strip_uids(first).await,
            strip_uids(second).await,
            "{format:?}"
        );
    }
}

#[tokio::test]
async fn a_filtered_export_holds_the_filtered_list_only() {
    let db = test_db().await;
    let u = user(&db).await;
    import(&db, &u.id, &fixture("google.csv"), DuplicatePolicy::Skip).await;
    let hamiltons = ContactQuery {
        search: Some("hamil".into()),
        ..ContactQuery::default()
    };
    let mut out = Vec::new();
    let n = export_contacts(&db, &u.id, Some(&hamiltons), ContactFormat::Vcard, &mut out)
        .await
        .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(n, 1);
    assert!(text.contains("FN:Margaret Hamilton"));
    assert!(!text.contains("Kierkegaard"));
}

#[tokio::test]
async fn imports_and_exports_never_touch_another_users_contacts() {
    let db = test_db().await;
    let alice = user(&db).await;
    let bob = user(&db).await;
    db.contacts()
        .create(&bob.id, &contact("Ada Lovelace"))
        .await
        .unwrap();
    // Bob has Ada; Alice's import does not see her as a duplicate.
    let summary = import(
        &db,
        &alice.id,
        &fixture("google.vcf"),
        DuplicatePolicy::Merge,
    )
    .await;
    assert_eq!((summary.created, summary.merged), (3, 0));
    assert_eq!(contact_count(&db, &bob.id).await, 1);
    let bob_export = export(&db, &bob.id, ContactFormat::Vcard).await;
    assert_eq!(bob_export.matches("BEGIN:VCARD").count(), 1);
    assert!(!bob_export.contains("Zoë"));
    let mut json = Vec::new();
    backup::export(&db, &bob.id, &mut json).await.unwrap();
    let b = backup::parse(std::str::from_utf8(&json).unwrap()).unwrap();
    assert_eq!(b.contacts.len(), 1);
    assert!(b.tags.is_empty());
}

async fn backup_of(db: &Db, user: &UserId) -> backup::Backup {
    let mut json = Vec::new();
    backup::export(db, user, &mut json).await.expect("backup");
    backup::parse(std::str::from_utf8(&json).expect("utf-8")).expect("readable backup")
}

#[tokio::test]
async fn a_json_backup_restores_losslessly_into_an_empty_account() {
    let db = test_db().await;
    let source = user(&db).await;
    import(
        &db,
        &source.id,
        &fixture("google.vcf"),
        DuplicatePolicy::Skip,
    )
    .await;
    let ada = db
        .contacts()
        .create(&source.id, &contact("Ada Byron"))
        .await
        .unwrap();
    db.backgrounds()
        .upsert(
            &source.id,
            &ada.id,
            &BackgroundInput {
                family: Some("Daughter of Lord Byron".into()),
                likes_dislikes: Some("Likes: poetical science".into()),
                ..BackgroundInput::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.interactions()
        .create(
            &source.id,
            &ada.id,
            // A time of day, as another client may store it: the restore keeps it.
            &InteractionInput {
                type_: "call".into(),
                date: "2023-11-14".into(),
                notes: Some("Talked about the engine".into()),
            }
            .parse()
            .unwrap()
            .keeping_time_of(chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap()),
        )
        .await
        .unwrap();
    let f = db
        .follow_ups()
        .create(
            &source.id,
            &ada.id,
            &FollowUpInput {
                due_date: "2030-01-02".into(),
                note: Some("Send notes".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.follow_ups().complete(&source.id, &f.id).await.unwrap();
    db.follow_ups()
        .create(
            &source.id,
            &ada.id,
            &FollowUpInput {
                due_date: "2031-03-04".into(),
                note: None,
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    let tag = db
        .tags()
        .create(
            &source.id,
            &TagInput {
                name: "Speakers".into(),
                color: Some("#aa3300".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.tags()
        .attach(&source.id, &ada.id, &tag.id)
        .await
        .unwrap();
    db.cadences()
        .set(
            &source.id,
            &ada.id,
            Some(devhub_db::CadenceDays::new(14).unwrap()),
        )
        .await
        .unwrap();
    db.user_settings()
        .save_preferences(
            &source.id,
            &devhub_db::Preferences {
                time_zone: devhub_db::TimeZone::parse("Europe/Berlin").unwrap(),
                cadence_days: devhub_db::CadenceDays::new(60).unwrap(),
                vip_cadence_days: devhub_db::CadenceDays::new(20).unwrap(),
            },
        )
        .await
        .unwrap();
    db.user_settings()
        .set_calendar_token(&source.id, &devhub_db::sha256_hex("secret"))
        .await
        .unwrap();

    let first = backup_of(&db, &source.id).await;
    assert_eq!(first.contacts.len(), 4);
    let json = serde_json::to_string(&first).unwrap();
    assert!(
        !json.contains(&devhub_db::sha256_hex("secret")),
        "no secrets in a backup"
    );

    let target = user(&db).await;
    let restored = backup::restore(&db, &target.id, &first).await.unwrap();
    assert_eq!(
        (
            restored.contacts,
            restored.interactions,
            restored.follow_ups,
            restored.tags
        ),
        (4, 1, 2, 2)
    );
    let second = backup_of(&db, &target.id).await;
    assert_ne!(first.contacts[0].id, second.contacts[0].id, "ids are new");
    assert_eq!(first.without_ids(), second.without_ids());
    // The source is untouched, and a second restore into a non-empty account is refused.
    assert_eq!(contact_count(&db, &source.id).await, 4);
    let again = backup::restore(&db, &target.id, &backup_of(&db, &source.id).await).await;
    assert!(
        matches!(again, Err(devhub_db::Error::Validation(_))),
        "{again:?}"
    );
    assert_eq!(contact_count(&db, &target.id).await, 4);
}

#[tokio::test]
async fn a_restore_that_fails_half_way_writes_nothing() {
    let db = test_db().await;
    let source = user(&db).await;
    import(
        &db,
        &source.id,
        &fixture("google.vcf"),
        DuplicatePolicy::Skip,
    )
    .await;
    let mut broken = backup_of(&db, &source.id).await;
    // The last contact names a tag the backup does not have.
    if let Some(last) = broken.contacts.last_mut() {
        last.tags.push(backup::BackupContactTag {
            tag_id: "no-such-tag".into(),
            created_at: last.created_at,
            updated_at: last.created_at,
        });
    }
    let target = user(&db).await;
    assert!(backup::restore(&db, &target.id, &broken).await.is_err());
    assert_eq!(contact_count(&db, &target.id).await, 0);
    assert!(db.tags().list(&target.id).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_backup_that_breaks_a_schema_rule_is_a_validation_error_and_writes_nothing() {
    let db = test_db().await;
    let source = user(&db).await;
    import(
        &db,
        &source.id,
        &fixture("google.vcf"),
        DuplicatePolicy::Skip,
    )
    .await;
    let mut broken = backup_of(&db, &source.id).await;
    if let Some(last) = broken.contacts.last_mut() {
        last.cadence = Some(backup::BackupCadence {
            days: 0,
            created_at: last.created_at,
            updated_at: last.created_at,
        });
    }
    let target = user(&db).await;
    let result = backup::restore(&db, &target.id, &broken).await;
    assert!(
        matches!(result, Err(devhub_db::Error::Validation(_))),
        "{result:?}"
    );
    assert_eq!(contact_count(&db, &target.id).await, 0);
}

#[tokio::test]
async fn uploads_waiting_for_confirmation_are_kept_per_user_and_bounded() {
    let db = test_db().await;
    let alice = user(&db).await;
    let bob = user(&db).await;
    let bobs = db
        .import_uploads()
        .create(&bob.id, "b.vcf", b"BEGIN:VCARD")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            db.import_uploads()
                .create(&alice.id, &format!("{i}.vcf"), b"BEGIN:VCARD")
                .await
                .unwrap(),
        );
    }
    // Alice keeps her latest five; Bob's upload is his alone and untouched.
    assert!(db
        .import_uploads()
        .get(&alice.id, &ids[0])
        .await
        .unwrap()
        .is_none());
    let latest = db
        .import_uploads()
        .get(&alice.id, &ids[5])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (latest.file_name.as_str(), latest.content.as_slice()),
        ("5.vcf", &b"BEGIN:VCARD"[..])
    );
    assert!(db
        .import_uploads()
        .get(&alice.id, &ids[1])
        .await
        .unwrap()
        .is_some());
    assert!(db
        .import_uploads()
        .get(&alice.id, &bobs)
        .await
        .unwrap()
        .is_none());
    assert!(db
        .import_uploads()
        .get(&bob.id, &bobs)
        .await
        .unwrap()
        .is_some());
    db.import_uploads()
        .delete(&alice.id, &ids[5])
        .await
        .unwrap();
    assert!(db
        .import_uploads()
        .get(&alice.id, &ids[5])
        .await
        .unwrap()
        .is_none());
}

/// The stored text of every exported column of `user`'s contacts, read with SQL (not through
/// the export), ordered by name.
async fn stored_texts(db: &Db, user: &UserId) -> Vec<Vec<Option<String>>> {
    let conn = db.conn().await.expect("connection");
    let mut rows = conn
        .query(
            "SELECT c.name, c.relationship, c.industry, c.location, b.company, b.family, \
                    b.likes_dislikes, b.misc_notes, ci.main_app, ci.phone_number \
               FROM contact c \
               LEFT JOIN background b ON b.contact_id = c.id \
               LEFT JOIN contact_info ci ON ci.contact_id = c.id \
              WHERE c.user_id = ?1 ORDER BY c.name",
            [user.as_str()],
        )
        .await
        .expect("query");
    let mut out = Vec::new();
    while let Some(row) = rows.next().await.expect("row") {
        out.push(
            (0..10)
                .map(|i| row.get::<Option<String>>(i).expect("text or NULL"))
                .collect(),
        );
    }
    out
}

#[tokio::test]
async fn cells_a_spreadsheet_would_run_are_exported_neutralised_and_import_back_unchanged() {
    let db = test_db().await;
    let source = user(&db).await;
    let evil = r#"=HYPERLINK("http://evil.example","x")"#;
    let c = db
        .contacts()
        .create(
            &source.id,
            &devhub_db::ContactInput {
                name: evil.into(),
                relationship: Some("+colleague".into()),
                industry: Some("-2+3".into()),
                location: Some("@SUM(1,2)".into()),
                vip: true,
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.backgrounds()
        .upsert(
            &source.id,
            &c.id,
            &BackgroundInput {
                company: Some("=1+1".into()),
                family: Some("-cmd|' /C calc'!A0".into()),
                likes_dislikes: Some("@likes".into()),
                misc_notes: Some("'=already quoted by the user".into()),
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.contact_infos()
        .upsert(
            &source.id,
            &c.id,
            &ContactInfoInput {
                main_app: Some("+Signal".into()),
                phone_number: Some("+44 20 7946 0958".into()),
                ..Default::default()
            }
            .parse()
            .unwrap(),
        )
        .await
        .unwrap();
    db.contacts()
        .create(&source.id, &contact("Plain Name"))
        .await
        .unwrap();

    let exported = export(&db, &source.id, ContactFormat::Csv).await;

    // Every cell of every record is quoted, and none starts like a formula.
    let mut reader = csv::Reader::from_reader(exported.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "a spreadsheet would run {cell:?}"
            );
            cells.push(cell.to_string());
        }
    }
    for line in exported.lines().skip(1) {
        assert!(line.starts_with('"') && line.ends_with('"'), "{line}");
    }
    assert!(exported.contains(r#""'=HYPERLINK(""http://evil.example"",""x"")""#));
    for neutralised in [
        "'+colleague",
        "'-2+3",
        "'@SUM(1,2)",
        "'=1+1",
        "'-cmd|' /C calc'!A0",
        "'@likes",
        "'+Signal",
    ] {
        assert!(cells.iter().any(|c| c == neutralised), "{neutralised}");
    }
    // A value's own leading quote before a formula gets a second one, so that the import
    // takes off only the quote the export added.
    assert!(cells.iter().any(|c| c == "''=already quoted by the user"));

    // Imported back, every value is the original one.
    let target = user(&db).await;
    let summary = import(&db, &target.id, exported.as_bytes(), DuplicatePolicy::Skip).await;
    assert_eq!(summary.created, 2);
    let original = stored_texts(&db, &source.id).await;
    assert_eq!(original[0][0].as_deref(), Some(evil), "{original:?}");
    assert_eq!(stored_texts(&db, &target.id).await, original);
    assert_eq!(export(&db, &target.id, ContactFormat::Csv).await, exported);
}

/// Everything a person's details are, as read back from the account of `user` (which has
/// this one contact): name, notes, every e-mail and phone with its label, app, links, tag
/// names and the background's notes.
async fn only_contact_details(db: &Db, user: &UserId) -> String {
    let page = db
        .contacts()
        .list(user, &ContactQuery::default())
        .await
        .expect("list");
    let [c] = &page.contacts[..] else {
        panic!("one contact: {page:?}");
    };
    let details = db
        .contact_details()
        .get(user, &c.id)
        .await
        .expect("details");
    let background = db.backgrounds().get(user, &c.id).await.expect("background");
    let mut tags: Vec<String> = db
        .tags()
        .list(user)
        .await
        .expect("tags")
        .into_iter()
        .map(|t| t.name)
        .collect();
    tags.sort();
    format!(
        "{} | notes {:?} | emails {:?} | phones {:?} | app {:?} | links {:?} | tags {:?} | \
         background notes {:?}",
        c.name,
        c.notes,
        details.emails,
        details.phones,
        details.main_app(),
        details.social_links(),
        tags,
        background.and_then(|b| b.misc_notes),
    )
}

#[tokio::test]
async fn every_detail_of_a_contact_survives_vcard_csv_and_backup_round_trips() {
    let db = test_db().await;
    let source = user(&db).await;
    let new = devhub_db::ContactInput {
        name: "Ada Lovelace".into(),
        vip: true,
        notes: Some("Met at the meetup.\nLikes, commas; and semicolons: \"quoted\".".into()),
        ..devhub_db::ContactInput::default()
    }
    .parse()
    .unwrap();
    let ada = db.contacts().create(&source.id, &new).await.unwrap();
    let labeled = |value: &str, label: Option<&str>| devhub_db::Labeled {
        value: value.into(),
        label: label.map(str::to_string),
    };
    let details = devhub_db::ContactDetailsInput {
        emails: vec![
            labeled("ada@work.example", Some("work")),
            labeled("ada@home.example", Some("Home")),
            labeled("ada@club.example", Some("Chess club, Tuesdays; 2nd floor")),
        ],
        phones: vec![
            labeled("+44 20 7946 0958", Some("mobile")),
            labeled("+44 20 7946 0000", None),
        ],
        main_app: Some("Signal".into()),
        social_links: vec!["https://github.com/ada".into()],
    }
    .parse()
    .unwrap();
    db.contact_details()
        .save(&source.id, &ada.id, &details)
        .await
        .unwrap();
    let background = BackgroundInput {
        company: Some("Analytical Engines".into()),
        misc_notes: Some("Background: wrote the first program.".into()),
        ..BackgroundInput::default()
    }
    .parse()
    .unwrap();
    db.backgrounds()
        .upsert(&source.id, &ada.id, &background)
        .await
        .unwrap();
    for name in ["Mentors", "London"] {
        let tag = db
            .tags()
            .create(
                &source.id,
                &TagInput {
                    name: name.into(),
                    color: None,
                }
                .parse()
                .unwrap(),
            )
            .await
            .unwrap();
        db.tags()
            .attach(&source.id, &ada.id, &tag.id)
            .await
            .unwrap();
    }
    let expected = only_contact_details(&db, &source.id).await;
    assert!(
        expected.contains("Chess club, Tuesdays; 2nd floor") && expected.contains("Mentors"),
        "{expected}"
    );

    let vcard = export(&db, &source.id, ContactFormat::Vcard).await;
    assert!(
        vcard.contains("EMAIL;TYPE=work:ada@work.example"),
        "{vcard}"
    );
    assert!(vcard.contains("TEL;TYPE=cell:+44 20 7946 0958"), "{vcard}");
    assert!(
        vcard.contains("NOTE:Met at the meetup.\\nLikes\\, commas\\; and"),
        "{vcard}"
    );
    let csv = export(&db, &source.id, ContactFormat::Csv).await;
    let header = csv.lines().next().unwrap_or_default();
    assert!(
        header.contains("E-mail 3 - Label") && header.contains("Phone 2 - Value"),
        "{header}"
    );
    assert!(!header.contains("E-mail 4"), "{header}");
    for (format, text) in [("vCard", vcard), ("CSV", csv)] {
        let target = user(&db).await;
        let summary = import(&db, &target.id, text.as_bytes(), DuplicatePolicy::Skip).await;
        assert_eq!(summary.created, 1, "{format}");
        assert_eq!(
            only_contact_details(&db, &target.id).await,
            expected,
            "{format}"
        );
    }

    let backup = backup_of(&db, &source.id).await;
    assert_eq!(
        backup.contacts[0].details.len(),
        3,
        "the further e-mails and phones"
    );
    let target = user(&db).await;
    backup::restore(&db, &target.id, &backup).await.unwrap();
    assert_eq!(
        only_contact_details(&db, &target.id).await,
        expected,
        "backup"
    );
    assert_eq!(
        backup_of(&db, &target.id).await.without_ids(),
        backup.without_ids(),
        "the restored rows, times included"
    );
}

#[tokio::test]
async fn an_import_merging_into_a_contact_adds_the_emails_and_phones_it_lacks() {
    let db = test_db().await;
    let u = user(&db).await;
    let ada = db
        .contacts()
        .create(&u.id, &contact("Ada Lovelace"))
        .await
        .unwrap();
    let details = devhub_db::ContactDetailsInput {
        emails: vec![devhub_db::Labeled {
            value: "ada@work.example".into(),
            label: Some("work".into()),
        }],
        ..devhub_db::ContactDetailsInput::default()
    }
    .parse()
    .unwrap();
    db.contact_details()
        .save(&u.id, &ada.id, &details)
        .await
        .unwrap();
    // Recognised by its second e-mail, which the stored contact has as its first.
    let card = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada L.\r\n\
                EMAIL;TYPE=home:ada@home.example\r\nEMAIL:ADA@work.example\r\n\
                TEL;TYPE=cell:+44 20 7946 0958\r\nEND:VCARD\r\n";
    let summary = import(&db, &u.id, card.as_bytes(), DuplicatePolicy::Merge).await;
    assert_eq!((summary.created, summary.merged), (0, 1));
    let stored = db.contact_details().get(&u.id, &ada.id).await.unwrap();
    let values = |l: &[devhub_db::Labeled]| {
        l.iter()
            .map(|x| format!("{} ({})", x.value, x.label.as_deref().unwrap_or("")))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        values(&stored.emails),
        ["ada@work.example (work)", "ada@home.example (home)"]
    );
    assert_eq!(values(&stored.phones), ["+44 20 7946 0958 (mobile)"]);
}

#[tokio::test]
async fn a_contacts_photo_survives_a_backup_and_a_bad_one_is_refused_on_restore() {
    let db = test_db().await;
    let source = user(&db).await;
    let target = user(&db).await;
    let ada = db
        .contacts()
        .create(&source.id, &contact("Ada"))
        .await
        .unwrap();
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5];
    db.contact_photos()
        .set(&source.id, &ada.id, &jpeg)
        .await
        .unwrap();
    let saved = backup_of(&db, &source.id).await;
    backup::restore(&db, &target.id, &saved).await.unwrap();
    let restored = db
        .contacts()
        .list(&target.id, &ContactQuery::default())
        .await
        .unwrap()
        .contacts;
    let photo = db
        .contact_photos()
        .get(&target.id, &restored[0].id)
        .await
        .unwrap();
    assert_eq!(
        (photo.content_type.as_str(), photo.data.as_slice()),
        ("image/jpeg", &jpeg[..])
    );

    // Bytes that are not an image: the restore says which record, and writes nothing.
    let other = user(&db).await;
    let mut broken = saved.clone();
    broken.contacts[0].photo.as_mut().unwrap().data = "aGVsbG8=".into();
    let err = backup::restore(&db, &other.id, &broken).await.unwrap_err();
    assert!(err.to_string().contains("photo"), "{err}");
    assert!(db
        .contacts()
        .list(&other.id, &ContactQuery::default())
        .await
        .unwrap()
        .contacts
        .is_empty());
}

#[tokio::test]
async fn an_inline_vcard_photo_becomes_the_contacts_photo() {
    use base64::Engine;
    let db = test_db().await;
    let u = user(&db).await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    let file = format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Four\r\nPHOTO:data:image/png;base64,{encoded}\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Three\r\nPHOTO;ENCODING=b;TYPE=PNG:{encoded}\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Linked\r\nPHOTO;VALUE=uri:https://example.com/a.png\r\nEND:VCARD\r\n\
         BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Text\r\nPHOTO:data:image/png;base64,aGVsbG8=\r\nEND:VCARD\r\n"
    );
    import(&db, &u.id, file.as_bytes(), DuplicatePolicy::Skip).await;
    let contacts = db
        .contacts()
        .list(&u.id, &ContactQuery::default())
        .await
        .unwrap()
        .contacts;
    assert_eq!(contacts.len(), 4);
    for c in contacts {
        let photo = db.contact_photos().get(&u.id, &c.id).await;
        match c.name.as_str() {
            "Ada Four" | "Ada Three" => assert_eq!(photo.unwrap().data, png, "{}", c.name),
            // An address to fetch, and bytes that are not an image: no photo, the rest kept.
            _ => assert!(photo.is_err(), "{}", c.name),
        }
    }
}

#[tokio::test]
async fn a_contacts_photo_is_in_its_vcard_and_imports_back_byte_for_byte() {
    let db = test_db().await;
    let source = user(&db).await;
    let ada = db
        .contacts()
        .create(&source.id, &contact("Ada"))
        .await
        .unwrap();
    db.contacts()
        .create(&source.id, &contact("Bob"))
        .await
        .unwrap();
    // A photo of about 200 KB: its base64 folds over some 3,600 lines.
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..200_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8));
    db.contact_photos()
        .set(&source.id, &ada.id, &png)
        .await
        .unwrap();

    let vcf = export(&db, &source.id, ContactFormat::Vcard).await;
    assert_eq!(
        vcf.matches("PHOTO:data:image/png;base64,").count(),
        1,
        "Ada's only"
    );
    assert!(vcf.lines().all(|l| l.len() <= 75), "folded at 75 octets");
    assert!(!export(&db, &source.id, ContactFormat::Csv)
        .await
        .contains("base64"));

    let target = user(&db).await;
    let summary = import(&db, &target.id, vcf.as_bytes(), DuplicatePolicy::Skip).await;
    assert_eq!(summary.created, 2);
    let contacts = db
        .contacts()
        .list(&target.id, &ContactQuery::default())
        .await
        .unwrap()
        .contacts;
    for c in &contacts {
        let photo = db.contact_photos().get(&target.id, &c.id).await;
        match c.name.as_str() {
            "Ada" => assert_eq!(photo.unwrap().data, png),
            _ => assert!(photo.is_err(), "{}", c.name),
        }
    }
    // And the copy exports the same cards (ids apart).
    assert_eq!(
        strip_uids(vcf).await,
        strip_uids(export(&db, &target.id, ContactFormat::Vcard).await).await
    );
}

/// A vCard of one person (name, e-mails).
fn card(name: &str, emails: &[&str]) -> String {
    let mut card = format!("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{name}\r\n");
    for e in emails {
        card.push_str(&format!("EMAIL:{e}\r\n"));
    }
    card.push_str("END:VCARD\r\n");
    card
}

/// Contacts written as another tool would (any name, any creation time), with their first
/// e-mail and further ones.
async fn raw_contact(
    db: &Db,
    user: &UserId,
    id: &str,
    name: &str,
    created_at: i64,
    emails: &[&str],
) {
    let conn = db.conn().await.expect("connection");
    conn.execute(
        "INSERT INTO contact (id, user_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        libsql::params![id, user.as_str(), name, created_at],
    )
    .await
    .expect("contact");
    if let Some((first, further)) = emails.split_first() {
        conn.execute(
            "INSERT INTO contact_info (id, contact_id, email) VALUES (?1, ?2, ?3)",
            libsql::params![format!("{id}-info"), id, *first],
        )
        .await
        .expect("contact info");
        for (position, e) in further.iter().enumerate() {
            conn.execute(
                "INSERT INTO contact_detail (id, contact_id, kind, value, position) \
                 VALUES (?1, ?2, 'email', ?3, ?4)",
                libsql::params![format!("{id}-d{position}"), id, *e, position as i64],
            )
            .await
            .expect("further e-mail");
        }
    }
}

/// Which existing contact (by id) or earlier record each record of `file` duplicates, and how.
async fn duplicates_of(db: &Db, user: &UserId, file: &str) -> Vec<(String, String, Match)> {
    let preview = plan::preview(
        db,
        user,
        parse_upload(file.as_bytes()).expect("a readable file"),
    )
    .await
    .expect("preview");
    preview
        .duplicates
        .into_iter()
        .map(|d| {
            let target = match d.target {
                Target::Existing { id, .. } => id.as_str().to_string(),
                Target::InFile { index, .. } => format!("file #{index}"),
            };
            (
                d.record.contact.name().as_str().to_string(),
                target,
                d.matched,
            )
        })
        .collect()
}

#[tokio::test]
async fn duplicates_are_found_by_any_email_and_by_names_differing_in_case_spacing_and_letters() {
    let db = test_db().await;
    let u = user(&db).await;
    let other = user(&db).await;
    // Further e-mails (contact_detail), in either case.
    raw_contact(
        &db,
        &u.id,
        "further",
        "Further Owner",
        100,
        &["first@example.com", "Second@Example.ORG"],
    )
    .await;
    // A first e-mail wins over an older contact's further one.
    raw_contact(
        &db,
        &u.id,
        "older",
        "Older",
        50,
        &["o@example.com", "shared@example.com"],
    )
    .await;
    raw_contact(
        &db,
        &u.id,
        "primary",
        "Primary",
        200,
        &["SHARED@example.com"],
    )
    .await;
    // Of two contacts with one name, the older one.
    raw_contact(&db, &u.id, "grace-new", "grace hopper", 300, &[]).await;
    raw_contact(&db, &u.id, "grace-old", "GRACE   HOPPER", 250, &[]).await;
    // Uppercase letters beyond ASCII, other whitespace, spaces at the ends, a Kelvin sign.
    raw_contact(&db, &u.id, "emile", "ÉMILE ZOLA", 100, &[]).await;
    raw_contact(&db, &u.id, "asa", "\u{a0}Åsa\tLindqvist ", 100, &[]).await;
    raw_contact(&db, &u.id, "kelvin", "\u{212a}elvin", 100, &[]).await;
    raw_contact(&db, &u.id, "zoe", "Zoë Müller", 100, &[]).await;
    // Another user's contacts are never matched, by e-mail or by name.
    raw_contact(
        &db,
        &other.id,
        "bobs",
        "Linus Torvalds",
        1,
        &["linus@example.com", "l2@example.com"],
    )
    .await;

    let file = [
        card("Someone", &["second@example.org"]),
        card("Someone Else", &["shared@example.com"]),
        card("Grace Hopper", &[]),
        card("émile zola", &[]),
        card("ÅSA LINDQVIST", &[]),
        card("Kelvin", &[]),
        card("ZOË MÜLLER", &[]),
        card("Linus Torvalds", &["l2@example.com"]),
        card("Nobody Known", &["nobody@example.com"]),
    ]
    .concat();
    let email = |e: &str| Match::Email(e.to_string());
    assert_eq!(
        duplicates_of(&db, &u.id, &file).await,
        [
            (
                "Someone".into(),
                "further".into(),
                email("second@example.org")
            ),
            (
                "Someone Else".into(),
                "primary".into(),
                email("shared@example.com")
            ),
            ("Grace Hopper".into(), "grace-old".into(), Match::Name),
            ("émile zola".into(), "emile".into(), Match::Name),
            ("ÅSA LINDQVIST".into(), "asa".into(), Match::Name),
            ("Kelvin".into(), "kelvin".into(), Match::Name),
            ("ZOË MÜLLER".into(), "zoe".into(), Match::Name),
        ]
    );
    // The other user finds their own contact by its further e-mail, and nothing of ours.
    assert_eq!(
        duplicates_of(&db, &other.id, &file).await,
        [(
            "Linus Torvalds".into(),
            "bobs".into(),
            email("l2@example.com")
        )]
    );
}

#[tokio::test]
async fn duplicates_are_found_in_every_batch_of_a_large_file() {
    let db = test_db().await;
    let u = user(&db).await;
    // More names and e-mails than one lookup carries: matches in the first batch of names
    // ("person 0" comes first) and the last, shorter one of e-mails ("p9@…" comes last).
    raw_contact(&db, &u.id, "first", "PERSON 0", 1, &[]).await;
    raw_contact(&db, &u.id, "last", "Somebody", 1, &["P9@example.com"]).await;
    let file: String = (0..1050)
        .map(|i| card(&format!("Person {i}"), &[&format!("p{i}@example.com")]))
        .collect();
    let preview = plan::preview(&db, &u.id, parse_upload(file.as_bytes()).unwrap())
        .await
        .unwrap();
    assert_eq!(preview.new_contacts.len(), 1048);
    let found: Vec<_> = preview
        .duplicates
        .iter()
        .map(|d| (d.record.contact.name().as_str(), d.matched.clone()))
        .collect();
    assert_eq!(
        found,
        [
            ("Person 0", Match::Name),
            ("Person 9", Match::Email("p9@example.com".into()))
        ]
    );
}
