//! The `ketenpost` binary: parses the command line and runs the command.

mod cli;
mod commands;
mod report;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use commands::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Parse { files, json } => commands::parse::run(files, *json),
        Command::Render { file, out } => commands::render::run(file, out),
    };
    match result {
        Ok(Outcome::Understood) => ExitCode::SUCCESS,
        Ok(Outcome::Malformed) => ExitCode::from(2),
        Err(error) => {
            eprintln!("ketenpost: {error:#}");
            ExitCode::FAILURE
        }
    }
}
