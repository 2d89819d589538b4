//! The classification decisions that need no record system.
//!
//! A message that none of these rules decides waits for the record system, which decides
//! between processed, unknown BSN, technical error and fallout.

use crate::category::{Category, Classification, Reason};
use crate::edifact::ParseError;
use crate::message::{Content, Message};
use crate::payload::Format;
use crate::people::{BsnProblem, BsnReading};

/// A payload that cannot be read is fallout, with the reader's error (which says where).
pub fn classify_unreadable(error: &ParseError) -> Classification {
    Classification {
        category: Category::Fallout,
        reason: Reason::Malformed {
            detail: error.to_string(),
            error: Some(error.clone()),
        },
    }
}

/// A payload in a format other than EDIFACT is unsupported, except a PDF on a route that
/// places incoming PDFs (`place_incoming_pdf`, the route's setting): a PDF names no client, so
/// it waits in missing BSN for a person to place it. The one rule for the daemon and `parse`.
pub fn classify_format(format: Format, place_incoming_pdf: bool) -> Option<Classification> {
    match format {
        Format::Edifact => None,
        Format::Pdf if place_incoming_pdf => Some(Classification {
            category: Category::MissingBsn,
            reason: Reason::PdfWithoutBsn,
        }),
        _ => Some(Classification {
            category: Category::Unsupported,
            reason: Reason::UnsupportedFormat { format },
        }),
    }
}

/// Decides what can be decided from the message alone: an unsupported type, or a missing,
/// placeholder or invalid BSN. `None` means the record system decides.
pub fn classify_message(message: &Message<'_>) -> Option<Classification> {
    if matches!(message.content, Content::NotRead) {
        return Some(Classification {
            category: Category::Unsupported,
            reason: Reason::UnsupportedType {
                identifier: message.identifier.to_string(),
            },
        });
    }
    let reason = match &message.patient()?.bsn {
        BsnReading::Valid(_) => return None,
        BsnReading::Problem(BsnProblem::Missing) => Reason::NoBsn,
        BsnReading::Problem(BsnProblem::Placeholder) => Reason::PlaceholderBsn,
        BsnReading::Problem(BsnProblem::Invalid(problem)) => {
            Reason::InvalidBsn { problem: *problem }
        }
    };
    Some(Classification {
        category: Category::MissingBsn,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edifact;

    fn classify(text: &str) -> Option<Classification> {
        let interchange = edifact::read(text.as_bytes()).unwrap();
        classify_message(&Message::read_all(&interchange)[0])
    }

    fn medvri_with_pid(pid: &str) -> String {
        format!("UNH+1+MEDVRI:1'GGA+Dr. A'{pid}'TXT+Hallo'UNT+4+1'")
    }

    #[test]
    fn a_valid_bsn_leaves_the_decision_to_the_record_system() {
        assert_eq!(
            classify(&medvri_with_pid("PID+1980:10:25+V+Jansen++BSN999990019")),
            None
        );
    }

    #[test]
    fn no_bsn_is_missing_bsn() {
        let c = classify(&medvri_with_pid("PID+1980:10:25+V+Jansen")).unwrap();
        assert_eq!(
            (c.category, c.reason),
            (Category::MissingBsn, Reason::NoBsn)
        );
    }

    #[test]
    fn no_pid_at_all_is_missing_bsn() {
        let c = classify("UNH+1+MEDVRI:1'TXT+Hallo'UNT+3+1'").unwrap();
        assert_eq!(c.category, Category::MissingBsn);
    }

    #[test]
    fn the_placeholder_is_missing_bsn_with_its_own_reason() {
        let c = classify(&medvri_with_pid("PID+1980:10:25+V+Jansen++BSN000000000")).unwrap();
        assert_eq!(
            (c.category, c.reason),
            (Category::MissingBsn, Reason::PlaceholderBsn)
        );
    }

    #[test]
    fn a_failed_elfproef_is_missing_bsn_with_the_rule_named() {
        let c = classify(&medvri_with_pid("PID+1980:10:25+V+Jansen++BSN999990018")).unwrap();
        assert_eq!(c.category, Category::MissingBsn);
        assert_eq!(
            c.reason,
            Reason::InvalidBsn {
                problem: crate::bsn::BsnError::FailedElfproef
            }
        );
        assert!(c.reason.describe().contains("elfproef"));
    }

    #[test]
    fn types_that_are_not_read_are_unsupported() {
        for id in [
            "MEDRAD:1",
            "MEDSPE:1",
            "MEDRPT:D:93A:UN:MRPN32",
            "ORDERS:D:96A:UN",
        ] {
            let c = classify(&format!(
                "UNH+1+{id}'PID+1980:10:25+V+J++BSN999990019'UNT+3+1'"
            ))
            .unwrap();
            assert_eq!(c.category, Category::Unsupported, "{id}");
            assert_eq!(
                c.reason,
                Reason::UnsupportedType {
                    identifier: id.into()
                }
            );
        }
    }

    #[test]
    fn other_formats_are_unsupported_and_edifact_is_not() {
        for places_pdf in [false, true] {
            assert_eq!(
                classify_format(Format::Xml, places_pdf).unwrap().category,
                Category::Unsupported
            );
            assert_eq!(classify_format(Format::Edifact, places_pdf), None);
        }
    }

    #[test]
    fn a_pdf_is_missing_bsn_only_where_the_route_places_pdfs() {
        assert_eq!(
            classify_format(Format::Pdf, true),
            Some(Classification {
                category: Category::MissingBsn,
                reason: Reason::PdfWithoutBsn
            })
        );
        assert_eq!(
            classify_format(Format::Pdf, false).unwrap().category,
            Category::Unsupported
        );
    }

    #[test]
    fn unreadable_payloads_are_fallout_with_the_position() {
        let err = edifact::read(b"UNH+1+MEDVRI:1'TXT+x'").unwrap_err();
        let c = classify_unreadable(&err);
        assert_eq!(c.category, Category::Fallout);
        assert!(
            c.reason.describe().contains("segment 3"),
            "{}",
            c.reason.describe()
        );
    }
}
