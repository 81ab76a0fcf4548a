//! `devhub db adopt`: a database of the original app (SvelteKit + Drizzle) brought to devhub's
//! schema in place (`devhub_db::migrate::adopt`), with what it did and who needs a new
//! password. Refusals say what to fix and change nothing.

use devhub_db::migrate::adopt::{AdoptOptions, AdoptReport, Adoption};
use devhub_db::migrate::{self, adopt as library};
use devhub_db::{Db, DbConfig, OpenMode};

use crate::cli::AdoptArgs;
use crate::transfer::print;
use crate::Failure;

pub async fn adopt(config: &DbConfig, args: &AdoptArgs) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    let options = AdoptOptions {
        dry_run: args.dry_run,
    };
    let adoption = library::adopt(&db, &migrate::embedded()?, &options).await?;
    let location = db.location().describe();
    match adoption {
        Adoption::AlreadyDevhub { adopted } => {
            if args.json {
                return print(&format!(
                    "{}\n",
                    serde_json::json!({ "adopted": false, "already": true, "was_adopted": adopted })
                ));
            }
            let what = if adopted {
                "it was adopted already"
            } else {
                "it is a devhub database already"
            };
            print(&format!(
                "Nothing to do: {what} ({location}). `devhub db migrate` applies pending \
                 migrations.\n"
            ))
        }
        Adoption::Adopted(report) if args.json => print(&format!("{}\n", json(&report))),
        Adoption::Adopted(report) => print(&human(&report, &location)),
    }
}

fn json(report: &AdoptReport) -> serde_json::Value {
    serde_json::json!({
        "adopted": !report.dry_run,
        "dry_run": report.dry_run,
        "rows": report.rows.iter().map(|(t, n)| (t.clone(), serde_json::json!(n)))
            .collect::<serde_json::Map<_, _>>(),
        "migrations": report.migrations,
        "social_links_converted": report.social_links_converted,
        "birthdays_moved": report.birthdays_moved,
        "users": report.users.iter().map(|u| serde_json::json!({
            "username": u.username,
            "renamed_from": u.renamed_from,
            "contacts": u.contacts,
            "interactions": u.interactions,
            "admin": u.admin,
            "needs_password_reset": u.needs_reset,
            "reset_command": u.needs_reset
                .then(|| format!("devhub user reset-password {}", u.username)),
        })).collect::<Vec<_>>(),
        "warnings": report.warnings,
    })
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn human(report: &AdoptReport, location: &str) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    if report.dry_run {
        line(format!(
            "Dry run: nothing was changed in {location}. Adopting it would do this:"
        ));
    } else {
        line(format!(
            "Adopted the original app's database ({location}) in one transaction:"
        ));
    }
    if let (Some(first), Some(last)) = (report.migrations.first(), report.migrations.last()) {
        line(format!(
            "  applied {} ({first} … {last})",
            plural(report.migrations.len() as i64, "migration", "migrations")
        ));
    }
    let kept = report
        .rows
        .iter()
        .map(|(table, n)| format!("{table} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    line(format!("  kept every row (rows per table): {kept}"));
    for u in &report.users {
        let mut about = format!(
            "  {}: {}, {}",
            u.username,
            plural(u.contacts, "contact", "contacts"),
            plural(u.interactions, "interaction", "interactions")
        );
        if u.admin {
            about.push_str(", admin");
        }
        if let Some(from) = &u.renamed_from {
            about.push_str(&format!(" (was {from:?}: devhub usernames are lowercase)"));
        }
        line(about);
    }
    if report.social_links_converted > 0 {
        line(format!(
            "  social links of {} read as links (platform → URL objects became devhub's list)",
            plural(report.social_links_converted, "contact", "contacts")
        ));
    }
    if report.birthdays_moved > 0 {
        line(format!(
            "  {} stored at another time of day moved to midnight UTC (the same date)",
            plural(report.birthdays_moved, "birthday", "birthdays")
        ));
    }
    line("  Drizzle's journal kept as __devhub_adopted_drizzle".to_string());
    for w in &report.warnings {
        line(format!("  warning: {w}"));
    }
    let resets: Vec<_> = report.needing_reset().collect();
    if !resets.is_empty() {
        line(String::new());
        line(format!(
            "{} a password hash devhub cannot verify: {} a new password. Log-in tells them to \
             ask for one. For each, run (or use the reset link on /admin):",
            plural(resets.len() as i64, "account has", "accounts have"),
            if resets.len() == 1 {
                "it needs"
            } else {
                "they need"
            }
        ));
        for u in resets {
            line(format!("  devhub user reset-password {}", u.username));
        }
        line(
            "(each prints a one-time link; add --password-stdin to set the password yourself)"
                .to_string(),
        );
    }
    if report.dry_run {
        line(String::new());
        line("Run `devhub db adopt` without --dry-run to do it.".to_string());
    }
    out
}
