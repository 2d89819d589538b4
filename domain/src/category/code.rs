//! The stable English code of every reason, for machines (the API, `--json`, scripts).

use super::Reason;

impl Reason {
    /// The reason's stable code: snake_case ASCII, e.g. `unreadable_edifact`,
    /// `record_system_refused`. It never changes once published; the Dutch text may.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Placed => "placed",
            Reason::UnsupportedFormat { .. } => "unsupported_format",
            Reason::UnsupportedType { .. } => "unsupported_type",
            Reason::TypeNotRouted { .. } => "type_not_routed",
            Reason::SenderNotRouted { .. } => "sender_not_routed",
            Reason::NoBsn => "no_bsn",
            Reason::PlaceholderBsn => "placeholder_bsn",
            Reason::InvalidBsn { .. } => "invalid_bsn",
            Reason::Malformed { .. } => "unreadable_edifact",
            Reason::NoLongerInPayload { .. } => "message_no_longer_in_payload",
            Reason::UnknownBsn => "unknown_bsn",
            Reason::SeveralClients => "several_clients",
            Reason::Rejected { .. } => "record_system_rejected",
            Reason::RecordSystemRefused { .. } => "record_system_refused",
            Reason::RecordSystemUnavailable { .. } => "record_system_unavailable",
            Reason::WorkNotFinished { .. } => "work_not_finished",
            Reason::MailboxNotRouted { .. } => "mailbox_not_routed",
            Reason::PdfWithoutBsn => "pdf_without_bsn",
            Reason::NotRenderable { .. } => "not_renderable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bsn::BsnError;
    use crate::category::RecordSystemCall;
    use crate::edifact::{Expected, ParseError, ParseErrorKind, Position};
    use crate::payload::Format;

    /// Words of English a Dutch reason must not contain (words that are Dutch too, such as
    /// "is", "in", "of", "document", "segment", "route" and "HTTP", are left out).
    const ENGLISH: &[&str] = &[
        "the",
        "payload",
        "empty",
        "expected",
        "found",
        "error",
        "failed",
        "unreadable",
        "missing",
        "refused",
        "attempts",
        "attempt",
        "message",
        "end",
        "start",
        "after",
        "and",
        "or",
        "not",
        "no",
        "file",
        "with",
        "for",
        "to",
        "at",
        "by",
        "client",
        "lookup",
        "upload",
        "certificate",
        "check",
        "unsupported",
        "record",
        "system",
        "unavailable",
        "rejected",
        "invalid",
        "placed",
        "binary",
        "characters",
        "tag",
        "digits",
        "identifier",
        "read",
        "service",
        "web",
        "timeout",
        "connection",
    ];

    /// Which variant a reason is: a new variant must be added here (and below) to compile.
    fn variant(reason: &Reason) -> usize {
        match reason {
            Reason::Placed => 0,
            Reason::UnsupportedFormat { .. } => 1,
            Reason::UnsupportedType { .. } => 2,
            Reason::TypeNotRouted { .. } => 3,
            Reason::SenderNotRouted { .. } => 4,
            Reason::NoBsn => 5,
            Reason::PlaceholderBsn => 6,
            Reason::InvalidBsn { .. } => 7,
            Reason::Malformed { .. } => 8,
            Reason::NoLongerInPayload { .. } => 9,
            Reason::UnknownBsn => 10,
            Reason::SeveralClients => 11,
            Reason::Rejected { .. } => 12,
            Reason::RecordSystemRefused { .. } => 13,
            Reason::RecordSystemUnavailable { .. } => 14,
            Reason::MailboxNotRouted { .. } => 15,
            Reason::PdfWithoutBsn => 16,
            Reason::NotRenderable { .. } => 17,
            Reason::WorkNotFinished { .. } => 18,
        }
    }
    const VARIANTS: usize = 19;

    fn unreadable(kind: ParseErrorKind) -> Reason {
        let error = ParseError {
            kind,
            position: Position {
                message: Some(1),
                segment: Some(3),
                offset: 40,
            },
        };
        Reason::Malformed {
            detail: error.to_string(),
            error: Some(error),
        }
    }

    /// Every variant, with every inner kind that changes its text.
    fn every_reason() -> Vec<Reason> {
        let calls = [
            RecordSystemCall::Ping,
            RecordSystemCall::Lookup,
            RecordSystemCall::List,
            RecordSystemCall::Upload,
        ];
        let mut all = vec![
            Reason::Placed,
            Reason::UnsupportedType {
                identifier: "MEDRPT:D:93A:UN:MRPN32".into(),
            },
            Reason::TypeNotRouted {
                identifier: "MEDLAB:1".into(),
                route: "ons".into(),
            },
            Reason::SenderNotRouted {
                sender: "500012345".into(),
                route: "ons".into(),
            },
            Reason::NoBsn,
            Reason::PlaceholderBsn,
            Reason::Malformed {
                detail: "message 1, byte 4: the payload is empty".into(),
                error: None,
            },
            Reason::NoLongerInPayload { number: 2 },
            Reason::UnknownBsn,
            Reason::SeveralClients,
            Reason::Rejected {
                status: 400,
                call: None,
            },
            Reason::RecordSystemUnavailable {
                attempts: 5,
                last_error: "connection refused: the error of the failed attempt".into(),
            },
            Reason::MailboxNotRouted {
                mailbox: "zorgmail".into(),
            },
            Reason::WorkNotFinished {
                deliveries: 10,
                last_error: "the worker runs another configuration version".into(),
            },
            Reason::PdfWithoutBsn,
            Reason::NotRenderable {
                detail: "the message has no printable content".into(),
            },
        ];
        for format in [Format::Xml, Format::Pdf, Format::Hl7v2, Format::Text] {
            all.push(Reason::UnsupportedFormat { format });
        }
        for problem in [
            BsnError::Placeholder,
            BsnError::WrongLength(8),
            BsnError::NotDigits,
            BsnError::FailedElfproef,
        ] {
            all.push(Reason::InvalidBsn { problem });
        }
        for call in calls {
            all.push(Reason::Rejected {
                status: 422,
                call: Some(call),
            });
            all.push(Reason::RecordSystemRefused {
                call,
                status: 403,
                attempts: 3,
            });
        }
        for expected in [
            Expected::InterchangeStart,
            Expected::MessageStart,
            Expected::MessageStartOrInterchangeEnd,
            Expected::MessageEnd,
            Expected::PayloadEnd,
        ] {
            for found in ["", "UNB"] {
                all.push(unreadable(ParseErrorKind::Unexpected {
                    expected,
                    found: found.into(),
                }));
            }
        }
        for kind in [
            ParseErrorKind::Empty,
            ParseErrorKind::BadUna {
                expected: "6 service characters after UNA".into(),
            },
            ParseErrorKind::BadTag {
                found: "the found text".into(),
            },
            ParseErrorKind::Unrecognised,
            ParseErrorKind::TooLarge(5_000_000_000),
            ParseErrorKind::MissingIdentifier,
        ] {
            all.push(unreadable(kind));
        }
        all
    }

    #[test]
    fn every_reason_has_a_snake_case_code_and_a_whole_dutch_sentence() {
        let all = every_reason();
        let mut seen = [false; VARIANTS];
        let mut codes = std::collections::BTreeMap::new();
        for reason in &all {
            seen[variant(reason)] = true;
            let code = reason.code();
            assert!(
                !code.is_empty()
                    && code.starts_with(|c: char| c.is_ascii_lowercase())
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                    && !code.contains("__")
                    && !code.ends_with('_'),
                "{code}"
            );
            // One code per variant, and no two variants share one.
            assert_eq!(
                *codes.entry(code).or_insert(variant(reason)),
                variant(reason)
            );
            let text = reason.describe();
            assert!(text.starts_with(|c: char| c.is_uppercase()), "{text}");
            let english: Vec<&str> = text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| ENGLISH.contains(&word.to_lowercase().as_str()))
                .collect();
            assert!(english.is_empty(), "{code}: {english:?} in {text:?}");
        }
        assert!(seen.iter().all(|s| *s), "a variant is missing: {seen:?}");
    }

    #[test]
    fn a_read_error_names_its_position_in_dutch() {
        let text = unreadable(ParseErrorKind::Unexpected {
            expected: Expected::MessageEnd,
            found: String::new(),
        })
        .describe();
        assert_eq!(
            text,
            "Het bericht is niet leesbaar: verwacht werd het einde van het bericht (UNT), maar er \
             staat het einde van het bestand (bericht 1, segment 3, byte 40)"
        );
    }

    #[test]
    fn a_reason_recorded_before_codes_and_read_errors_were_kept_still_reads() {
        let old: Reason = serde_json::from_str(
            r#"{"reason":"malformed","detail":"byte 4: the payload is empty"}"#,
        )
        .unwrap();
        assert_eq!(old.code(), "unreadable_edifact");
        assert_eq!(old.describe(), "Het bericht is niet leesbaar");
        let new = unreadable(ParseErrorKind::Empty);
        let again: Reason = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(again, new);
    }
}
