//! One module per subcommand.

pub mod access_log;
pub mod audit;
pub mod backup;
pub mod backup_rotation;
pub mod config;
pub mod events;
pub mod generate;
pub mod import;
pub mod list;
pub mod parse;
pub mod remote;
pub mod render;
pub mod repair_head;
pub mod replay;
pub mod resend;
pub mod retention;
pub mod run;
pub mod seal;
pub mod show;
pub mod status;
pub mod user;
pub mod user_ops;
pub mod user_socket;
pub mod worker;

use std::path::Path;

/// How a command over files ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every file was understood (also when unsupported).
    Understood,
    /// At least one file was malformed, empty or could not be read; each was named on stderr.
    Malformed,
}

/// Reads a whole payload file.
///
/// # Errors
/// The file cannot be read; the error names it.
pub fn read_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    use anyhow::Context;
    std::fs::read(path).with_context(|| format!("Failed to read {}", path.display()))
}
