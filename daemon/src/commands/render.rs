//! `ketenpost render`: writes every letter and lab report of a payload as a PDF document.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::Context;
use ketenpost_domain::message::Message;
use ketenpost_domain::payload::{read_payload, Payload};

use super::{read_file, Outcome};

/// Renders every message of `file` that has a printable form into `out`, printing each path.
///
/// # Errors
/// The file cannot be read, the folder cannot be written, or a document cannot be rendered.
pub fn run(file: &Path, out: &Path) -> anyhow::Result<Outcome> {
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
        std::fs::write(&path, pdf)
            .with_context(|| format!("Failed to write {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(Outcome::Understood)
}

/// `<interchange_ref>-<message_ref>`, with anything but letters, digits, `-` and `_` replaced,
/// so a reference cannot leave the folder.
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
    format!("{}-{}", clean(interchange_ref), clean(message_ref))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_cannot_escape_the_folder() {
        assert_eq!(file_name("../../etc", "pass/wd"), "______etc-pass_wd");
        assert_eq!(file_name("", "1"), "_-1");
    }
}
