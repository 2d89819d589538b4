//! `ketenpost parse`: shows what is in payload files and where each message would go.

use std::io::Write;
use std::path::{Path, PathBuf};

use ketenpost_domain::message::Message;
use ketenpost_domain::payload::{read_payload, Payload};
use serde_json::json;

use super::{read_file, Outcome};
use crate::report;

/// Parses every file; prints JSON lines or a summary per message on stdout (with each warning
/// on a line of its own), and one line per unreadable or malformed file on stderr. With
/// `--json` such a file is also a JSON line, with the error and its position. A file that cannot
/// be read does not stop the others. With `config`, a PDF is classified under the
/// `place_incoming_pdf` of its manual route (or first route); without, under both settings.
///
/// # Errors
/// The configuration cannot be used, or stdout is closed.
pub fn run(files: &[PathBuf], as_json: bool, config: Option<&Path>) -> anyhow::Result<Outcome> {
    let place_pdf = match config {
        Some(file) => {
            let (route, places) = crate::config::load_pdf_setting(file)?;
            eprintln!("route {route}: place_incoming_pdf = {places}");
            Some(places)
        }
        None => None,
    };
    let mut outcome = Outcome::Understood;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for path in files {
        let file = path.display().to_string();
        let bytes = match read_file(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                eprintln!("{error:#}");
                if as_json {
                    let error = format!("{error:#}");
                    writeln!(out, "{}", json!({ "file": file, "error": error }))?;
                }
                outcome = Outcome::Malformed;
                continue;
            }
        };
        let entries = match read_payload(&bytes) {
            Err(error) => {
                eprintln!("{file}: {error}");
                if as_json {
                    let failure = json!({
                        "file": file,
                        "error": error.kind.to_string(),
                        "position": error.position,
                    });
                    writeln!(out, "{failure}")?;
                }
                outcome = Outcome::Malformed;
                continue;
            }
            Ok(Payload::Other(format)) => vec![report::other_format(format, place_pdf)],
            Ok(Payload::Edifact(interchange)) => Message::read_all(&interchange)
                .iter()
                .map(report::edifact_message)
                .collect(),
        };
        if as_json {
            writeln!(out, "{}", json!({ "file": file, "messages": entries }))?;
        } else {
            for entry in &entries {
                writeln!(out, "{}", summary(&file, entry))?;
                if let Some(note) = entry["note"].as_str() {
                    writeln!(out, "  note: {note}")?;
                }
                for warning in entry["warnings"].as_array().into_iter().flatten() {
                    writeln!(out, "  warning: {}", warning.as_str().unwrap_or_default())?;
                }
            }
        }
    }
    Ok(outcome)
}

/// One line for people: file, message, type, references, BSN state, category.
fn summary(file: &str, entry: &serde_json::Value) -> String {
    let text = |key: &str| entry[key].as_str().unwrap_or("-").to_owned();
    let bsn = match (entry["bsn"].as_str(), entry["bsn_problem"].as_str()) {
        (Some(digits), _) => format!("BSN ******{}", &digits[digits.len().saturating_sub(3)..]),
        (None, Some(problem)) => format!("BSN {problem}"),
        (None, None) => "BSN -".to_owned(),
    };
    let category = match entry["category_hint"].as_str() {
        Some(category) => format!("{category} ({})", text("reason")),
        None => "awaits the record system".to_owned(),
    };
    let warnings = entry["warnings"].as_array().map_or(0, Vec::len);
    format!(
        "{file}: message {} {} {} ref {} from {}: {bsn}; {category}; {warnings} warning(s)",
        entry["number"],
        text("format"),
        text("identifier"),
        text("message_ref"),
        text("sender_id"),
    )
}
