//! `ketenpost backup --into DIR [--keep-for D]`: a folder of backups that a timer fills every
//! night and keeps short. Each backup goes into a new folder named after the time it was
//! started (`backup-2026-12-08T02:00:00Z`); once it is made, the backups in the folder named so
//! and made longer ago than `--keep-for` are removed. A backup holds the personal data of
//! messages whose retention ended after it was made, so a privacy officer wants them to go; an
//! operator wants the newest never to. Nothing is removed when the new backup failed, and
//! nothing that is not a backup made this way (the name, and `log.head` in it).

use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::Context;

use super::Outcome;
use crate::cli::DataArgs;

/// How a backup's folder in a folder of backups is named: this, then the time in RFC 3339.
const PREFIX: &str = "backup-";

/// Makes a backup into a new folder of `into` (made when missing), then removes the backups
/// there made longer than `keep_for` ago.
///
/// # Errors
/// `keep_for` is not a duration, the folder cannot be made or read, the backup failed, or an
/// old backup cannot be removed.
pub fn backup_into(
    into: &Path,
    keep_for: Option<&str>,
    data: &DataArgs,
) -> anyhow::Result<Outcome> {
    let keep_for = keep_for
        .map(|text| {
            humantime::parse_duration(text)
                .with_context(|| format!("--keep-for {text:?} is not a duration (e.g. 30d)"))
        })
        .transpose()?;
    make_private_folder(into)?;
    let now = SystemTime::now();
    let name = format!("{PREFIX}{}", humantime::format_rfc3339_seconds(now));
    let target = into.join(&name);
    anyhow::ensure!(
        !target.exists(),
        "{} exists already: one backup a second at most",
        target.display()
    );
    let outcome = super::backup::backup(&target, data)?;
    if let Some(keep_for) = keep_for {
        let names = backups_in(into)?;
        for old in due_for_removal(&names, &name, now, keep_for) {
            let path = into.join(old);
            std::fs::remove_dir_all(&path)
                .with_context(|| format!("Failed to remove the old backup {}", path.display()))?;
            println!(
                "removed the backup {} (made longer than --keep-for ago)",
                path.display()
            );
        }
    }
    Ok(outcome)
}

/// Makes `folder` (and its parents) when missing, readable by its owner only.
fn make_private_folder(folder: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(folder)
        .with_context(|| format!("Failed to create {}", folder.display()))
}

/// The names of the folders in `folder` that are backups made by [`backup_into`].
fn backups_in(folder: &Path) -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("Failed to read {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("Failed to read {}", folder.display()))?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if made_at(&name).is_some() && entry.path().join("log.head").is_file() {
            names.push(name);
        }
    }
    Ok(names)
}

/// When the backup named `name` was made, if it is named as [`backup_into`] names them.
fn made_at(name: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(name.strip_prefix(PREFIX)?).ok()
}

/// Of the backups `names`, those made more than `keep_for` before `now`; never `just_made`.
fn due_for_removal<'n>(
    names: &'n [String],
    just_made: &str,
    now: SystemTime,
    keep_for: Duration,
) -> Vec<&'n str> {
    let mut due: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| *name != just_made)
        .filter(|name| {
            made_at(name)
                .and_then(|made| now.duration_since(made).ok())
                .is_some_and(|age| age > keep_for)
        })
        .collect();
    due.sort_unstable();
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn backups_made_longer_ago_than_kept_are_due() {
        let list = names(&[
            "backup-2026-11-01T02:00:00Z",
            "backup-2026-11-20T02:00:00Z",
            "backup-2026-12-08T02:00:00Z",
        ]);
        let due = due_for_removal(
            &list,
            "backup-2026-12-08T02:00:00Z",
            at("2026-12-08T02:00:05Z"),
            30 * DAY,
        );
        assert_eq!(due, ["backup-2026-11-01T02:00:00Z"]);
    }

    #[test]
    fn the_backup_just_made_is_never_due() {
        let list = names(&["backup-2026-12-08T02:00:00Z"]);
        let due = due_for_removal(
            &list,
            "backup-2026-12-08T02:00:00Z",
            at("2026-12-09T02:00:00Z"),
            Duration::ZERO,
        );
        assert!(due.is_empty());
    }

    #[test]
    fn a_backup_dated_after_now_is_not_due() {
        let list = names(&["backup-2027-01-01T00:00:00Z"]);
        let due = due_for_removal(&list, "", at("2026-12-08T02:00:00Z"), Duration::ZERO);
        assert!(due.is_empty(), "a clock set back removes nothing");
    }

    #[test]
    fn only_names_given_by_a_rotation_are_read_as_backups() {
        assert!(made_at("backup-2026-12-08T02:00:00Z").is_some());
        assert!(made_at("2026-12-08").is_none());
        assert!(made_at("backup-yesterday").is_none());
    }
}
