//! `devhub import` and `devhub export`: the web app's import and export, for scripts.

use std::io::Write;

use devhub_db::transfer::export::{export_contacts, ContactFormat};
use devhub_db::transfer::plan::{DuplicatePolicy, Match, Target};
use devhub_db::transfer::{self, backup, ImportError, Imported};
use devhub_db::{Db, DbConfig, OpenMode, User};
use devhub_web::format::{count_of, plural};

use crate::cli::{ExportArgs, ImportArgs, UserArgs};
use crate::Failure;

pub(crate) async fn open_user(config: &DbConfig, args: &UserArgs) -> Result<(Db, User), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let username = args.user.trim().to_lowercase();
    let user = db
        .users()
        .find_by_username(&username)
        .await?
        .ok_or_else(|| Failure::Usage(format!("there is no user named {username:?}")))?;
    Ok((db, user))
}

pub(crate) fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not a failure of the import.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(())
}

pub async fn import(config: &DbConfig, args: &ImportArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.file)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    if bytes.len() > devhub_db::transfer::MAX_IMPORT_BYTES {
        return Err(Failure::Failed(format!(
            "{}: {}; nothing was imported",
            args.file.display(),
            devhub_db::transfer::FileError::TooLarge
        )));
    }
    let refused = |e: devhub_db::transfer::FileError| {
        Failure::Failed(format!(
            "{}: {e}; nothing was imported",
            args.file.display()
        ))
    };
    let (db, user) = open_user(config, &args.user).await?;
    let policy = DuplicatePolicy::parse(&args.duplicates).unwrap_or_default();
    let imported = match transfer::import(&db, &user.id, &bytes, policy, args.dry_run).await {
        Ok(imported) => imported,
        Err(ImportError::File(e)) => return Err(refused(e)),
        Err(ImportError::Database(e)) => return Err(e.into()),
    };
    let (preview, summary) = match imported {
        Imported::Backup {
            backup: b,
            restored,
        } => {
            let Some(r) = restored else {
                return print(&format!(
                    "Would restore {} contacts and {} tags.\n",
                    b.contacts.len(),
                    b.tags.len()
                ));
            };
            return print(&if args.json {
                format!(
                    "{}\n",
                    serde_json::json!({"restored": {"contacts": r.contacts, "interactions": r.interactions, "follow_ups": r.follow_ups, "tags": r.tags}})
                )
            } else {
                format!(
                    "Restored {} contacts, {} interactions, {} follow-ups and {} tags.\n",
                    r.contacts, r.interactions, r.follow_ups, r.tags
                )
            });
        }
        Imported::Contacts { preview, summary } => (preview, summary),
    };
    let errors: Vec<serde_json::Value> = preview
        .errors
        .iter()
        .map(|e| serde_json::json!({"line": e.line, "reason": e.reason}))
        .collect();
    let duplicates: Vec<serde_json::Value> = preview
        .duplicates
        .iter()
        .map(|d| {
            let matched = match &d.matched {
                Match::Email(e) => format!("e-mail {e}"),
                Match::Name => "name".into(),
            };
            let of = match &d.target {
                Target::Existing { id, name } => serde_json::json!({"contact_id": id, "name": name}),
                Target::InFile { line, .. } => serde_json::json!({"line": line}),
            };
            serde_json::json!({"line": d.record.line, "name": d.record.contact.name(), "same": matched, "of": of})
        })
        .collect();
    if args.json {
        let mut doc = serde_json::json!({
            "format": preview.format.label(),
            "new": preview.new_contacts.len(),
            "duplicates": duplicates,
            "unreadable": errors,
            "policy": policy.as_str(),
            "dry_run": args.dry_run,
        });
        if let Some(s) = summary {
            doc["created"] = s.created.into();
            doc["merged"] = s.merged.into();
            doc["skipped"] = s.skipped.into();
        }
        return print(&format!("{doc}\n"));
    }
    let mut out = String::new();
    match summary {
        None => out.push_str(&format!(
            "{}: would create {}; {} {} ({}).\n",
            preview.format.label(),
            count_of(preview.new_contacts.len() as u64, "contact", "contacts"),
            preview.duplicates.len(),
            plural(
                preview.duplicates.len() as u64,
                "looks like a duplicate",
                "look like duplicates"
            ),
            if policy == DuplicatePolicy::Merge {
                "would merge"
            } else {
                "would skip"
            }
        )),
        Some(s) => out.push_str(&format!(
            "{}: created {}, merged {}, skipped {}.\n",
            preview.format.label(),
            count_of(s.created, "contact", "contacts"),
            s.merged,
            s.skipped
        )),
    }
    for d in &preview.duplicates {
        let of = match &d.target {
            Target::Existing { name, .. } => name.clone(),
            Target::InFile { line, .. } => format!("line {line}"),
        };
        let why = match &d.matched {
            Match::Email(e) => format!("same e-mail {e}"),
            Match::Name => "same name".into(),
        };
        out.push_str(&format!(
            "  duplicate, line {}: {} ~ {of} ({why})\n",
            d.record.line,
            d.record.contact.name()
        ));
    }
    for e in &preview.errors {
        out.push_str(&format!("  unreadable, line {}: {}\n", e.line, e.reason));
    }
    print(&out)
}

pub async fn export(config: &DbConfig, args: &ExportArgs) -> Result<(), Failure> {
    let (db, user) = open_user(config, &args.user).await?;
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    // The export runs in its own task and hands over one contact at a time.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    let format = args.format.clone();
    let user_id = user.id.clone();
    let task = tokio::spawn(async move {
        let mut tx = tx;
        match format.as_str() {
            "json" => backup::export(&db, &user_id, &mut tx).await,
            "csv" => export_contacts(&db, &user_id, None, ContactFormat::Csv, &mut tx).await,
            _ => export_contacts(&db, &user_id, None, ContactFormat::Vcard, &mut tx).await,
        }
    });
    let mut write_error = None;
    while let Some(chunk) = rx.recv().await {
        if let Err(e) = out.write_all(&chunk) {
            write_error = Some(e);
            break;
        }
    }
    drop(rx);
    let result = task
        .await
        .map_err(|e| Failure::Failed(format!("the export stopped: {e}")))?;
    if let Some(e) = write_error.or_else(|| out.flush().err()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(());
        }
        return Err(Failure::Failed(format!("cannot write the export: {e}")));
    }
    result?;
    Ok(())
}
