//! The printable form of a MEDVRI letter: a header block (sender, date, patient, BSN,
//! recipient) and then the letter's lines.

use crate::document::{Block, Document, DocumentInfo, Field};
use crate::labels::document as label;
use crate::medvri::Medvri;
use crate::people::{Party, Patient};

/// Builds the document for a letter.
pub fn letter_document(letter: &Medvri<'_>) -> Document {
    let mut header = Vec::new();
    push_party(
        &mut header,
        &letter.sender,
        [label::SENDER, label::SENDER_ADDRESS, label::SENDER_PHONE],
    );
    let date = [
        letter.date.map(|d| d.dutch()),
        letter.time.map(|t| t.to_string()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    push(&mut header, label::DATE, &date.join(" "));
    push_patient(&mut header, &letter.patient);
    if let Some(recipient) = &letter.recipient {
        push_party(
            &mut header,
            recipient,
            [
                label::RECIPIENT,
                label::RECIPIENT_ADDRESS,
                label::RECIPIENT_PHONE,
            ],
        );
    }
    let lines = letter
        .lines
        .iter()
        .map(|line| line.trim_end().to_owned())
        .collect();
    Document {
        title: label::LETTER_TITLE.into(),
        header,
        blocks: vec![Block::Paragraph { lines }],
        info: DocumentInfo {
            author: letter.sender.display(),
            date: letter.date,
            time: letter.time,
        },
    }
}

/// Adds a field when it has a value.
pub(crate) fn push(header: &mut Vec<Field>, name: &str, value: &str) {
    let value = value.trim();
    if !value.is_empty() {
        header.push(Field {
            label: name.into(),
            value: value.into(),
        });
    }
}

pub(crate) fn push_party(
    header: &mut Vec<Field>,
    party: &Party<'_>,
    [name, address, phone]: [&str; 3],
) {
    push(header, name, &party.display());
    push(header, address, &party.address.display());
    push(header, phone, &party.phone);
}

/// The patient's fields, the BSN in full: the document goes into the patient's own record.
pub(crate) fn push_patient(header: &mut Vec<Field>, patient: &Patient<'_>) {
    push(header, label::PATIENT, &patient.name.display());
    push(
        header,
        label::BIRTH_DATE,
        &patient.birth_date.map(|d| d.dutch()).unwrap_or_default(),
    );
    let sex = match &patient.sex {
        Some(crate::people::Sex::Male) => label::MALE,
        Some(crate::people::Sex::Female) => label::FEMALE,
        Some(crate::people::Sex::Other(other)) => other.as_str(),
        None => "",
    };
    push(header, label::SEX, sex);
    if let crate::people::BsnReading::Valid(bsn) = &patient.bsn {
        push(header, label::BSN, bsn.expose());
    }
    push(header, label::PATIENT_NUMBER, &patient.sender_reference);
    if let Some(address) = &patient.address {
        push(header, label::PATIENT_ADDRESS, &address.display());
    }
    push(header, label::PATIENT_PHONE, &patient.phone);
}
