//! The JSON form of a payload's messages, as `ketenpost parse --json` prints it.

use ketenpost_domain::classify::{classify_format, classify_message};
use ketenpost_domain::message::{Content, Message};
use ketenpost_domain::payload::Format;
use ketenpost_domain::people::BsnReading;
use serde_json::{json, Value};

/// The entry for one EDIFACT message.
pub fn edifact_message(message: &Message<'_>) -> Value {
    let classification = classify_message(message);
    let patient = message.patient();
    let (bsn, bsn_problem) = match patient.map(|p| &p.bsn) {
        Some(BsnReading::Valid(bsn)) => (Some(bsn.expose().to_owned()), None),
        Some(BsnReading::Problem(problem)) => (None, Some(problem.as_str())),
        None => (None, None),
    };
    let patient_json = patient.map(|p| {
        json!({
            "name": p.name,
            "display_name": p.name.display(),
            "birth_date": p.birth_date,
            "sex": p.sex,
            "sender_reference": p.sender_reference,
            "address": p.address,
            "phone": p.phone,
        })
    });
    let content = match &message.content {
        Content::Medvri(letter) => json!({ "medvri": letter }),
        Content::Medlab(report) => json!({ "medlab": report }),
        Content::NotRead => Value::Null,
    };
    json!({
        "format": Format::Edifact.as_str(),
        "kind": message.identifier.message_type,
        "identifier": message.identifier.to_string(),
        "number": message.number,
        "interchange_ref": message.interchange_ref,
        "message_ref": message.message_ref,
        "sender_id": message.sender_id,
        "recipient_id": message.recipient_id,
        "bsn": bsn,
        "bsn_problem": bsn_problem,
        "patient": patient_json,
        "text": message.document().map(|d| d.plain_text()),
        "category_hint": classification.as_ref().map(|c| c.category.as_str()),
        "reason": classification.as_ref().map(|c| c.reason.describe()),
        "reason_code": classification.as_ref().map(|c| c.reason.code()),
        "content": content,
        "warnings": message.warnings.iter().map(ToString::to_string).collect::<Vec<_>>(),
    })
}

/// The entry for a payload in a format that is recognised but not read. `place_incoming_pdf`
/// is the route's setting, `None` when no configuration was given: then a PDF's entry says
/// what it becomes under each setting (`by_setting`), with `missing_bsn` as its hint.
pub fn other_format(format: Format, place_incoming_pdf: Option<bool>) -> Value {
    let classification = classify_format(format, place_incoming_pdf.unwrap_or(true));
    let note = (format == Format::Pdf && place_incoming_pdf.is_none()).then_some(PDF_RULE);
    let by_setting = note.map(|_| {
        json!({
            "place_incoming_pdf": classify_format(format, true).map(|c| c.category.as_str()),
            "otherwise": classify_format(format, false).map(|c| c.category.as_str()),
        })
    });
    json!({
        "format": format.as_str(),
        "kind": Value::Null,
        "identifier": Value::Null,
        "number": 1,
        "interchange_ref": Value::Null,
        "message_ref": Value::Null,
        "sender_id": Value::Null,
        "recipient_id": Value::Null,
        "bsn": Value::Null,
        "bsn_problem": Value::Null,
        "patient": Value::Null,
        "text": Value::Null,
        "category_hint": classification.as_ref().map(|c| c.category.as_str()),
        "reason": classification.as_ref().map(|c| c.reason.describe()),
        "reason_code": classification.as_ref().map(|c| c.reason.code()),
        "note": note,
        "by_setting": by_setting,
        "content": Value::Null,
        "warnings": Vec::<String>::new(),
    })
}

/// What `parse` says of a PDF when it does not know the route's setting.
pub const PDF_RULE: &str = "a PDF names no client: missing_bsn where the route places incoming \
    PDFs (place_incoming_pdf = true), unsupported otherwise; pass --config to apply a route's \
    setting";
