//! `devhub`: parses the command line and hands over to the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    // `.env` fills in what the environment does not set; flags win over both (clap reads
    // the environment only for flags not given).
    let dotenv = dotenvy::dotenv();
    let cli = devhub::cli::Cli::parse();
    if let Err(e) = dotenv {
        if !e.not_found() {
            eprintln!("devhub: cannot read .env: {e}");
            return std::process::ExitCode::from(2);
        }
    }
    devhub::run(cli)
}
