//! `ketenpost generate man|completions --out DIR`: the man pages and shell completions that the
//! Debian package installs, generated from the command-line definitions so they never drift.

use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;

use super::Outcome;
use crate::cli::{Cli, Generated};

/// Writes the man pages (`ketenpost.1`, `ketenpost-<command>.1`) or the completions
/// (`ketenpost.bash`, `_ketenpost`, `ketenpost.fish`) into `out`.
///
/// # Errors
/// The folder cannot be created or a file cannot be written.
pub fn run(what: Generated, out: &Path) -> anyhow::Result<Outcome> {
    std::fs::create_dir_all(out).with_context(|| format!("Failed to create {}", out.display()))?;
    match what {
        Generated::Man => man_pages(out)?,
        Generated::Completions => {
            for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
                let path = clap_complete::generate_to(shell, &mut Cli::command(), "ketenpost", out)
                    .with_context(|| format!("Failed to write {shell} completions"))?;
                println!("{}", path.display());
            }
        }
    }
    Ok(Outcome::Understood)
}

/// One page for `ketenpost` and one per visible command (`ketenpost-run.1`, ...).
fn man_pages(out: &Path) -> anyhow::Result<()> {
    clap_mangen::generate_to(Cli::command(), out)
        .with_context(|| format!("Failed to write the man pages into {}", out.display()))?;
    let mut pages: Vec<_> = std::fs::read_dir(out)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "1"))
        .collect();
    pages.sort();
    for page in pages {
        println!("{}", page.display());
    }
    Ok(())
}
