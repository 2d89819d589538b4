//! The Dutch texts people see of the categories and the reasons.

use super::{Category, Reason, RecordSystemCall};
use crate::bsn::BsnError;

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
    /// The reason in Dutch, for people.
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
            Reason::Malformed { detail } => format!("Het bericht is niet leesbaar: {detail}"),
            Reason::UnknownBsn => "Het dossier kent geen cliënt met dit BSN".into(),
            Reason::SeveralClients => {
                "Het dossier heeft meerdere cliënten met dit BSN: kies handmatig".into()
            }
            Reason::Rejected { status, call } => match call {
                Some(call) => format!(
                    "Het dossier weigerde {} (HTTP {status})",
                    record_system_call(*call)
                ),
                None => format!("Het dossier weigerde het document (HTTP {status})"),
            },
            Reason::RecordSystemRefused {
                call,
                status,
                attempts,
            } => format!(
                "Het dossier weigerde ketenpost de toegang bij {} (HTTP {status}, {attempts} pogingen): \
                 controleer het certificaat en de rechten van ketenpost in het dossier en bied het \
                 bericht daarna opnieuw aan",
                record_system_call(*call)
            ),
            Reason::RecordSystemUnavailable {
                attempts,
                last_error,
            } => format!(
                "Het dossier gaf na {attempts} pogingen geen bruikbaar antwoord; laatste fout: {last_error}"
            ),
            Reason::MailboxNotRouted { mailbox } => {
                format!("Voor postbus {mailbox} is geen route ingesteld")
            }
            Reason::PdfWithoutBsn => {
                "Een PDF-bestand noemt geen BSN: plaats het handmatig in het juiste dossier".into()
            }
            Reason::NotRenderable { detail } => {
                format!("Van het bericht kon geen PDF-document gemaakt worden: {detail}")
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
