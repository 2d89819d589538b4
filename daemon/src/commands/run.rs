//! `ketenpost run [--config FILE] [--check]`: the always-on daemon, or a dry run that checks
//! the configuration and exits.

use std::path::Path;

use super::Outcome;
use crate::config::{self, MailboxKind, Settings};
use crate::service;

/// Loads and checks the configuration, then runs until SIGTERM or ctrl-c; with `check`, only
/// checks it (also the record systems' certificates) and prints what would run.
///
/// # Errors
/// The configuration has problems (each named by its key), or the daemon cannot start.
pub fn run(config_file: Option<&Path>, check: bool) -> anyhow::Result<Outcome> {
    let settings = config::load(config_file)?;
    if check {
        return check_only(&settings);
    }
    service::run(settings)?;
    Ok(Outcome::Understood)
}

/// What `run` would start with, once every part that can be checked without the network is.
fn check_only(settings: &Settings) -> anyhow::Result<Outcome> {
    service::wiring::record_systems(settings)?;
    println!("configuration ok");
    println!("  data folder      {}", settings.data_dir.display());
    println!("  API              http://{}", settings.api.listen);
    for mailbox in &settings.mailboxes {
        let kind = match &mailbox.kind {
            MailboxKind::ZorgMail(zorgmail) => format!("ZorgMail account {}", zorgmail.account_id),
            MailboxKind::Folder(folder) => format!("folder {}", folder.display()),
        };
        println!(
            "  mailbox {:<8} {kind}, every {}, route {}",
            mailbox.name,
            humantime::format_duration(mailbox.poll_interval),
            mailbox.route
        );
    }
    for name in settings.record_systems.keys() {
        println!("  record system    {name} (certificates read)");
    }
    for warning in &settings.warnings {
        println!("warning: {warning}");
    }
    Ok(Outcome::Understood)
}
