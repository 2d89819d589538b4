//! Every Dutch text people see, in one place: category labels, reasons, document labels.

use crate::bsn::BsnError;
use crate::category::{Category, Reason, RecordSystemCall};

/// The Dutch label of a category.
pub fn category(category: Category) -> &'static str {
    match category {
        Category::Processed => "Verwerkt",
        Category::Unsupported => "Niet ondersteund",
        Category::MissingBsn => "Ontbrekende BSN",
        Category::UnknownBsn => "Onbekende BSN",
        Category::TechnicalError => "Technische fout",
        Category::Fallout => "Uitval",
    }
}

/// The label of a message not yet decided.
pub const IN_FLIGHT: &str = "In behandeling";
/// The label of a message waiting for the record system.
pub const AWAITING_DELIVERY: &str = "Wacht op aflevering";

/// A reason in Dutch.
pub fn reason(reason: &Reason) -> String {
    match reason {
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

/// A call to the record system in Dutch, as the object of "weigerde".
pub fn record_system_call(call: RecordSystemCall) -> &'static str {
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

/// Document titles and header labels.
pub mod document {
    /// Title of a letter.
    pub const LETTER_TITLE: &str = "Brief";
    /// Title of a lab report.
    pub const LAB_REPORT_TITLE: &str = "Laboratoriumuitslag";
    /// Sender.
    pub const SENDER: &str = "Afzender";
    /// Sender's address.
    pub const SENDER_ADDRESS: &str = "Adres afzender";
    /// Sender's phone.
    pub const SENDER_PHONE: &str = "Telefoon afzender";
    /// Date.
    pub const DATE: &str = "Datum";
    /// Patient.
    pub const PATIENT: &str = "Patiënt";
    /// Birth date.
    pub const BIRTH_DATE: &str = "Geboortedatum";
    /// Sex.
    pub const SEX: &str = "Geslacht";
    /// BSN.
    pub const BSN: &str = "BSN";
    /// The sender's patient number.
    pub const PATIENT_NUMBER: &str = "Patiëntnummer afzender";
    /// Patient's address.
    pub const PATIENT_ADDRESS: &str = "Adres patiënt";
    /// Patient's phone.
    pub const PATIENT_PHONE: &str = "Telefoon patiënt";
    /// Recipient.
    pub const RECIPIENT: &str = "Geadresseerde";
    /// Recipient's address.
    pub const RECIPIENT_ADDRESS: &str = "Adres geadresseerde";
    /// Recipient's phone.
    pub const RECIPIENT_PHONE: &str = "Telefoon geadresseerde";
    /// The lab.
    pub const LAB: &str = "Laboratorium";
    /// The requester.
    pub const REQUESTER: &str = "Aanvrager";
    /// Department.
    pub const DEPARTMENT: &str = "Afdeling";
    /// Department doctor.
    pub const DEPARTMENT_DOCTOR: &str = "Afdelingsarts";
    /// Copy to.
    pub const COPY: &str = "Kopie aan";
    /// Before a requester's AGB code.
    pub const AGB_CODE: &str = "AGB-code";
    /// Before a lab's own code.
    pub const CODE: &str = "code";
    /// A specimen whose results are complete (IDE `J`/`C`).
    pub const COMPLETE: &str = "uitslag compleet";
    /// Attachment note (BLG).
    pub const ATTACHMENT: &str = "Bijlage";
    /// Specimen heading.
    pub const SPECIMEN: &str = "Monster";
    /// Material remarks.
    pub const MATERIAL_REMARK: &str = "Opmerking materiaal";
    /// Pending determinations.
    pub const PENDING: &str = "Nog niet bekend";
    /// General remark.
    pub const REMARK: &str = "Opmerking";
    /// Table column: determination.
    pub const COLUMN_NAME: &str = "Bepaling";
    /// Table column: result.
    pub const COLUMN_RESULT: &str = "Uitslag";
    /// Table column: unit.
    pub const COLUMN_UNIT: &str = "Eenheid";
    /// Table column: flag.
    pub const COLUMN_FLAG: &str = "Vlag";
    /// Table column: reference range.
    pub const COLUMN_RANGE: &str = "Referentie";
    /// Sex: male.
    pub const MALE: &str = "man";
    /// Sex: female.
    pub const FEMALE: &str = "vrouw";

    /// The footer of page `page` of `pages`.
    pub fn page_footer(page: usize, pages: usize) -> String {
        format!("pagina {page} van {pages}")
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
