//! `ketenpost retention`: the retention sweep by hand (the daemon runs it on its own).

use anyhow::Context;

use super::Outcome;
use crate::cli::{DataArgs, RetentionPeriods};
use crate::config::{self, RetentionSettings};
use crate::store;

/// Sweeps (or, dry, lists) the messages whose retention period is over.
///
/// # Errors
/// The configuration or a duration cannot be read, or the data folder cannot be used.
pub fn run(dry_run: bool, periods: &RetentionPeriods, data: &DataArgs) -> anyhow::Result<Outcome> {
    let mut settings = match &data.config {
        Some(file) => config::load_retention(file)?,
        None => RetentionSettings::default(),
    };
    let duration = |flag: &str, text: &Option<String>, into: &mut std::time::Duration| {
        if let Some(text) = text {
            *into = humantime::parse_duration(text).with_context(|| {
                format!("--{flag} {text:?}: use a duration like \"30d\" or \"90s\"")
            })?;
        }
        anyhow::Ok(())
    };
    duration(
        "keep-processed",
        &periods.keep_processed,
        &mut settings.keep_processed,
    )?;
    duration("keep-other", &periods.keep_other, &mut settings.keep_other)?;
    duration(
        "keep-history",
        &periods.keep_history,
        &mut settings.keep_history,
    )?;
    let log = store::open(data)?;
    let now = crate::service::retention_now_ms();
    let report = log
        .sweep_retention(settings.rules(), now, dry_run)
        .context("The retention sweep failed")?;
    if dry_run {
        for message in &report.listed {
            println!("due {message}");
        }
        println!(
            "{} messages are past their retention period (keep_processed {}, keep_other {}); nothing was changed",
            report.expired,
            humantime::format_duration(settings.keep_processed),
            humantime::format_duration(settings.keep_other)
        );
    } else {
        println!(
            "removed the personal data of {} messages and {} payloads",
            report.expired, report.payloads_deleted
        );
        if report.forgotten.messages > 0 {
            println!(
                "forgot the history of {} messages and {} receipts past keep_history ({})",
                report.forgotten.messages,
                report.forgotten.receipts,
                humantime::format_duration(settings.keep_history)
            );
        }
        if report.access_periods_forgotten > 0 {
            println!(
                "made the client data of the access log unreadable for {} periods older than \
                 keep_access_log ({})",
                report.access_periods_forgotten,
                humantime::format_duration(settings.keep_access_log)
            );
        }
        if report.note_periods_forgotten > 0 {
            println!(
                "made the text of notes unreadable for {} periods older than keep_notes ({})",
                report.note_periods_forgotten,
                humantime::format_duration(settings.keep_notes)
            );
        }
    }
    log.close();
    Ok(Outcome::Understood)
}
