//! `ketenpost seal`: seals a secret read from stdin (a mailbox password, the API token, the
//! record system's client key) with the data key, for the configuration. The secret itself is
//! never printed.

use std::io::{Read, Write};

use anyhow::Context;
use ketenpost_adapters::event_log::load_or_create_key;
use ketenpost_adapters::sealed::seal;

use super::Outcome;
use crate::cli::DataArgs;

/// Reads stdin, prints `sealed:v1:...`.
///
/// # Errors
/// The key file cannot be used, or stdin is empty.
pub fn run(data: &DataArgs) -> anyhow::Result<Outcome> {
    let key_file = crate::store::place(data)?.key_file;
    // A missing key file is created (the first secret may be sealed before the first start),
    // but never the folder it belongs in: a typo must not leave folders behind.
    if let Some(folder) = key_file.parent().filter(|p| !p.as_os_str().is_empty()) {
        anyhow::ensure!(
            folder.is_dir(),
            "the folder {} of the key file {} does not exist: create it, or name the right \
             key file with --key-file or --config",
            folder.display(),
            key_file.display()
        );
    }
    let key = load_or_create_key(&key_file)
        .with_context(|| format!("Failed to use the key file {}", key_file.display()))?;
    let mut secret = Vec::new();
    std::io::stdin()
        .read_to_end(&mut secret)
        .context("Failed to read the secret from stdin")?;
    // A password typed or echoed ends in a newline that is not part of it; a PEM key keeps its
    // own line ends.
    if !secret.starts_with(b"-----BEGIN") {
        while secret.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            secret.pop();
        }
    }
    anyhow::ensure!(!secret.is_empty(), "No secret on stdin");
    let sealed = seal(&key, &secret).context("Failed to seal the secret")?;
    writeln!(std::io::stdout(), "{sealed}")?;
    Ok(Outcome::Understood)
}
