//! The `ketenpost` binary: parses the command line and runs the command.

use std::process::ExitCode;

/// Many small allocations on many threads: cheaper with mimalloc than with the system's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use ketenpost::cli::{Cli, Command, ConfigCommand};
use ketenpost::commands::{self, Outcome};

fn main() -> ExitCode {
    // Everything ketenpost creates (the data folder, the log, drop-folder moves) is for its
    // owner only, whatever umask it was started with.
    rustix::process::umask(rustix::fs::Mode::from_bits_truncate(0o077));
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Parse {
            files,
            json,
            config,
        } => commands::parse::run(files, *json, config.as_deref()),
        Command::Render { file, out, force } => commands::render::run(file, out, *force),
        Command::Import { files, data } => commands::import::run(files, data),
        Command::Events { stream, from, data } => {
            commands::events::run(stream.as_deref(), *from, data)
        }
        Command::Status { json, data } => commands::status::run(*json, data),
        Command::Show { id, json, data } => commands::show::run(id, *json, data),
        Command::List {
            category,
            cursor,
            limit,
            json,
            data,
        } => commands::list::run(category, cursor.as_deref(), *limit, *json, data),
        Command::Replay { data } => commands::replay::run(data),
        Command::Backup {
            to,
            into,
            keep_for,
            data,
        } => match (to, into) {
            (Some(to), _) => commands::backup::backup(to, data),
            (None, Some(into)) => {
                commands::backup_rotation::backup_into(into, keep_for.as_deref(), data)
            }
            // clap requires one of them.
            (None, None) => Err(anyhow::anyhow!("give --to or --into")),
        },
        Command::Restore { from, data } => commands::backup::restore(from, data),
        Command::Retention {
            dry_run,
            periods,
            data,
        } => commands::retention::run(*dry_run, periods, data),
        Command::RepairHead { data } => commands::repair_head::run(data),
        Command::Run { config, check } => commands::run::run(config.as_deref(), *check),
        Command::Worker { config } => commands::worker::run(config),
        Command::Resend { ids, data } => commands::resend::run(ids, data),
        Command::Seal { data } => commands::seal::run(data),
        Command::User(user) => commands::user::run(user),
        Command::Config(ConfigCommand::Export { data }) => commands::config::export(data),
        Command::Audit {
            user,
            client,
            verify,
            from,
            to,
            data,
        } => {
            let wanted = match (user, client, verify) {
                (Some(user), _, _) => commands::audit::Wanted::User(user.clone()),
                (None, Some(bsn), _) => commands::audit::Wanted::Client(bsn.clone()),
                (None, None, _) => commands::audit::Wanted::Verify,
            };
            commands::audit::run(&wanted, from.as_deref(), to.as_deref(), data)
        }
        Command::Generate { what, out } => commands::generate::run(*what, out),
    };
    match result {
        Ok(Outcome::Understood) => ExitCode::SUCCESS,
        Ok(Outcome::Malformed) => ExitCode::from(2),
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ketenpost: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Whether the reader of stdout went away (e.g. `| head`): not an error of ketenpost's.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
