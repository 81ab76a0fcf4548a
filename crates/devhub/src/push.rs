//! `devhub db push` (development: schema.sql straight into the database) and
//! `devhub db migrate --mark-applied` (back under migrations after a push).

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use devhub_db::migrate::{self, push, GenerateOptions};
use devhub_db::{Db, DbConfig, OpenMode};

use crate::cli::PushArgs;
use crate::Failure;

/// `println!` that does not panic when stdout is closed (`devhub … | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

pub async fn push(config: &DbConfig, args: &PushArgs) -> Result<(), Failure> {
    let mut options = GenerateOptions::default();
    for rename in &args.renames {
        options
            .add_rename(rename)
            .map_err(|e| Failure::Usage(e.to_string()))?;
    }
    let schema_sql = std::fs::read_to_string(&args.schema).map_err(|e| {
        Failure::Usage(format!(
            "cannot read {}: {e} (pass the schema with --schema FILE)",
            args.schema.display()
        ))
    })?;
    let db = Db::open(config, OpenMode::CreateIfMissing).await?;
    let where_ = db.location().describe();
    let prepared = push::prepare(&db, &schema_sql, &migrate::embedded()?, &options).await?;
    if prepared.is_empty() {
        outln!(
            "nothing to push: the database matches {} ({where_})",
            args.schema.display()
        );
        return Ok(());
    }

    let plan = &prepared.plan;
    let verb = if args.dry_run {
        "would apply"
    } else {
        "applying"
    };
    outln!("{verb} to {where_}:");
    for line in &plan.summary {
        outln!("  -- {line}");
    }
    for statement in &plan.statements {
        outln!("{statement}");
    }
    for warning in &plan.warnings {
        outln!("warning: {warning}");
    }
    if !plan.data_loss.is_empty() {
        outln!("this drops data: {}", plan.data_loss.join(", "));
    }
    if args.dry_run {
        if !prepared.contradicted.is_empty() {
            outln!(
                "schema.sql contradicts the applied migrations ({}): a push needs --force",
                prepared.contradicted.join(", ")
            );
        }
        outln!("dry run: nothing changed");
        return Ok(());
    }

    if !prepared.contradicted.is_empty() && !args.force {
        return Err(Failure::Usage(format!(
            "refusing to push: schema.sql {} which applied migrations created; nothing changed. \
             This database is managed by migrations: write the change with `devhub db generate \
             NAME` and `devhub db migrate`, or push anyway with --force (development databases only)",
            prepared.contradicted.join(", ")
        )));
    }
    let mut allow_data_loss = args.allow_data_loss;
    if !plan.data_loss.is_empty() && !allow_data_loss {
        let lost = plan.data_loss.join(", ");
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(format!(
                "refusing to push: it would drop {lost} and no terminal is there to confirm; \
                 nothing changed. Re-run with --allow-data-loss, or with --rename table.old=new \
                 if a column was renamed"
            )));
        }
        allow_data_loss = confirm(&format!("Drop {lost}? The rows are lost. [y/N] "));
        if !allow_data_loss {
            return Err(Failure::Usage(format!(
                "not pushed: dropping {lost} was not confirmed; nothing changed"
            )));
        }
    }
    let record = push::apply(
        &db,
        &prepared,
        push::PushOptions {
            force: args.force,
            allow_data_loss,
        },
    )
    .await?;
    outln!(
        "pushed {} statement(s) to {where_} (push #{}, schema.sql sha256 {})",
        plan.statements.len(),
        record.id,
        &record.schema_checksum[..12]
    );
    let since = match &prepared.last_migration {
        Some((id, name)) => format!("its last applied migration, {id:04}_{name}"),
        None => "its migrations (none applied)".to_string(),
    };
    outln!(
        "note: the database is now ahead of {since}: before `devhub db migrate`, generate the \
         migration (`devhub db generate NAME`) and mark it applied with \
         `devhub db migrate --mark-applied`, or recreate the database"
    );
    Ok(())
}

/// Asks on stderr, reads the answer from the terminal: yes only for `y` / `yes`.
fn confirm(question: &str) -> bool {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{question}");
    let _ = stderr.flush();
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// `db migrate`'s refusal of a database changed by `db push` since its last migration, with
/// pending migrations (exit 2, one line that says what to do).
pub async fn refuse_pushed(db: &Db) -> Result<(), Failure> {
    let migrations = migrate::embedded()?;
    let conn = db.primary().conn().await?;
    let recorded = migrate::applied(&conn).await?;
    let pending = migrations
        .iter()
        .filter(|m| !recorded.iter().any(|a| a.id == m.id))
        .count();
    match push::unresolved_push(&conn).await? {
        Some(record) if pending > 0 => Err(Failure::Usage(push::pushed_message(&record, pending))),
        Some(record) => {
            eprintln!(
                "note: this database was changed with `db push` ({}) and is ahead of its \
                 migrations: generate the migration (`devhub db generate NAME`) and mark it \
                 applied with `devhub db migrate --mark-applied`",
                record.pushed_at.format("%Y-%m-%d %H:%M UTC")
            );
            Ok(())
        }
        None => Ok(()),
    }
}

/// `devhub db migrate --mark-applied`.
pub async fn mark_applied(config: &DbConfig) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    match push::mark_applied(&db, &migrate::embedded()?).await? {
        push::MarkApplied::Differs(left) => Err(Failure::Usage(format!(
            "nothing marked applied: the database is not what the migrations produce ({}). \
             Generate the missing migration with `devhub db generate NAME` (schema.sql as pushed), \
             or recreate the database",
            left.join("; ")
        ))),
        push::MarkApplied::Marked {
            migrations,
            pushes_resolved,
        } => {
            for m in &migrations {
                outln!(
                    "marked applied {} (not run: the database has it already)",
                    m.label()
                );
            }
            if migrations.is_empty() {
                outln!("No pending migrations; the database is what the migrations produce.");
            }
            if pushes_resolved > 0 {
                outln!(
                    "The database is under migrations again ({pushes_resolved} push(es) accounted for)."
                );
            }
            Ok(())
        }
    }
}
