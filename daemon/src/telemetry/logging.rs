//! Log lines: human-readable or JSON lines, filtered by `RUST_LOG` (default `info`). Log lines
//! name messages by id only: never a BSN, a name or message text. Every log line is one line:
//! in text lines, control characters in field values (a newline in a mailbox's message id,
//! say) are written escaped, so a value cannot forge a line of its own; JSON escapes them
//! anyway. A field naming a message is `message_id`: `message` is the line's own text, and
//! JSON lines carry each key once.

use std::fmt;
use std::io::IsTerminal;

use tracing::field::Field;
use tracing::Subscriber;
use tracing_subscriber::field::delimited::Delimited;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::{self, FieldFn, Writer};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Starts logging to stderr (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // The AMQP client's own lines are off, whatever RUST_LOG says: it logs a returned
    // message whole, and a work item carries a letter. Its failures reach ketenpost's own
    // lines as errors.
    let filter = ["lapin=off", "amq_protocol=off"]
        .into_iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, EnvFilter::add_directive);
    let ansi = std::io::stderr().is_terminal();
    let _ = subscriber(format, filter, std::io::stderr, ansi).try_init();
}

/// The subscriber `init` installs, writing to `writer`.
fn subscriber<W>(
    format: LogFormat,
    filter: EnvFilter,
    writer: W,
    ansi: bool,
) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false);
    match format {
        LogFormat::Json => Box::new(builder.json().flatten_event(true).finish()),
        LogFormat::Text => Box::new(builder.fmt_fields(escaping_fields()).finish()),
    }
}

/// How one field is written in a text line.
type FieldWriter = fn(&mut Writer<'_>, &Field, &dyn fmt::Debug) -> fmt::Result;

/// Text-line fields as the default formatter writes them (`name=value`, the line's message
/// bare), with control characters escaped.
fn escaping_fields() -> Delimited<&'static str, FieldFn<FieldWriter>> {
    let write: FieldWriter = write_field;
    format::debug_fn(write).delimited(" ")
}

fn write_field(writer: &mut Writer<'_>, field: &Field, value: &dyn fmt::Debug) -> fmt::Result {
    let text = format!("{value:?}");
    if field.name() != "message" {
        write!(writer, "{}=", field.name())?;
    }
    write_escaped(writer, &text)
}

/// Writes `text` with every character that could end or disguise a line escaped: control
/// characters (`\n`, `\r`, escape sequences), the Unicode line and paragraph separators and
/// the bidirectional overrides.
fn write_escaped(writer: &mut impl fmt::Write, text: &str) -> fmt::Result {
    for c in text.chars() {
        let disguising = c.is_control()
            || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if disguising {
            for escaped in c.escape_default() {
                writer.write_char(escaped)?;
            }
        } else {
            writer.write_char(c)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::testing::Lines;
    use super::*;

    fn logged(format: LogFormat, emit: impl FnOnce()) -> String {
        let lines = Lines::default();
        let sink = lines.clone();
        let subscriber = subscriber(format, EnvFilter::new("info"), move || sink.clone(), false);
        tracing::subscriber::with_default(subscriber, emit);
        let bytes = lines.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    /// What a hostile mailbox can put in a message id.
    const FORGING_ID: &str = "id-1\n2026-01-01T00:00:00Z  INFO placed message_id=forged\r\x1b[2K";

    #[test]
    fn a_newline_in_a_text_field_cannot_forge_a_line() {
        let problem = format!("message {FORGING_ID} is larger than 1 MiB");
        let text = logged(LogFormat::Text, || {
            tracing::warn!(mailbox = %"lab", problem = %problem, "mailbox problem; retried on the next poll");
            tracing::warn!(remote_id = ?FORGING_ID, "odd id");
        });
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
        assert!(text.contains(r"id-1\n2026-01-01"), "{text}");
        assert!(text.contains("mailbox problem; retried on the next poll"));
        assert!(text.contains("mailbox=lab"));
    }

    #[test]
    fn the_line_s_own_message_is_escaped_too() {
        let text = logged(LogFormat::Text, || {
            tracing::info!("taken in {FORGING_ID}");
        });
        assert_eq!(text.lines().count(), 1, "{text}");
    }

    #[test]
    fn json_lines_stay_one_line_each() {
        let text = logged(LogFormat::Json, || {
            tracing::warn!(problem = %FORGING_ID, "mailbox problem");
        });
        assert_eq!(text.lines().count(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["problem"], FORGING_ID);
        assert_eq!(line["message"], "mailbox problem");
    }
}
