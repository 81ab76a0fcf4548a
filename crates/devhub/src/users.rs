//! `devhub user list|create|disable|enable|delete|reset-password|promote|demote`: the admin
//! page's account management from a terminal or a script. Human output by default, `--json`
//! for scripts; bad arguments and unknown users are one line on stderr and exit code 2.

use std::io::{BufRead, IsTerminal, Write};

use devhub_db::validate::Username;
use devhub_db::{
    password, AccountSummary, Db, DbConfig, NewSecurityEvent, NewUser, OpenMode, Role,
    SecurityEventKind, User,
};

use crate::cli::{UserCommand, UserCreateArgs, UserDeleteArgs, UserNameArgs, UserResetArgs};
use crate::transfer::print;
use crate::Failure;

/// Where reset links point when no public address is given.
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";

pub async fn run(config: &DbConfig, command: UserCommand) -> Result<(), Failure> {
    let db = Db::open(config, OpenMode::MustExist).await?;
    match command {
        UserCommand::List(args) => list(&db, args.json).await,
        UserCommand::Create(args) => create(&db, &args).await,
        UserCommand::Disable(args) => set_disabled(&db, &args, true).await,
        UserCommand::Enable(args) => set_disabled(&db, &args, false).await,
        UserCommand::Delete(args) => delete(&db, &args).await,
        UserCommand::ResetPassword(args) => reset_password(&db, &args).await,
        UserCommand::Promote(args) => set_role(&db, &args, Role::Admin).await,
        UserCommand::Demote(args) => set_role(&db, &args, Role::Member).await,
    }
}

/// The database's refusals (the last admin, a taken username) are the caller's to fix: exit 2.
fn refused(e: devhub_db::Error) -> Failure {
    match e {
        devhub_db::Error::Conflict { message, .. } => Failure::Usage(message),
        other => other.into(),
    }
}

fn json_line(value: &serde_json::Value) -> Result<(), Failure> {
    print(&format!("{value}\n"))
}

async fn find(db: &Db, name: &str) -> Result<User, Failure> {
    let username = name.trim().to_ascii_lowercase();
    db.users()
        .find_by_username(&username)
        .await?
        .ok_or_else(|| Failure::Usage(format!("there is no user named {username:?}")))
}

fn summary_json(s: &AccountSummary) -> serde_json::Value {
    serde_json::json!({
        "id": s.user.id,
        "username": s.user.username,
        "role": s.user.role,
        "disabled": s.user.is_disabled(),
        "disabled_at": s.user.disabled_at,
        "created_at": s.user.created_at,
        "last_activity": s.last_activity,
        "contacts": s.contacts,
        "interactions": s.interactions,
        "follow_ups": s.follow_ups,
        "storage_bytes": s.storage_bytes,
        "storage_measured_at": s.storage_measured_at,
    })
}

fn user_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "disabled": user.is_disabled(),
        "disabled_at": user.disabled_at,
        "created_at": user.created_at,
    })
}

async fn list(db: &Db, json: bool) -> Result<(), Failure> {
    let accounts = db.users().summaries().await?;
    if json {
        return json_line(&serde_json::Value::Array(
            accounts.iter().map(summary_json).collect(),
        ));
    }
    if accounts.is_empty() {
        return print("No accounts. Create one with `devhub user create NAME`.\n");
    }
    let width = accounts
        .iter()
        .map(|a| a.user.username.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut out = format!(
        "{:width$}  {:6}  {:8}  {:10}  {:>8}  LAST ACTIVITY\n",
        "USERNAME", "ROLE", "STATE", "CREATED", "CONTACTS"
    );
    for a in &accounts {
        out.push_str(&format!(
            "{:width$}  {:6}  {:8}  {:10}  {:>8}  {}\n",
            a.user.username,
            a.user.role.as_str(),
            if a.user.is_disabled() {
                "disabled"
            } else {
                "enabled"
            },
            a.user.created_at.format("%Y-%m-%d"),
            a.contacts,
            a.last_activity.map_or_else(
                || "never".to_string(),
                |at| at.format("%Y-%m-%d %H:%M UTC").to_string()
            ),
        ));
    }
    print(&out)
}

/// A password from the first line of standard input, or asked for twice on the terminal.
fn read_password(from_stdin: bool) -> Result<String, Failure> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Failed(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else if std::io::stdin().is_terminal() {
        let first = ask_hidden("Password: ")?;
        let again = ask_hidden("Password again: ")?;
        if first != again {
            return Err(Failure::Usage("the two passwords differ".into()));
        }
        first
    } else {
        return Err(Failure::Usage(
            "no terminal to ask for the password: pass it on standard input with --password-stdin"
                .into(),
        ));
    };
    Ok(password)
}

/// Asks on the terminal with echo off (`stty`), so the password is not shown.
fn ask_hidden(prompt: &str) -> Result<String, Failure> {
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let hidden = stty("-echo");
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        stty("echo");
    }
    eprintln!();
    read.map_err(|e| Failure::Failed(format!("cannot read the password: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// Records what the command did in the instance's log (the admin page's "Instance events"),
/// and, when it concerns an account that still exists, in that account's own log.
async fn log(
    db: &Db,
    kind: SecurityEventKind,
    account: Option<&devhub_db::User>,
    detail: String,
) -> Result<(), Failure> {
    let mut events = vec![NewSecurityEvent::of_instance(
        kind,
        format!("{detail}, from the command line"),
    )];
    if let Some(user) = account {
        events.push(NewSecurityEvent::of_user(&user.id, kind).detail("from the command line"));
    }
    db.write(async |tx| {
        for event in &events {
            tx.security_events().record(event).await?;
        }
        Ok(())
    })
    .await?;
    Ok(())
}

/// The password rules of registration, as one line.
fn check_password(password: &str, username: &str) -> Result<(), Failure> {
    devhub_web::accounts::check_password(password, username)
        .map_err(|e| Failure::Usage(format!("the password {e}")))
}

async fn create(db: &Db, args: &UserCreateArgs) -> Result<(), Failure> {
    let username =
        Username::parse(&args.name).map_err(|e| Failure::Usage(format!("the username {e}")))?;
    let password = read_password(args.password_stdin)?;
    check_password(&password, username.as_str())?;
    let hash = password::hash_password(password)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    let new = NewUser::new(username, hash)?;
    let mut user = db.users().create(&new).await.map_err(refused)?;
    let what = format!("{} (created as {})", user.username, user.role);
    log(db, SecurityEventKind::Registered, Some(&user), what).await?;
    if args.admin && !user.is_admin() {
        user = db.users().set_role(&user.id, Role::Admin).await?;
        let what = format!("{}: now an admin", user.username);
        log(db, SecurityEventKind::RoleChanged, Some(&user), what).await?;
    }
    if args.json {
        return json_line(&user_json(&user));
    }
    print(&format!("Created {} ({}).\n", user.username, user.role))
}

async fn set_disabled(db: &Db, args: &UserNameArgs, disabled: bool) -> Result<(), Failure> {
    let user = find(db, &args.name).await?;
    let (user, ended) = db
        .users()
        .set_disabled(&user.id, disabled)
        .await
        .map_err(refused)?;
    let kind = if disabled {
        SecurityEventKind::AccountDisabled
    } else {
        SecurityEventKind::AccountEnabled
    };
    log(db, kind, Some(&user), user.username.clone()).await?;
    if args.json {
        let mut value = user_json(&user);
        value["sessions_ended"] = ended.into();
        return json_line(&value);
    }
    if disabled {
        print(&format!(
            "Disabled {}: {ended} session(s) ended; it cannot log in or use its API tokens.\n",
            user.username
        ))
    } else {
        print(&format!("Enabled {}.\n", user.username))
    }
}

async fn set_role(db: &Db, args: &UserNameArgs, role: Role) -> Result<(), Failure> {
    let user = find(db, &args.name).await?;
    let user = db.users().set_role(&user.id, role).await.map_err(refused)?;
    let what = format!("{}: now {}", user.username, user.role);
    log(db, SecurityEventKind::RoleChanged, Some(&user), what).await?;
    if args.json {
        return json_line(&user_json(&user));
    }
    print(&format!(
        "{} is now {}.\n",
        user.username,
        match role {
            Role::Admin => "an admin",
            Role::Member => "a member",
        }
    ))
}

async fn delete(db: &Db, args: &UserDeleteArgs) -> Result<(), Failure> {
    let user = find(db, &args.name).await?;
    let summary = db.users().summary(&user.id).await?;
    let counts = format!(
        "{} contacts, {} interactions, {} follow-ups",
        summary.contacts, summary.interactions, summary.follow_ups
    );
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(Failure::Usage(format!(
                "deleting {} takes {counts} with it: add --yes to confirm",
                user.username
            )));
        }
        eprint!(
            "Delete {} and {counts}, for good? Type the username to confirm: ",
            user.username
        );
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Failed(e.to_string()))?;
        if line.trim() != user.username {
            return Err(Failure::Usage("not confirmed: nothing was deleted".into()));
        }
    }
    db.users().delete_account(&user.id).await.map_err(refused)?;
    let what = format!("{}: {counts} deleted with it", user.username);
    log(db, SecurityEventKind::AccountDeleted, None, what).await?;
    if args.json {
        return json_line(&serde_json::json!({
            "username": user.username,
            "deleted": true,
            "contacts": summary.contacts,
            "interactions": summary.interactions,
            "follow_ups": summary.follow_ups,
        }));
    }
    print(&format!("Deleted {} and {counts}.\n", user.username))
}

async fn reset_password(db: &Db, args: &UserResetArgs) -> Result<(), Failure> {
    let user = find(db, &args.name).await?;
    if args.password_stdin {
        let password = read_password(true)?;
        check_password(&password, &user.username)?;
        let hash = password::hash_password(password)
            .await
            .map_err(|e| Failure::Failed(e.to_string()))?;
        let id = user.id.clone();
        // The new password and the end of every session, together.
        let ended = db
            .write(async |tx| {
                tx.users().update_password_hash(&id, &hash).await?;
                tx.sessions().delete_all_for_user(&id, None).await
            })
            .await?;
        let what = format!("{}: password set", user.username);
        log(db, SecurityEventKind::PasswordReset, Some(&user), what).await?;
        if args.json {
            return json_line(&serde_json::json!({
                "username": user.username,
                "password_set": true,
                "sessions_ended": ended,
            }));
        }
        return print(&format!(
            "Password of {} set; {ended} session(s) ended.\n",
            user.username
        ));
    }
    let base = match args.public_url.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_PUBLIC_URL.to_string(),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            url.trim_end_matches('/').to_string()
        }
        Some(url) => {
            return Err(Failure::Usage(format!(
                "the public URL must start with http:// or https://, not `{url}`"
            )))
        }
    };
    let issued = db.password_resets().issue(&user.id, None).await?;
    let what = user.username.clone();
    log(db, SecurityEventKind::ResetLinkCreated, Some(&user), what).await?;
    let url = format!("{base}/reset-password/{}", issued.token.expose());
    if args.json {
        return json_line(&serde_json::json!({
            "username": user.username,
            "url": url,
            "expires_at": issued.reset.expires_at,
        }));
    }
    print(&format!(
        "{url}\n\nA one-time link for {} to choose a new password, until {}. It is shown only \
         this once; using it ends every session of {}.\n",
        user.username,
        issued.reset.expires_at.format("%Y-%m-%d %H:%M UTC"),
        user.username
    ))
}
