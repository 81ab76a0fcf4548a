//! `devhub reminders run-once [--dry-run]`: what the server's scheduler does every half
//! minute, once, for operators who prefer cron (`devhub serve --no-reminders`).

use chrono::{DateTime, Utc};
use devhub_db::{Db, DbConfig, OpenMode};
use devhub_web::reminders::{Engine, Mailer};

use crate::cli::{MailArgs, RunOnceArgs};
use crate::Failure;

/// `println!` that does not panic when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The operator's SMTP server, from `SMTP_URL` and `SMTP_FROM`: `None` without a URL, a
/// one-line usage error for a bad one (never showing its password).
pub fn mailer(args: &MailArgs) -> Result<Option<Mailer>, Failure> {
    let Some(url) = args.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        if args.smtp_from.is_some() {
            return Err(Failure::Usage(
                "SMTP_FROM is set but SMTP_URL is not: set both to send reminder e-mails".into(),
            ));
        }
        return Ok(None);
    };
    let Some(from) = args.smtp_from.as_deref().filter(|f| !f.trim().is_empty()) else {
        return Err(Failure::Usage(
            "SMTP_URL is set but SMTP_FROM is not: give the sender address of reminder e-mails \
             (--smtp-from devhub@example.com)"
                .into(),
        ));
    };
    Mailer::new(url, from)
        .map(Some)
        .map_err(|e| Failure::Usage(format!("SMTP_URL: {e}")))
}

fn parse_now(raw: Option<&str>) -> Result<DateTime<Utc>, Failure> {
    match raw {
        None => Ok(Utc::now()),
        Some(raw) => DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                Failure::Usage(format!(
                    "--now must be a moment like 2026-12-07T08:00:00+13:00, not `{raw}`"
                ))
            }),
    }
}

/// `devhub reminders run-once`.
pub async fn run_once(config: &DbConfig, args: &RunOnceArgs) -> Result<(), Failure> {
    let now = parse_now(args.now.as_deref())?;
    let base = match args.public_url.as_deref() {
        None => "http://localhost:3000".to_string(),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            url.trim_end_matches('/').to_string()
        }
        Some(url) => {
            return Err(Failure::Usage(format!(
                "PUBLIC_URL must start with http:// or https://, not `{url}`"
            )))
        }
    };
    let mailer = mailer(&args.mail)?;
    let db = Db::open(config, OpenMode::MustExist).await?;
    let migrations = devhub_db::migrate::embedded()?;
    let pending = devhub_db::migrate::status(&db, &migrations)
        .await?
        .iter()
        .any(|m| matches!(m.state, devhub_db::migrate::MigrationState::Pending));
    if pending {
        return Err(Failure::Usage(
            "the database has migrations to apply: run `devhub db migrate` (or start `devhub serve`) first"
                .into(),
        ));
    }
    let engine = Engine::new(mailer, &base, None);
    if args.dry_run {
        let due = engine.preview(&db, now).await?;
        if due.is_empty() {
            outln!("nothing is due at {}", now.to_rfc3339());
        }
        for line in due {
            outln!("would send {line}");
        }
        return Ok(());
    }
    let report = engine.run_due(&db, now).await?;
    outln!(
        "reminders at {}: {} planned, {} sent, {} to retry, {} failed, {} with nothing to send",
        now.to_rfc3339(),
        report.planned,
        report.sent,
        report.retrying,
        report.failed,
        report.skipped
    );
    if report.failed > 0 {
        return Err(Failure::Failed(format!(
            "{} reminder(s) could not be delivered (see the log above and Settings → Reminders)",
            report.failed
        )));
    }
    Ok(())
}
