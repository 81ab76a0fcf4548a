//! The command line: every subcommand and option, with their environment variables.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use devhub_db::repo::contact::ListWord;
use devhub_db::{ContactFilter, ContactSort, SortDirection};

#[derive(Debug, Parser)]
#[command(
    name = "devhub",
    version,
    about = "Developer Hub CRM: a self-hosted CRM for developers, in one binary",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives (DESIGN.md §3).
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// Database: file:PATH, a plain path, :memory:, libsql://…, https://… or http://…
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = devhub_db::DEFAULT_DATABASE_URL,
        value_name = "URL"
    )]
    pub database_url: String,

    /// Auth token for a remote libSQL server (Turso: `turso db tokens create`)
    #[arg(
        long,
        global = true,
        env = "DATABASE_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub database_auth_token: Option<String>,

    /// With a remote URL: keep an embedded replica in this local file (local reads)
    #[arg(
        long,
        global = true,
        env = "DATABASE_REPLICA_PATH",
        value_name = "PATH"
    )]
    pub database_replica_path: Option<PathBuf>,

    /// Local files: `normal` (default; survives crashes) or `full` (also power loss)
    #[arg(
        long,
        global = true,
        env = "DATABASE_SYNCHRONOUS",
        default_value = "normal",
        value_name = "MODE"
    )]
    pub database_synchronous: String,

    /// With a replica: seconds between its background syncs from the server (`0`: none)
    #[arg(
        long,
        global = true,
        env = "DATABASE_SYNC_INTERVAL",
        default_value = devhub_db::config::DEFAULT_SYNC_INTERVAL,
        value_name = "SECONDS"
    )]
    pub database_sync_interval: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web app (applies pending migrations first)
    Serve(ServeArgs),
    /// Database tooling: apply, inspect, generate and check migrations
    #[command(subcommand)]
    Db(DbCommand),
    /// Fill the database with deterministic demo users, contacts and interactions
    SeedDemo(SeedArgs),
    /// Browse, query and edit the database in the browser (never creates or migrates it)
    Studio(StudioArgs),
    /// Imports contacts from a vCard, Google or LinkedIn CSV file, or restores a JSON backup
    Import(ImportArgs),
    /// Exports the user's contacts as vCard 4.0 or CSV, or everything as a JSON backup
    Export(ExportArgs),
    /// Lists, shows and adds contacts
    #[command(subcommand)]
    Contact(ContactCommand),
    /// Logs an interaction with a contact (by id or unambiguous name)
    Log(LogArgs),
    /// Creates, lists and revokes personal access tokens for the JSON API
    #[command(subcommand)]
    Token(TokenCommand),
    /// Writes a verified copy of the whole database to FILE while the app keeps running
    Backup(BackupArgs),
    /// Verifies a backup FILE and copies it into the empty DATABASE_URL location
    Restore(RestoreArgs),
    /// Manages accounts: list, create, disable, enable, delete, reset passwords, roles
    #[command(subcommand)]
    User(UserCommand),
    /// Reminders: send what is due now (for cron, instead of the server's own schedule)
    #[command(subcommand)]
    Reminders(RemindersCommand),
}

#[derive(Debug, Subcommand)]
pub enum RemindersCommand {
    /// Sends every reminder due now (digests, follow-ups, retries), or shows them with --dry-run
    RunOnce(RunOnceArgs),
}

/// Where reminder e-mails go out and where their links point.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// SMTP server for reminder e-mails: smtp://user:pass@host:587 (STARTTLS),
    /// smtps://user:pass@host:465 (TLS) or smtp://localhost:25?tls=none (a local relay)
    #[arg(long, env = "SMTP_URL", hide_env_values = true, value_name = "URL")]
    pub smtp_url: Option<String>,
    /// The sender of reminder e-mails: devhub@example.com or "Developer Hub <devhub@example.com>"
    #[arg(long, env = "SMTP_FROM", value_name = "ADDRESS")]
    pub smtp_from: Option<String>,
}

#[derive(Debug, Args)]
pub struct RunOnceArgs {
    /// Show what is due without sending or changing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Act as if it were this moment (RFC 3339, e.g. 2026-12-07T08:00:00+13:00) instead of now
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// The public address of the app, which links in reminders point to
    #[arg(long, env = "PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    #[command(flatten)]
    pub mail: MailArgs,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Lists every account with its role, state, contacts and last activity
    List(UserListArgs),
    /// Creates an account (the instance's first account is its admin)
    Create(UserCreateArgs),
    /// Disables an account: it is signed out at once and cannot log in or use its API tokens
    Disable(UserNameArgs),
    /// Enables a disabled account again
    Enable(UserNameArgs),
    /// Deletes an account and everything it holds (asks, or needs --yes without a terminal)
    Delete(UserDeleteArgs),
    /// Prints a one-time password-reset link (an hour), or sets the password from stdin
    ResetPassword(UserResetArgs),
    /// Makes an account an admin
    Promote(UserNameArgs),
    /// Makes an admin a member again (never the last admin)
    Demote(UserNameArgs),
}

#[derive(Debug, Args)]
pub struct UserListArgs {
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UserNameArgs {
    /// The account's username
    pub name: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UserCreateArgs {
    /// The new account's username (3–32 characters: a–z, 0–9, _ and -)
    pub name: String,
    /// Read the password from the first line of standard input instead of asking for it
    #[arg(long)]
    pub password_stdin: bool,
    /// Make the account an admin (the first account is one anyway)
    #[arg(long)]
    pub admin: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UserDeleteArgs {
    /// The account's username
    pub name: String,
    /// Delete without asking (required without a terminal)
    #[arg(long)]
    pub yes: bool,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UserResetArgs {
    /// The account's username
    pub name: String,
    /// Set the password read from the first line of standard input instead of making a link
    #[arg(long)]
    pub password_stdin: bool,
    /// The address users reach the app at, for the link (default: http://127.0.0.1:3000)
    #[arg(long, env = "PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The copy to write: a new local SQLite file
    pub file: PathBuf,
    /// Replace FILE if it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A file written by `devhub backup`
    pub file: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a token and prints it once (only its sha256 is stored)
    Create(TokenCreateArgs),
    /// Lists the user's tokens with their last use (never the tokens themselves)
    List(TokenListArgs),
    /// Revokes a token by its id (from `token list`)
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    #[command(flatten)]
    pub user: UserArgs,
    /// What the token is for ("laptop script", "CI")
    #[arg(long)]
    pub name: String,
    /// Days until it stops working (default: never)
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub expires_in_days: Option<u32>,
    /// Print JSON (the token and its record)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenListArgs {
    #[command(flatten)]
    pub user: UserArgs,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id (from `devhub token list`)
    pub id: String,
    #[command(flatten)]
    pub user: UserArgs,
}

#[derive(Debug, Subcommand)]
pub enum ContactCommand {
    /// Lists the user's contacts by name
    List(ContactListArgs),
    /// Shows one contact (by id or unambiguous name) with its details and latest interactions
    Show(ContactShowArgs),
    /// Adds a contact
    Add(ContactAddArgs),
}

#[derive(Debug, Args)]
pub struct ContactListArgs {
    #[command(flatten)]
    pub user: UserArgs,
    /// Only contacts whose name, industry, location or relationship contains this
    #[arg(long, short)]
    pub search: Option<String>,
    /// Which contacts: all, vip, active or archived (as on the contacts page)
    #[arg(long, value_parser = list_word::<ContactFilter>)]
    pub filter: Option<ContactFilter>,
    /// Order by name, last_contacted or created
    #[arg(long, value_parser = list_word::<ContactSort>)]
    pub sort: Option<ContactSort>,
    /// asc or desc (default: names A→Z, dates newest first)
    #[arg(long, value_parser = list_word::<SortDirection>)]
    pub dir: Option<SortDirection>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// A word of the contact list's vocabulary, shared with the page and the API.
fn list_word<T: ListWord>(raw: &str) -> Result<T, String> {
    T::parse(raw).ok_or_else(|| {
        let words: Vec<&str> = T::ALL.iter().map(|w| w.as_str()).collect();
        format!("expected one of {}", words.join(", "))
    })
}

#[derive(Debug, Args)]
pub struct ContactShowArgs {
    /// The contact's id, or a name (or part of one) that only one contact has
    pub contact: String,
    #[command(flatten)]
    pub user: UserArgs,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ContactAddArgs {
    /// The contact's name
    pub name: String,
    #[command(flatten)]
    pub user: UserArgs,
    #[arg(long)]
    pub relationship: Option<String>,
    #[arg(long)]
    pub industry: Option<String>,
    #[arg(long)]
    pub location: Option<String>,
    /// YYYY-MM-DD
    #[arg(long)]
    pub birthday: Option<String>,
    #[arg(long)]
    pub vip: bool,
    /// An e-mail address, optionally with a label: `--email work:ada@example.com`; repeat for
    /// more (the first is the main one)
    #[arg(long = "email", value_name = "[LABEL:]ADDRESS")]
    pub emails: Vec<String>,
    /// A phone number, optionally with a label: `--phone mobile:+44 20 7946 0958`; repeat for
    /// more
    #[arg(long = "phone", value_name = "[LABEL:]NUMBER")]
    pub phones: Vec<String>,
    /// Free notes about the person
    #[arg(long)]
    pub notes: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// The contact's id, or a name (or part of one) that only one contact has
    pub contact: String,
    /// What you talked about
    pub notes: String,
    #[command(flatten)]
    pub user: UserArgs,
    /// meeting, call, email, message or other
    #[arg(long = "type", default_value = "meeting")]
    pub kind: String,
    /// YYYY-MM-DD (default: today, UTC)
    #[arg(long)]
    pub date: Option<String>,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// Whose data a command works on.
#[derive(Debug, Clone, Args)]
pub struct UserArgs {
    /// The username of the account
    #[arg(long, env = "DEVHUB_USER", value_name = "USERNAME")]
    pub user: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file: .vcf (vCard 3.0/4.0), Google Contacts or LinkedIn Connections CSV, or a backup
    pub file: PathBuf,
    #[command(flatten)]
    pub user: UserArgs,
    /// What to do with records that look like contacts the user has: skip or merge
    #[arg(long, default_value = "skip", value_parser = ["skip", "merge"])]
    pub duplicates: String,
    /// Show what the import would do, and write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// vcard, csv or json (the backup of everything)
    #[arg(long, value_parser = ["vcard", "csv", "json"])]
    pub format: String,
    #[command(flatten)]
    pub user: UserArgs,
    /// Write to this file instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (creates the database file if missing)
    Migrate(MigrateArgs),
    /// List applied and pending migrations, then any drift (where the database's schema
    /// differs from the one its applied migrations make)
    Status,
    /// Write the next migration from the difference between schema.sql and the migrations
    Generate(GenerateArgs),
    /// Fail when schema.sql and the migrations disagree (and, with --database, when the
    /// database has drifted from its migrations)
    Check(CheckArgs),
    /// Merge each full-text search index into one segment (searches read every segment):
    /// after a large import, or from cron. Safe while the app runs; other writes wait while it
    /// works (about 3 s at 100,000 contacts). The app's hourly sweep merges a fragmented index.
    Optimize,
    /// Development: apply schema.sql to the database directly, without a migration
    Push(PushArgs),
    /// Write a schema.sql from what a database (DATABASE_URL: a file or a server) holds
    Pull(PullArgs),
    /// Bring a database of the original app (SvelteKit + Drizzle) to devhub's schema, in place,
    /// keeping every row
    Adopt(AdoptArgs),
}

#[derive(Debug, Clone, Args)]
pub struct MigrateArgs {
    /// Record the pending migrations as applied without running them, when the database
    /// already is what they produce (after `db push` and `db generate`)
    #[arg(long)]
    pub mark_applied: bool,
}

#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// The declarative schema to push
    #[arg(long, default_value = "schema.sql", value_name = "FILE")]
    pub schema: PathBuf,
    /// Print the statements (and what they would drop) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Push even where schema.sql changes or drops what applied migrations created
    #[arg(long)]
    pub force: bool,
    /// Drop tables and columns without asking (needed without a terminal)
    #[arg(long)]
    pub allow_data_loss: bool,
    /// A renamed column, as table.old=new (repeatable), so its values are kept
    #[arg(long = "rename", value_name = "TABLE.OLD=NEW")]
    pub renames: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Also compare the live database (DATABASE_URL) with the migrations it has applied, and
    /// fail on any drift
    #[arg(long)]
    pub database: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Overwrite FILE when it exists
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// Do everything and check it, then roll back: shows what adopting would do
    #[arg(long)]
    pub dry_run: bool,
    /// Print the result as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// The declarative schema
    #[arg(long, default_value = "schema.sql", value_name = "FILE")]
    pub schema: PathBuf,
    /// The folder of NNNN_name.sql migrations
    #[arg(long, default_value = "migrations", value_name = "DIR")]
    pub migrations: PathBuf,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Name of the migration (a-z, 0-9, _), e.g. add_contact_nickname
    pub name: String,
    /// Allow a migration that drops tables or columns
    #[arg(long)]
    pub allow_data_loss: bool,
    /// A renamed column, as table.old=new (repeatable), so its values are kept
    #[arg(long = "rename", value_name = "TABLE.OLD=NEW")]
    pub renames: Vec<String>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Number of demo users
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub users: u32,
    /// Contacts per user
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    pub contacts: u32,
    /// Interactions per contact
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub interactions: u32,
    /// Seed of the generator: the same seed gives the same data
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one)
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    /// Do not apply pending migrations at start
    #[arg(long)]
    pub no_migrate: bool,
    /// Mark cookies `Secure` (set when the app is served over https)
    #[arg(long, env = "SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Failed log-ins allowed per client address per minute, and per username before its back-off
    #[arg(long, env = "AUTH_ATTEMPTS_PER_MINUTE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub auth_attempts_per_minute: u32,
    /// The public address of the app; an https:// URL turns on secure cookies
    #[arg(long, env = "PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Reverse proxies whose X-Forwarded-For/-Proto/-Host are believed: addresses or CIDR
    /// ranges, comma-separated (default: none)
    #[arg(
        long,
        env = "TRUSTED_PROXIES",
        value_name = "CIDR,…",
        default_value = ""
    )]
    pub trusted_proxies: devhub_http::TrustedProxies,
    /// Who may register until an admin chooses on the admin page: open, invite or closed
    #[arg(
        long,
        env = "DEVHUB_REGISTRATION",
        default_value = "open",
        value_name = "MODE"
    )]
    pub registration: devhub_db::RegistrationMode,
    /// Serve Prometheus metrics at /metrics (to loopback, or with --metrics-token)
    #[arg(long, env = "DEVHUB_METRICS")]
    pub metrics: bool,
    /// A bearer token that lets other addresses scrape /metrics
    #[arg(
        long,
        env = "DEVHUB_METRICS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub metrics_token: Option<String>,
    #[command(flatten)]
    pub mail: MailArgs,
    /// Do not send reminders from this server (run `devhub reminders run-once` from cron instead)
    #[arg(long, env = "DEVHUB_NO_REMINDERS")]
    pub no_reminders: bool,
}

#[derive(Debug, Args)]
pub struct StudioArgs {
    /// Address to listen on; anything but loopback lets other machines reach the studio
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = devhub_studio::server::DEFAULT_PORT)]
    pub port: u16,
    /// Let the SQL console run statements that write (read-only otherwise)
    #[arg(long)]
    pub allow_writes: bool,
    /// Seconds after which a console statement is interrupted
    #[arg(long, default_value_t = 5, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub statement_timeout: u64,
}
