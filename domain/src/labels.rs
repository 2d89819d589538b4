//! The Dutch texts of documents and of messages not yet decided. The Dutch texts of the
//! categories and reasons live with them (`category/dutch.rs`).

/// The label of a message not yet decided.
pub const IN_FLIGHT: &str = "In behandeling";
/// The label of a message waiting for the record system.
pub const AWAITING_DELIVERY: &str = "Wacht op aflevering";

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
