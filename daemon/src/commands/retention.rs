//! `ketenpost retention`: the retention sweep by hand (the daemon runs it on its own).

use anyhow::Context;

use super::Outcome;
use crate::cli::DataArgs;
use crate::config::{self, RetentionSettings};
use crate::store;

/// Sweeps (or, dry, lists) the messages whose retention period is over.
///
/// # Errors
/// The configuration or a duration cannot be read, or the data folder cannot be used.
pub fn run(
    dry_run: bool,
    keep_processed: Option<&str>,
    keep_other: Option<&str>,
    data: &DataArgs,
) -> anyhow::Result<Outcome> {
    let mut settings = match &data.config {
        Some(file) => config::load_retention(file)?,
        None => RetentionSettings::default(),
    };
    let duration = |flag: &str, text: &str| {
        humantime::parse_duration(text)
            .with_context(|| format!("--{flag} {text:?}: use a duration like \"30d\" or \"90s\""))
    };
    if let Some(text) = keep_processed {
        settings.keep_processed = duration("keep-processed", text)?;
    }
    if let Some(text) = keep_other {
        settings.keep_other = duration("keep-other", text)?;
    }
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
    }
    log.close();
    Ok(Outcome::Understood)
}
