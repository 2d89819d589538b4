//! The Dutch texts people see of the categories and the reasons.

use super::{Category, Reason, RecordSystemCall};
use crate::bsn::BsnError;
use crate::edifact::{Expected, ParseError, ParseErrorKind, Position};

impl Category {
    /// The Dutch label people see.
    pub fn label(self) -> &'static str {
        match self {
            Category::Processed => "Verwerkt",
            Category::Unsupported => "Niet ondersteund",
            Category::MissingBsn => "Ontbrekende BSN",
            Category::UnknownBsn => "Onbekende BSN",
            Category::TechnicalError => "Technische fout",
            Category::Fallout => "Uitval",
        }
    }
}

impl Reason {
    /// The reason in Dutch, for people: a whole sentence, technical details (a read error, an
    /// HTTP status) rendered in Dutch too. Machines use [`Reason::code`].
    pub fn describe(&self) -> String {
        match self {
            Reason::Placed => "Geplaatst in het dossier".into(),
            Reason::UnsupportedFormat { format } => {
                format!(
                    "Berichtformaat {} wordt niet verwerkt",
                    format.as_str().to_uppercase()
                )
            }
            Reason::UnsupportedType { identifier } => {
                format!("Berichttype {identifier} wordt niet verwerkt")
            }
            Reason::TypeNotRouted { identifier, route } => {
                format!("Berichttype {identifier} is niet ingesteld voor route {route}")
            }
            Reason::SenderNotRouted { sender, route } => {
                format!("Brieven van afzender {sender} worden via route {route} niet geplaatst")
            }
            Reason::NoBsn => "Het bericht bevat geen BSN".into(),
            Reason::PlaceholderBsn => {
                "Het bericht bevat een nul-BSN (000000000) in plaats van een BSN".into()
            }
            Reason::InvalidBsn { problem } => format!(
                "Het BSN in het bericht is ongeldig: {}",
                bsn_problem(*problem)
            ),
            Reason::Malformed { error, .. } => match error {
                Some(error) => format!("Het bericht is niet leesbaar: {}", parse_error(error)),
                None => "Het bericht is niet leesbaar".into(),
            },
            Reason::NoLongerInPayload { number } => format!(
                "Bericht {number} staat niet meer in het ontvangen bestand en kan niet opnieuw \
                 verwerkt worden"
            ),
            Reason::UnknownBsn => "Het dossier kent geen cliënt met dit BSN".into(),
            Reason::SeveralClients => {
                "Het dossier heeft meerdere cliënten met dit BSN: kies handmatig".into()
            }
            Reason::Rejected { status, call } => match call {
                Some(call) => format!(
                    "Het dossier weigerde {} (HTTP-statuscode {status})",
                    record_system_call(*call)
                ),
                None => format!("Het dossier weigerde het document (HTTP-statuscode {status})"),
            },
            Reason::RecordSystemRefused {
                call,
                status,
                attempts,
            } => format!(
                "Het dossier weigerde ketenpost de toegang bij {} (HTTP-statuscode {status}, {attempts} pogingen): \
                 controleer het certificaat en de rechten van ketenpost in het dossier en bied het \
                 bericht daarna opnieuw aan",
                record_system_call(*call)
            ),
            Reason::RecordSystemUnavailable { attempts, .. } => format!(
                "Het dossier gaf na {attempts} pogingen geen bruikbaar antwoord; de tijdlijn van \
                 het bericht noemt per poging wat er misging"
            ),
            Reason::WorkNotFinished { deliveries, .. } => format!(
                "Geen verwerker kon het bericht afhandelen ({deliveries} keer aangeboden); de \
                 beheerder vindt de oorzaak in de log van de verwerkers. Verstuur het bericht \
                 daarna opnieuw"
            ),
            Reason::MailboxNotRouted { mailbox } => {
                format!("Voor postbus {mailbox} is geen route ingesteld")
            }
            Reason::PdfWithoutBsn => {
                "Een PDF-bestand noemt geen BSN: plaats het handmatig in het juiste dossier".into()
            }
            Reason::NotRenderable { .. } => {
                "Van het bericht kon geen PDF-document gemaakt worden".into()
            }
        }
    }
}

/// A call to the record system in Dutch, as the object of "weigerde".
fn record_system_call(call: RecordSystemCall) -> &'static str {
    match call {
        RecordSystemCall::Ping => "het controleren van de verbinding",
        RecordSystemCall::Lookup => "het opzoeken van de cliënt",
        RecordSystemCall::List => "het opvragen van de documenten van de cliënt",
        RecordSystemCall::Upload => "het plaatsen van het document",
    }
}

/// A read error in Dutch: what, then where ("bericht 1, segment 3, byte 40").
fn parse_error(error: &ParseError) -> String {
    let what = match &error.kind {
        ParseErrorKind::Empty => "het bestand is leeg".to_owned(),
        ParseErrorKind::BadUna { .. } => {
            "de UNA-regel met de scheidingstekens is onleesbaar".into()
        }
        ParseErrorKind::BadTag { .. } => {
            "een segment begint niet met een code van 3 letters of cijfers".into()
        }
        ParseErrorKind::Unexpected { expected, found } => {
            let found = if found.is_empty() {
                "het einde van het bestand".to_owned()
            } else {
                format!("segment {found}")
            };
            format!(
                "verwacht werd {}, maar er staat {found}",
                expected_dutch(*expected)
            )
        }
        ParseErrorKind::Unrecognised => {
            "de inhoud is geen EDIFACT, XML, PDF, HL7 v2 of tekst".into()
        }
        ParseErrorKind::TooLarge(bytes) => format!(
            "het bestand is {bytes} bytes groot; bestanden van 4 GiB of meer worden niet gelezen"
        ),
        ParseErrorKind::MissingIdentifier => "de UNH-regel noemt geen berichttype".into(),
    };
    format!("{what} ({})", position(&error.position))
}

/// What the structure allows, in Dutch.
fn expected_dutch(expected: Expected) -> &'static str {
    match expected {
        Expected::InterchangeStart => "het begin van een bericht (UNB of UNH)",
        Expected::MessageStart => "het begin van een bericht (UNH)",
        Expected::MessageStartOrInterchangeEnd => {
            "een volgend bericht (UNH) of het einde van de uitwisseling (UNZ)"
        }
        Expected::MessageEnd => "het einde van het bericht (UNT)",
        Expected::PayloadEnd => "niets meer na het einde van de uitwisseling (UNZ)",
    }
}

/// A position in Dutch: "bericht 1, segment 3, byte 40".
fn position(position: &Position) -> String {
    let mut parts = Vec::new();
    if let Some(message) = position.message {
        parts.push(format!("bericht {message}"));
    }
    if let Some(segment) = position.segment {
        parts.push(format!("segment {segment}"));
    }
    parts.push(format!("byte {}", position.offset));
    parts.join(", ")
}

fn bsn_problem(problem: BsnError) -> String {
    match problem {
        BsnError::Placeholder => "nul-BSN".into(),
        BsnError::WrongLength(n) => format!("{n} tekens in plaats van 9 cijfers"),
        BsnError::NotDigits => "bevat andere tekens dan cijfers".into(),
        BsnError::FailedElfproef => "voldoet niet aan de elfproef".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_its_dutch_label() {
        let labels: Vec<&str> = Category::ALL.iter().map(|c| c.label()).collect();
        assert_eq!(
            labels,
            [
                "Verwerkt",
                "Niet ondersteund",
                "Ontbrekende BSN",
                "Onbekende BSN",
                "Technische fout",
                "Uitval"
            ]
        );
    }
}
