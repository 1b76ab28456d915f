//! Subcommands. Each lives in its own file; this one only parses arguments.

mod check;
mod env;
mod run;
mod say;
mod scenario_tools;
mod serve;
mod sign;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "kommo-sandbox",
    version,
    about = "A local emulator of Kommo / amoCRM for chat integrations, widgets and CI",
    long_about = "A local emulator of Kommo / amoCRM: the Chats API (amojo) with real signatures, \
an admin plane under /_sandbox/, a settable clock and seeded ids.\n\n\
Start with `kommo-sandbox serve` and point your integration's amojo base URL at it.",
    after_help = "Examples:\n  kommo-sandbox serve\n  kommo-sandbox serve --port 0 --config sandbox.yaml\n  kommo-sandbox sign --path /v2/origin/custom/CHANNEL/connect --body '{\"account_id\":\"...\"}' --curl"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: its size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    Serve(serve::Args),
    Sign(sign::Args),
    Run(run::Args),
    Check(check::Args),
    Schema(scenario_tools::SchemaArgs),
    New(scenario_tools::NewArgs),
    Review(scenario_tools::ReviewArgs),
    Accept(scenario_tools::AcceptArgs),
    Say(say::Args),
    Env(env::Args),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Sign(args) => sign::run(args),
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Schema(args) => scenario_tools::schema(args),
        Command::New(args) => scenario_tools::new(args),
        Command::Review(args) => scenario_tools::review(args),
        Command::Accept(args) => scenario_tools::accept(args),
        Command::Say(args) => say::run(args),
        Command::Env(args) => env::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
