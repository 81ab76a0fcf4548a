//! The `devhub` binary's library: one function per subcommand.

mod adopt;
mod backup;
pub mod cli;
mod commands;
mod crm;
mod drift;
mod push;
mod reminders;
mod transfer;
mod users;

use std::process::ExitCode;

use cli::{Cli, Command, DbCommand};

/// What went wrong, and which exit code says so.
#[derive(Debug)]
pub enum Failure {
    /// Bad configuration or arguments: exit code 2.
    Usage(String),
    /// The command ran and failed: exit code 1.
    Failed(String),
}

impl From<devhub_db::Error> for Failure {
    fn from(e: devhub_db::Error) -> Self {
        match e {
            devhub_db::Error::Config(m) => Failure::Usage(m),
            devhub_db::Error::Validation(v) => Failure::Usage(v.to_string()),
            other => Failure::Failed(other.to_string()),
        }
    }
}

/// Runs a parsed command line to completion and returns the process's exit code.
pub fn run(cli: Cli) -> ExitCode {
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("devhub: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("devhub: {}", one_line(&message));
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            eprintln!("devhub: {}", one_line(&message));
            ExitCode::from(1)
        }
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn dispatch(cli: Cli) -> Result<(), Failure> {
    let config = commands::db_config(&cli.database)?;
    match cli.command {
        Command::Db(DbCommand::Migrate(args)) if args.mark_applied => {
            push::mark_applied(&config).await
        }
        Command::Db(DbCommand::Migrate(_)) => commands::db_migrate(&config).await,
        Command::Db(DbCommand::Push(args)) => push::push(&config, &args).await,
        Command::Db(DbCommand::Status) => commands::db_status(&config).await,
        Command::Db(DbCommand::Optimize) => commands::db_optimize(&config).await,
        Command::Db(DbCommand::Generate(args)) => commands::db_generate(&args).await,
        Command::Db(DbCommand::Check(args)) => commands::db_check(&config, &args).await,
        Command::Db(DbCommand::Pull(args)) => drift::pull(&config, &args).await,
        Command::Db(DbCommand::Adopt(args)) => adopt::adopt(&config, &args).await,
        Command::SeedDemo(args) => commands::seed_demo(&config, &args).await,
        Command::Serve(args) => commands::serve(&config, &args).await,
        Command::Studio(args) => commands::studio(&config, &args).await,
        Command::Import(args) => transfer::import(&config, &args).await,
        Command::Export(args) => transfer::export(&config, &args).await,
        Command::Contact(cli::ContactCommand::List(args)) => crm::list(&config, &args).await,
        Command::Contact(cli::ContactCommand::Show(args)) => crm::show(&config, &args).await,
        Command::Contact(cli::ContactCommand::Add(args)) => crm::add(&config, &args).await,
        Command::Log(args) => crm::log(&config, &args).await,
        Command::Token(cli::TokenCommand::Create(args)) => crm::token_create(&config, &args).await,
        Command::Token(cli::TokenCommand::List(args)) => crm::token_list(&config, &args).await,
        Command::Token(cli::TokenCommand::Revoke(args)) => crm::token_revoke(&config, &args).await,
        Command::User(command) => users::run(&config, command).await,
        Command::Backup(args) => backup::backup(&config, &args).await,
        Command::Restore(args) => backup::restore(&config, &args).await,
        Command::Reminders(cli::RemindersCommand::RunOnce(args)) => {
            reminders::run_once(&config, &args).await
        }
    }
}

/// Logs go to stderr; `RUST_LOG` sets the level (default: info for devhub, warn elsewhere).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(
            "warn,devhub=info,devhub_web=info,devhub_db=info,devhub_studio=info,tower_http=info",
        )
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
