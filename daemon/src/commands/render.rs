//! `ketenpost render`: writes every letter and lab report of a payload as a PDF document.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ketenpost_domain::message::Message;
use ketenpost_domain::payload::{read_payload, Payload};
use sha2::{Digest, Sha256};

use super::{read_file, Outcome};

/// Renders every message of `file` that has a printable form into `out`, printing each path.
/// An existing file is overwritten only with `force`; otherwise the new one gets a free name.
///
/// # Errors
/// The file cannot be read, the folder cannot be written, or a document cannot be rendered.
pub fn run(file: &Path, out: &Path, force: bool) -> anyhow::Result<Outcome> {
    let bytes = read_file(file)?;
    let interchange = match read_payload(&bytes) {
        Err(error) => {
            eprintln!("{}: {error}", file.display());
            return Ok(Outcome::Malformed);
        }
        Ok(Payload::Other(format)) => {
            eprintln!(
                "{}: not rendered: {} is not a format ketenpost reads",
                file.display(),
                format.as_str()
            );
            return Ok(Outcome::Understood);
        }
        Ok(Payload::Edifact(interchange)) => interchange,
    };
    std::fs::create_dir_all(out).with_context(|| format!("Failed to create {}", out.display()))?;
    let fallback_ref = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut used = HashSet::new();
    for message in Message::read_all(&interchange) {
        let Some(document) = message.document() else {
            eprintln!(
                "{}: message {} ({}) not rendered: the type is not read",
                file.display(),
                message.number,
                message.identifier
            );
            continue;
        };
        let pdf = ketenpost_adapters::pdf::render(&document).with_context(|| {
            format!(
                "Failed to render message {} of {}",
                message.number,
                file.display()
            )
        })?;
        let interchange_ref = message.interchange_ref.as_deref().unwrap_or(&fallback_ref);
        let path = unique_path(
            out,
            &file_name(interchange_ref, &message.message_ref),
            message.number,
            &mut used,
        );
        let path = write_pdf(&path, &pdf, force)?;
        println!("{}", path.display());
    }
    Ok(Outcome::Understood)
}

/// The longest file name stem written (ASCII, so bytes): with the message number and `.pdf`
/// added the name stays well under the 255 bytes file systems allow.
const MAX_STEM: usize = 120;

/// `<interchange_ref>-<message_ref>`, with anything but letters, digits, `-` and `_` replaced,
/// so a reference cannot leave the folder; a longer stem than [`MAX_STEM`] is cut and ends in
/// a digest of both references, so that long references still give distinct names.
fn file_name(interchange_ref: &str, message_ref: &str) -> String {
    let clean = |s: &str| -> String {
        let s: String = s
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if s.is_empty() {
            "_".into()
        } else {
            s
        }
    };
    let stem = format!("{}-{}", clean(interchange_ref), clean(message_ref));
    if stem.len() <= MAX_STEM {
        return stem;
    }
    let digest = Sha256::new()
        .chain_update(interchange_ref.as_bytes())
        .chain_update([0])
        .chain_update(message_ref.as_bytes())
        .finalize();
    let digest: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    // The stem is ASCII: any byte index is a character boundary.
    format!("{}-{digest}", &stem[..MAX_STEM - digest.len() - 1])
}

/// The path for `stem`, with the message number added when two messages share references.
fn unique_path(out: &Path, stem: &str, number: usize, used: &mut HashSet<String>) -> PathBuf {
    let stem = if used.contains(stem) {
        format!("{stem}-{number}")
    } else {
        stem.to_owned()
    };
    used.insert(stem.clone());
    out.join(format!("{stem}.pdf"))
}

/// The most numbered names tried for one document before giving up.
const MAX_FREE_NAME_TRIES: usize = 10_000;

/// Writes `pdf` at `path`, or, when that file exists and `force` is not given, at the first free
/// `<stem>-2.pdf`, `<stem>-3.pdf`, ...; returns where it went.
fn write_pdf(path: &Path, pdf: &[u8], force: bool) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    if force {
        std::fs::write(path, pdf).with_context(|| format!("Failed to write {}", path.display()))?;
        return Ok(path.to_path_buf());
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let candidates = std::iter::once(path.to_path_buf())
        .chain((2..=MAX_FREE_NAME_TRIES).map(|n| path.with_file_name(format!("{stem}-{n}.pdf"))));
    for candidate in candidates {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&candidate)
        {
            Ok(mut file) => {
                file.write_all(pdf)
                    .with_context(|| format!("Failed to write {}", candidate.display()))?;
                return Ok(candidate);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("Failed to create {}", candidate.display()))
            }
        }
    }
    anyhow::bail!(
        "{} and {MAX_FREE_NAME_TRIES} numbered names after it exist; use --force to overwrite",
        path.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_cannot_escape_the_folder() {
        assert_eq!(file_name("../../etc", "pass/wd"), "______etc-pass_wd");
        assert_eq!(file_name("", "1"), "_-1");
    }

    #[test]
    fn long_references_give_short_distinct_names() {
        let long = "R".repeat(300);
        let name = file_name(&long, "1");
        assert_eq!(name.len(), MAX_STEM);
        assert!(name.starts_with("RRRR"));
        assert_ne!(name, file_name(&long, "2"));
        assert_ne!(name, file_name(&format!("{long}X"), "1"));
        assert_eq!(file_name("IC1001", "1001"), "IC1001-1001");
    }
}
