//! `devhub contact list|show|add` and `devhub log`: the CRM from a terminal or a script.
//! Human output by default, `--json` for scripts (the row types' field names).

use devhub_db::repo::contact::MAX_PER_PAGE;
use devhub_db::{
    Contact, ContactCursor, ContactDetailsInput, ContactInput, ContactQuery, Db, DbConfig,
    FollowUpPlan, InteractionInput, Labeled, User,
};

use crate::cli::{
    ContactAddArgs, ContactListArgs, ContactShowArgs, LogArgs, TokenCreateArgs, TokenListArgs,
    TokenRevokeArgs,
};
use crate::transfer::{open_user, print};
use crate::Failure;

fn json_line(value: &impl serde::Serialize) -> Result<(), Failure> {
    let text = serde_json::to_string(value).map_err(|e| Failure::Failed(e.to_string()))?;
    print(&format!("{text}\n"))
}

/// Every contact of the user that `query` selects, in its order, read page by page through
/// the same keyset listing as the API.
async fn all_contacts(db: &Db, user: &User, query: &ContactQuery) -> Result<Vec<Contact>, Failure> {
    let mut out: Vec<Contact> = Vec::new();
    loop {
        let after = out.last().map(ContactCursor::after);
        let (page, more) = db
            .contacts()
            .list_after(&user.id, query, after.as_ref(), MAX_PER_PAGE)
            .await?;
        out.extend(page);
        if !more {
            return Ok(out);
        }
    }
}

/// The contact `reference` names: its id; else the one whose name it is (case aside); else
/// the one whose name contains it. Several candidates are an error that lists them.
async fn resolve(db: &Db, user: &User, reference: &str) -> Result<Contact, Failure> {
    let reference = reference.trim();
    match db.contacts().get(&user.id, &reference.into()).await {
        Ok(c) => return Ok(c),
        Err(devhub_db::Error::NotFound) => {}
        Err(e) => return Err(e.into()),
    }
    let query = ContactQuery {
        search: Some(reference.to_string()),
        ..ContactQuery::default()
    };
    let found = all_contacts(db, user, &query).await?;
    let exact: Vec<&Contact> = found
        .iter()
        .filter(|c| c.name.to_lowercase() == reference.to_lowercase())
        .collect();
    let name_matches: Vec<&Contact> = found
        .iter()
        .filter(|c| c.name.to_lowercase().contains(&reference.to_lowercase()))
        .collect();
    let candidates = if exact.is_empty() {
        name_matches
    } else {
        exact
    };
    match candidates.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(Failure::Usage(format!("no contact matches {reference:?}"))),
        many => Err(Failure::Usage(format!(
            "{reference:?} matches {} contacts, use an id: {}",
            many.len(),
            many.iter()
                .map(|c| format!("{} ({})", c.name, c.id))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn line_of(c: &Contact) -> String {
    let mut parts = vec![c.name.clone()];
    for v in [&c.relationship, &c.industry, &c.location]
        .into_iter()
        .flatten()
    {
        parts.push(v.clone());
    }
    let mut out = format!("{}  {}", c.id, parts.join(" · "));
    if c.vip {
        out.push_str("  [VIP]");
    }
    if c.status == devhub_db::ContactStatus::Archived {
        out.push_str("  [archived]");
    }
    out
}

pub async fn list(config: &DbConfig, args: &ContactListArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let query = ContactQuery {
        search: args.search.clone(),
        filter: args.filter.unwrap_or_default(),
        ..ContactQuery::default()
    }
    .ordered(args.sort.unwrap_or_default(), args.dir);
    let contacts = all_contacts(&db, &user, &query).await?;
    if args.json {
        return json_line(&contacts);
    }
    let mut out = String::new();
    for c in &contacts {
        out.push_str(&line_of(c));
        out.push('\n');
    }
    print(&out)
}

pub async fn show(config: &DbConfig, args: &ContactShowArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let contact = resolve(&db, &user, &args.contact).await?;
    let background = db.backgrounds().get(&user.id, &contact.id).await?;
    let details = db.contact_details().get(&user.id, &contact.id).await?;
    let info = details.info.clone();
    let (interactions, _) = db
        .interactions()
        .list_for_contact(&user.id, &contact.id, 10, 0)
        .await?;
    if args.json {
        return json_line(&serde_json::json!({
            "contact": contact,
            "background": background,
            "contact_info": info,
            "emails": details.emails,
            "phones": details.phones,
            "interactions": interactions,
        }));
    }
    let mut out = format!("{}\n", line_of(&contact));
    if let Some(b) = contact.birthday {
        out.push_str(&format!("  birthday: {b}\n"));
    }
    if let Some(at) = contact.last_contacted {
        out.push_str(&format!("  last contacted: {}\n", at.date_naive()));
    }
    for (kind, list) in [("e-mail", &details.emails), ("phone", &details.phones)] {
        for item in list {
            match &item.label {
                Some(label) => out.push_str(&format!("  {kind}: {} ({label})\n", item.value)),
                None => out.push_str(&format!("  {kind}: {}\n", item.value)),
            }
        }
    }
    if let Some(app) = details.main_app() {
        out.push_str(&format!("  app: {app}\n"));
    }
    for l in details.social_links() {
        out.push_str(&format!("  link: {l}\n"));
    }
    if let Some(notes) = &contact.notes {
        out.push_str(&format!("  notes: {}\n", notes.replace('\n', "\n    ")));
    }
    if let Some(b) = &background {
        for (label, v) in [
            ("company", &b.company),
            ("family", &b.family),
            ("likes/dislikes", &b.likes_dislikes),
            ("background notes", &b.misc_notes),
        ] {
            if let Some(v) = v {
                out.push_str(&format!("  {label}: {}\n", v.replace('\n', "\n    ")));
            }
        }
    }
    for i in &interactions {
        out.push_str(&format!(
            "  {} {}: {}\n",
            i.date.date_naive(),
            i.type_.as_str(),
            i.notes.as_deref().unwrap_or("")
        ));
    }
    print(&out)
}

pub async fn add(config: &DbConfig, args: &ContactAddArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let new = ContactInput {
        name: args.name.clone(),
        relationship: args.relationship.clone(),
        birthday: args.birthday.clone(),
        industry: args.industry.clone(),
        location: args.location.clone(),
        vip: args.vip,
        status: None,
        notes: args.notes.clone(),
    }
    .parse()?;
    let details = ContactDetailsInput {
        emails: args.emails.iter().map(|e| labeled(e)).collect(),
        phones: args.phones.iter().map(|p| labeled(p)).collect(),
        ..ContactDetailsInput::default()
    }
    .parse()?;
    // The contact and its details in one unit of work: a bad detail adds nothing.
    let contact = db
        .write(async |tx| {
            let contact = tx.contacts().create(&user.id, &new).await?;
            tx.contact_details()
                .save(&user.id, &contact.id, &details)
                .await?;
            Ok(contact)
        })
        .await?;
    if args.json {
        return json_line(&contact);
    }
    print(&format!("Added {}\n", line_of(&contact)))
}

/// `work:ada@example.com` as a labelled value; without a label (or when what comes before the
/// first `:` has a space or an `@`, as in `+1 555: 0100`), the whole text is the value.
fn labeled(raw: &str) -> Labeled {
    match raw.split_once(':') {
        Some((label, value))
            if !label.trim().is_empty()
                && !label.contains(['@', ' ', '+'])
                && !label.trim().chars().all(|c| c.is_ascii_digit()) =>
        {
            Labeled {
                value: value.trim().to_string(),
                label: Some(label.trim().to_string()),
            }
        }
        _ => Labeled {
            value: raw.trim().to_string(),
            label: None,
        },
    }
}

pub async fn log(config: &DbConfig, args: &LogArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let contact = resolve(&db, &user, &args.contact).await?;
    let date = match &args.date {
        Some(date) => date.clone(),
        // Today as the user's settings define it, as on every page.
        None => {
            let settings = db.user_settings().get(&user.id).await?;
            let zone = settings.preferences.time_zone;
            zone.date_at(chrono::Utc::now()).to_string()
        }
    };
    let new = InteractionInput {
        type_: args.kind.clone(),
        date,
        notes: Some(args.notes.clone()),
    }
    .parse()?;
    let interaction = db
        .interactions()
        .log(&user.id, &contact.id, &new, &FollowUpPlan::default())
        .await?
        .interaction;
    if args.json {
        return json_line(&interaction);
    }
    print(&format!(
        "Logged a {} with {} on {}.\n",
        interaction.type_.as_str(),
        contact.name,
        interaction.date.date_naive()
    ))
}

/// `devhub token create`: the same kind of token as the settings page makes, printed once.
pub async fn token_create(config: &DbConfig, args: &TokenCreateArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let issued = db
        .api_tokens()
        .issue(&user.id, &args.name, args.expires_in_days)
        .await?;
    let (record, token) = (&issued.token, issued.secret.expose());
    if args.json {
        return json_line(&serde_json::json!({
            "token": token,
            "id": record.id,
            "name": record.name,
            "expires_at": record.expires_at,
            "created_at": record.created_at,
        }));
    }
    let expiry = match record.expires_at {
        Some(at) => format!("expires {}", at.format("%Y-%m-%d %H:%M UTC")),
        None => "never expires".to_string(),
    };
    print(&format!(
        "{token}\n\nToken {:?} ({}, id {}). It is shown only this once: only its sha256 is \
         stored. Use it as `Authorization: Bearer <token>` on /api/v1.\n",
        record.name, expiry, record.id
    ))
}

pub async fn token_list(config: &DbConfig, args: &TokenListArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let tokens = db.api_tokens().list(&user.id).await?;
    if args.json {
        let rows: Vec<serde_json::Value> = tokens
            .iter()
            .map(|t| {
                serde_json::json!({
                    "id": t.id,
                    "name": t.name,
                    "last_used_at": t.last_used_at,
                    "expires_at": t.expires_at,
                    "created_at": t.created_at,
                })
            })
            .collect();
        return json_line(&rows);
    }
    if tokens.is_empty() {
        return print("No tokens. Create one with `devhub token create --name NAME`.\n");
    }
    let when = |at: Option<chrono::DateTime<chrono::Utc>>, none: &str| {
        at.map_or(none.to_string(), |at| {
            at.format("%Y-%m-%d %H:%M").to_string()
        })
    };
    let mut out = String::new();
    for t in &tokens {
        out.push_str(&format!(
            "{}  {}  last used {}  expires {}\n",
            t.id,
            t.name,
            when(t.last_used_at, "never"),
            when(t.expires_at, "never")
        ));
    }
    print(&out)
}

pub async fn token_revoke(config: &DbConfig, args: &TokenRevokeArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    match db
        .api_tokens()
        .delete(&user.id, &args.id.trim().into())
        .await
    {
        Ok(()) => print(&format!("Revoked token {}.\n", args.id.trim())),
        Err(devhub_db::Error::NotFound) => Err(Failure::Usage(format!(
            "{} has no token with the id {:?}",
            user.username,
            args.id.trim()
        ))),
        Err(e) => Err(e.into()),
    }
}
