//! Deterministic, realistic demo data for `devhub seed-demo`: the same seed (on the same day)
//! gives the same users, contacts and interactions.
//!
//! Rows are written inside one transaction per user, a demo user appears whole or not at
//! all, as deferred writes joined into INSERTs of many rows ([`crate::Tx`]'s pipeline: on a
//! server hundreds of rows per request, and on a local file too, where a statement per row
//! made the full-text indexes write out a segment per row), with the owner's indexes built
//! once the rows are in. 100,000 contacts with a million interactions take about a minute
//! (BENCHMARKS.md).

use chrono::{Duration, NaiveDate, NaiveTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::db::{Db, Tx};
use crate::error::{Error, Result};
use crate::repo::background::{BackgroundInput, NewBackground};
use crate::repo::contact::{self, ContactInput, ContactStamps, NewContact};
use crate::repo::contact_detail::{ContactDetailsInput, Labeled, NewContactDetails};
use crate::repo::follow_up::{Completion, FollowUpInput, NewFollowUp};
use crate::repo::interaction::{InteractionInput, NewInteraction};
use crate::repo::user::{NewUser, User, UserId};
use crate::row::{now, Stamps};
use crate::validate::Username;

/// How much to generate per user.
#[derive(Debug, Clone, Copy)]
pub struct SeedOptions {
    pub contacts_per_user: u32,
    pub interactions_per_contact: u32,
    pub seed: u64,
}

/// What was written for one demo user.
#[derive(Debug, Clone)]
pub struct SeededUser {
    pub user: User,
    pub contacts: u64,
    pub interactions: u64,
}

const FIRST_NAMES: &[&str] = &[
    "Ada",
    "Alan",
    "Grace",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Radia",
    "Guido",
    "Frances",
    "Bjarne",
    "Katherine",
    "James",
    "Hedy",
    "Tim",
    "Anita",
    "Donald",
    "Sophie",
    "Yukihiro",
    "Carol",
    "Rob",
    "Jean",
    "Niklaus",
    "Shafi",
    "Leslie",
    "Mary",
    "Edsger",
    "Joan",
    "Brian",
    "Priya",
    "Mateo",
    "Aisha",
    "Lukas",
    "Mei",
    "Oluwaseun",
    "Ingrid",
    "Rafael",
    "Yara",
    "Kenji",
];
const LAST_NAMES: &[&str] = &[
    "Lovelace",
    "Turing",
    "Hopper",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Perlman",
    "van Rossum",
    "Allen",
    "Stroustrup",
    "Johnson",
    "Gosling",
    "Lamarr",
    "Berners-Lee",
    "Borg",
    "Knuth",
    "Wilson",
    "Matsumoto",
    "Shaw",
    "Pike",
    "Sammet",
    "Wirth",
    "Goldwasser",
    "Lamport",
    "Keller",
    "Dijkstra",
    "Clarke",
    "Kernighan",
    "Sharma",
    "García",
    "Okafor",
    "Müller",
    "Chen",
    "Adeyemi",
    "Lindqvist",
    "Costa",
    "Haddad",
    "Tanaka",
];
const RELATIONSHIPS: &[&str] = &[
    "Colleague",
    "Former colleague",
    "Friend",
    "Mentor",
    "Mentee",
    "Client",
    "Recruiter",
    "Conference contact",
    "Open source collaborator",
    "Manager",
    "Investor",
    "Meetup organiser",
];
const INDUSTRIES: &[&str] = &[
    "Software",
    "Fintech",
    "Healthcare",
    "Developer tools",
    "E-commerce",
    "Gaming",
    "Education",
    "Cloud infrastructure",
    "Security",
    "Open source",
    "AI / ML",
    "Consulting",
    "Telecom",
    "Media",
];
const LOCATIONS: &[&str] = &[
    "Berlin",
    "London",
    "San Francisco",
    "New York",
    "Toronto",
    "Amsterdam",
    "Lisbon",
    "Bangalore",
    "Tokyo",
    "Singapore",
    "Sydney",
    "São Paulo",
    "Lagos",
    "Stockholm",
    "Paris",
    "Remote",
    "Zürich",
    "Seattle",
    "Austin",
    "Dublin",
];
const COMPANIES: &[&str] = &[
    "Acme Cloud",
    "Globex",
    "Initech",
    "Hooli",
    "Umbrella Labs",
    "Stark Industries",
    "Wayne Tech",
    "Cyberdyne",
    "Tyrell",
    "Soylent Systems",
    "Aperture",
    "Black Mesa",
];
const APPS: &[&str] = &[
    "Signal", "WhatsApp", "Telegram", "Slack", "Discord", "E-mail", "iMessage",
];
const TYPES: &[&str] = &["meeting", "call", "email", "message", "other"];
const FOLLOW_UP_NOTES: &[&str] = &[
    "Send the slides from the talk",
    "Ask how the new job is going",
    "Share the article about WebAssembly",
    "Introduce them to the platform team",
    "Follow up on the open-source grant",
    "Congratulate them on the release",
    "Book a coffee when they are in town",
    "Review their pull request",
];

const NOTES: &[&str] = &[
    "Caught up over coffee; they are hiring Rust engineers.",
    "Talked about their conference talk on distributed tracing.",
    "Asked for feedback on my open-source PR.",
    "Quick call about a possible contract next quarter.",
    "Sent them the article on SQLite WAL mode we discussed.",
    "They moved teams and now lead the platform group.",
    "Lunch near the office; kids started school this year.",
    "Reviewed their side project, a static site generator.",
    "Introduced them to a friend who works on compilers.",
    "Followed up on the meetup; want to co-organise the next one.",
    "",
];
const CONTACT_NOTES: &[&str] = &[
    "Prefers e-mail over calls; answers within a day.",
    "Introduced by a former colleague. Interested in mentoring.",
    "Speaks at conferences about distributed systems.",
    "Vegetarian; likes small quiet places for lunch.",
    "Maintains a popular open-source crate; ask about contributing.",
    "Moving to a new team next quarter.",
];

fn labeled((value, label): (String, &str)) -> Labeled {
    Labeled {
        value,
        label: Some(label.to_string()),
    }
}

const FAMILY: &[&str] = &[
    "Married, two kids (Mia and Leo)",
    "Partner Sam, a dog called Byte",
    "Lives with their parents, brother in Lisbon",
    "Recently engaged",
];
const LIKES: &[&str] = &[
    "Likes specialty coffee and bouldering; dislikes long meetings",
    "Loves board games, vegetarian",
    "Into cycling and sci-fi novels; allergic to nuts",
    "Enjoys jazz, hates small talk",
];

fn pick<'a>(rng: &mut StdRng, list: &[&'a str]) -> &'a str {
    list.choose(rng).copied().unwrap_or_default()
}

/// The demo user `n` (1-based) and their password: `demo1` / `demo-password-1`.
pub fn demo_credentials(n: u32) -> (String, String) {
    (format!("demo{n}"), format!("demo-password-{n}"))
}

/// Writes one demo user with `password_hash` and their contacts, all in one transaction.
/// Refuses (`Conflict`) when the username already exists, writing nothing.
pub async fn seed_user(
    db: &Db,
    n: u32,
    password_hash: &str,
    options: &SeedOptions,
) -> Result<SeededUser> {
    let (username, _) = demo_credentials(n);
    let username = Username::parse(&username).map_err(|m| Error::validation("username", m))?;
    let mut rng = StdRng::seed_from_u64(options.seed ^ (u64::from(n) << 32));
    let today = Utc::now().date_naive();
    let day = |d: NaiveDate| d.and_time(NaiveTime::MIN).and_utc();
    let created_base = day(today) - Duration::days(800);
    let now_at = now();

    let mut tx = db.begin_write().await?;
    tx.join_inserts();
    if tx.location().is_local() {
        // A larger page cache for this connection: the indexes' merges read back pages they
        // have just written.
        tx.execute_batch("PRAGMA cache_size = -262144").await?;
    }
    // The full-text indexes keep up to 64 MiB of new entries in memory before writing them
    // out, instead of 1 MiB, and merge segments in larger steps: far fewer merges. Back to the
    // defaults before the commit, so nothing else ever sees them.
    tx.execute_batch(&crate::search_index::settings(64 * 1024 * 1024, 16))
        .await?;
    // On a local file only: through an embedded replica, the primary's schema changes under
    // the replica's other connections (a write they delegate then finds no `contact` table).
    let deferred = if tx.location().is_local() {
        deferred_indexes(&tx).await?
    } else {
        Vec::new()
    };
    let user = tx
        .users()
        .create_at(
            &NewUser::new(username, password_hash.to_string())?,
            Stamps::at(created_base),
        )
        .await
        .map_err(|e| e.map_unique("user.username", "username", "already exists"))?;
    let user_id = &user.id;
    // A generator of its own, so that follow-ups leave the rest of the demo data as it was.
    let mut follow_up_rng = StdRng::seed_from_u64(options.seed ^ 0x0f01_10e5 ^ u64::from(n));
    // And one for the contact details and notes of contacts who are not VIPs.
    let mut details_rng = StdRng::seed_from_u64(options.seed ^ 0xde7a_115e ^ u64::from(n));

    let mut interactions = 0u64;
    let mut chunk = Vec::with_capacity(CHUNK);
    for i in 0..options.contacts_per_user {
        let first = pick(&mut rng, FIRST_NAMES);
        let last = pick(&mut rng, LAST_NAMES);
        let name = format!("{first} {last}");
        let vip = i % 10 == 0; // exactly 10 %
        let archived = rng.gen_ratio(1, 12);
        let birthday = rng.gen_ratio(7, 10).then(|| {
            let year = rng.gen_range(1960..=2002);
            let ordinal = rng.gen_range(1..=365);
            NaiveDate::from_yo_opt(year, ordinal)
        });
        let created = created_base + Duration::minutes(rng.gen_range(0..60 * 24 * 60));
        let new = ContactInput {
            name: name.clone(),
            relationship: Some(pick(&mut rng, RELATIONSHIPS).to_string()),
            birthday: birthday.flatten().map(|b| b.to_string()),
            industry: Some(pick(&mut rng, INDUSTRIES).to_string()),
            location: Some(pick(&mut rng, LOCATIONS).to_string()),
            vip,
            status: Some(if archived { "archived" } else { "active" }.to_string()),
            // One contact in five has notes.
            notes: details_rng
                .gen_ratio(1, 5)
                .then(|| pick(&mut details_rng, CONTACT_NOTES).to_string()),
        }
        .parse()?;
        let mut planned = Planned {
            contact: new,
            stamps: ContactStamps {
                row: Stamps {
                    created_at: created,
                    updated_at: now_at,
                },
                last_update: now_at,
                last_contacted: None,
            },
            interactions: Vec::new(),
            follow_up: None,
            background: None,
            details: None,
        };

        for _ in 0..options.interactions_per_contact {
            // Spread over the past two years, a little denser recently.
            let days_ago = (rng.gen_range(0.0f64..1.0).powf(1.5) * 730.0) as i64;
            let date = today - Duration::days(days_ago);
            let note = pick(&mut rng, NOTES);
            let new = InteractionInput {
                type_: pick(&mut rng, TYPES).to_string(),
                date: date.to_string(),
                notes: Some(note.to_string()),
            }
            .parse()?;
            planned.interactions.push((new, Stamps::at(day(date))));
            interactions += 1;
        }

        // About a quarter of the active contacts have a follow-up: a few overdue, some due
        // soon, some later, and now and then one already done.
        if !archived && follow_up_rng.gen_ratio(1, 4) {
            let offset = follow_up_rng.gen_range(-10i64..=45);
            let due = today + Duration::days(offset);
            let done = offset < 0 && follow_up_rng.gen_ratio(1, 3);
            let new = FollowUpInput {
                due_date: due.to_string(),
                note: Some(pick(&mut follow_up_rng, FOLLOW_UP_NOTES).to_string()),
            }
            .parse()?;
            let done_at = now_at;
            planned.follow_up = Some((
                new,
                Stamps::at(done_at),
                Completion {
                    completed: done,
                    completed_at: done.then_some(done_at),
                },
            ));
        }

        if vip {
            let background = BackgroundInput {
                family: Some(pick(&mut rng, FAMILY).to_string()),
                company: Some(pick(&mut rng, COMPANIES).to_string()),
                likes_dislikes: Some(pick(&mut rng, LIKES).to_string()),
                misc_notes: Some(format!(
                    "Met at {} in {}",
                    pick(
                        &mut rng,
                        &[
                            "RustConf",
                            "FOSDEM",
                            "a local meetup",
                            "KubeCon",
                            "Strange Loop"
                        ]
                    ),
                    2019 + i % 6
                )),
            }
            .parse()?;
            planned.background = Some(background);
            let handle = format!(
                "{}{}",
                first.to_lowercase(),
                last.to_lowercase().replace([' ', '-'], "")
            );
            let handle: String = handle.chars().filter(char::is_ascii_alphanumeric).collect();
            // The same draws in the same order as before there were further details.
            let main_app = Some(pick(&mut rng, APPS).to_string());
            let phone = format!("+1 555 01{:02} {:04}", i % 100, rng.gen_range(0..10_000));
            let details =
                ContactDetailsInput {
                    main_app,
                    // Every other VIP has a second e-mail and a second phone.
                    emails: [(format!("{handle}.{i}@example.com"), "work")]
                        .into_iter()
                        .chain((i % 20 == 0).then(|| (format!("{handle}{i}@home.example"), "home")))
                        .map(labeled)
                        .collect(),
                    phones: [(phone, "mobile")]
                        .into_iter()
                        .chain((i % 20 == 0).then(|| {
                            (format!("+1 555 02{:02} {:04}", i % 100, i % 10_000), "work")
                        }))
                        .map(labeled)
                        .collect(),
                    social_links: vec![
                        format!("https://github.com/{handle}{i}"),
                        format!("https://www.linkedin.com/in/{handle}-{i}"),
                    ],
                }
                .parse()?;
            planned.details = Some(details);
        } else if details_rng.gen_ratio(1, 2) {
            // Half of the others have an e-mail and a phone, some a second e-mail.
            let handle: String = format!("{first}.{last}")
                .to_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
                .collect();
            let mut emails = vec![labeled((format!("{handle}.{i}@example.org"), "home"))];
            if details_rng.gen_ratio(1, 4) {
                emails.push(labeled((format!("{handle}.{i}@work.example"), "work")));
            }
            let details = ContactDetailsInput {
                emails,
                phones: vec![labeled((
                    format!(
                        "+1 555 03{:02} {:04}",
                        i % 100,
                        details_rng.gen_range(0..10_000)
                    ),
                    "mobile",
                ))],
                ..ContactDetailsInput::default()
            }
            .parse()?;
            planned.details = Some(details);
        }
        chunk.push(planned);
        if chunk.len() == CHUNK {
            write_chunk(&tx, user_id, &mut chunk, now_at).await?;
        }
    }
    write_chunk(&tx, user_id, &mut chunk, now_at).await?;
    // One pass, instead of one per interaction, sets the derived column (before the indexes
    // that hold it are built again: they are built with it).
    contact::refresh_last_contacted_of_user(&tx, user_id).await?;
    for sql in &deferred {
        tx.execute(sql, ()).await?;
    }
    tx.execute_batch(&crate::search_index::settings(1024 * 1024, 4))
        .await?;
    tx.commit().await?;

    Ok(SeededUser {
        user,
        contacts: u64::from(options.contacts_per_user),
        interactions,
    })
}

/// Drops the owner's indexes of contacts and interactions (those led by `user_id`), to build
/// them again once the seed's rows are in: an index built from its rows sorts them once, where
/// a million rows inserted one by one, in no order of those indexes, each go down to a place
/// of their own. The seed's writes never read them (a contact's interactions are counted
/// through `interaction_contact_date_idx`, which stays), and unique indexes stay (keys and
/// references rely on them). Nobody else sees them gone: the transaction builds them again
/// before it commits. Returns the statements that build them, as `sqlite_schema` has them.
async fn deferred_indexes(tx: &Tx) -> Result<Vec<String>> {
    let indexes = crate::repo::query_all(
        tx,
        "SELECT name, sql FROM sqlite_schema AS s WHERE type = 'index' AND sql IS NOT NULL \
         AND tbl_name IN ('contact', 'interaction') AND NOT (SELECT \"unique\" FROM \
           pragma_index_list(s.tbl_name) WHERE name = s.name) \
         AND (SELECT name FROM pragma_index_info(s.name) WHERE seqno = 0) = 'user_id'",
        (),
        |row| Ok((row.get::<String>(0)?, row.get::<String>(1)?)),
    )
    .await?;
    let mut built = Vec::with_capacity(indexes.len());
    for (name, sql) in indexes {
        tx.execute(&format!("DROP INDEX \"{name}\""), ()).await?;
        built.push(sql);
    }
    Ok(built)
}

/// Contacts generated before they are written, a chunk at a time.
const CHUNK: usize = 500;

/// One demo contact and what belongs to it, generated before any of it is written.
struct Planned {
    contact: NewContact,
    stamps: ContactStamps,
    interactions: Vec<(NewInteraction, Stamps)>,
    follow_up: Option<(NewFollowUp, Stamps, Completion)>,
    background: Option<NewBackground>,
    details: Option<NewContactDetails>,
}

/// Writes a chunk of generated contacts, table by table: the contacts, then their
/// interactions, follow-ups, backgrounds and details. On a server, each table's rows then
/// follow one another in the pipeline and go as a few INSERTs of many rows each (see
/// [`crate::Tx`]), where contact by contact each row of a contact, a background, a detail was
/// an INSERT of its own. The same rows in the same order per table as written contact by
/// contact.
async fn write_chunk(
    tx: &Tx,
    user: &UserId,
    chunk: &mut Vec<Planned>,
    now_at: chrono::DateTime<Utc>,
) -> Result<()> {
    let mut ids = Vec::with_capacity(chunk.len());
    for planned in chunk.iter() {
        ids.push(
            tx.contacts()
                .insert_deferred(user, &planned.contact, planned.stamps)
                .await?,
        );
    }
    for (planned, id) in chunk.iter().zip(&ids) {
        for (new, stamps) in &planned.interactions {
            tx.interactions()
                .insert_deferred(user, id, new, *stamps)
                .await?;
        }
    }
    for (planned, id) in chunk.iter().zip(&ids) {
        if let Some((new, stamps, completion)) = &planned.follow_up {
            tx.follow_ups()
                .create_deferred(user, id, new, *stamps, *completion)
                .await?;
        }
    }
    for (planned, id) in chunk.iter().zip(&ids) {
        if let Some(background) = &planned.background {
            tx.backgrounds()
                .upsert_deferred(user, id, background, Stamps::at(now_at))
                .await?;
        }
    }
    for (planned, id) in chunk.iter().zip(&ids) {
        if let Some(details) = &planned.details {
            tx.contact_details()
                .create_deferred(user, id, details, Stamps::at(now_at))
                .await?;
        }
    }
    chunk.clear();
    Ok(())
}
