//! Every command's `--help` reads like a man page: what it does, its options, an example and
//! the exit codes.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use clap::CommandFactory;
use ketenpost::cli::Cli;

#[test]
fn every_command_help_has_examples_and_the_exit_codes() {
    let cli = Cli::command();
    let visible: Vec<String> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_owned())
        .collect();
    assert!(visible.len() >= 12, "{visible:?}");
    for name in &visible {
        let output = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args([name.as_str(), "--help"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{name} --help");
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("Usage: ketenpost "), "{name}: {help}");
        assert!(help.contains("Examples:"), "{name}: {help}");
        assert!(
            help.contains(&format!("  ketenpost {name}"))
                || help.contains(&format!("| ketenpost {name}")),
            "{name}'s examples do not run it: {help}"
        );
        assert!(help.contains("Exit codes:"), "{name}: {help}");
        assert!(
            help.contains("  2  done, but some input was refused"),
            "{name}"
        );
    }
}

#[test]
fn every_option_of_every_command_is_described() {
    for command in Cli::command().get_subcommands() {
        for arg in command.get_arguments() {
            if arg.is_hide_set() {
                continue;
            }
            assert!(
                arg.get_help().is_some(),
                "{} --{} has no description",
                command.get_name(),
                arg.get_id()
            );
        }
    }
}
