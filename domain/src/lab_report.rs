//! The printable form of a MEDLAB report: lab, patient and requester in the header, then per
//! specimen a table of determinations with flags and ranges, headings and remarks.

use crate::document::{Block, Column, Document, DocumentInfo, Row, Table};
use crate::labels::document as label;
use crate::letter::{push, push_patient};
use crate::medlab::{Medlab, ResultLine, Specimen};

/// Builds the document for a lab report.
pub fn lab_report_document(report: &Medlab<'_>) -> Document {
    let mut header = Vec::new();
    let lab = &report.lab;
    let lab_line = match (lab.name.trim(), lab.code.trim()) {
        (name, "") => name.to_owned(),
        ("", code) => format!("{} {code}", label::CODE),
        (name, code) => format!("{name} ({} {code})", label::CODE),
    };
    push(&mut header, label::LAB, &lab_line);
    push(&mut header, label::SENDER_ADDRESS, &lab.address.display());
    push(&mut header, label::SENDER_PHONE, &lab.phone);
    push_patient(&mut header, &report.patient);
    if let Some(requester) = &report.requester {
        // ART element 1 (the kind of requester) is a code whose meaning is not public: it is
        // kept in the JSON, not shown. The code is the requester's AGB code.
        let code = requester.code.trim();
        let name = requester.name.trim();
        let who = match (name, code) {
            (name, "") => name.to_owned(),
            ("", code) => format!("{} {code}", label::AGB_CODE),
            (name, code) => format!("{name} ({} {code})", label::AGB_CODE),
        };
        push(&mut header, label::REQUESTER, &who);
        push(
            &mut header,
            label::RECIPIENT_ADDRESS,
            &requester.address.display(),
        );
        push(&mut header, label::RECIPIENT_PHONE, &requester.phone);
    }
    if let Some(department) = &report.department {
        push(
            &mut header,
            label::DEPARTMENT,
            &contact(&department.name, &department.phone),
        );
    }
    for doctor in &report.department_doctors {
        push(
            &mut header,
            label::DEPARTMENT_DOCTOR,
            &contact(&doctor.name, &doctor.phone),
        );
    }
    for copy in &report.copies {
        push(&mut header, label::COPY, copy);
    }
    for attachment in &report.attachments {
        push(&mut header, label::ATTACHMENT, attachment);
    }
    let mut blocks = Vec::new();
    for specimen in &report.specimens {
        specimen_blocks(&mut blocks, specimen);
    }
    Document {
        title: label::LAB_REPORT_TITLE.into(),
        header,
        blocks,
        // The date is the message's (see `Message::document`), not a specimen's.
        info: DocumentInfo {
            author: report.lab.name.trim().to_owned(),
            date: None,
            time: None,
        },
    }
}

fn contact(name: &str, phone: &str) -> String {
    match (name.trim(), phone.trim()) {
        (name, "") => name.to_owned(),
        ("", phone) => phone.to_owned(),
        (name, phone) => format!("{name}, {phone}"),
    }
}

fn specimen_blocks(blocks: &mut Vec<Block>, specimen: &Specimen<'_>) {
    let mut title = vec![label::SPECIMEN.to_owned()];
    for part in [&specimen.id, &specimen.material, &specimen.volume] {
        if !part.trim().is_empty() {
            title.push(part.trim().to_owned());
        }
    }
    if let Some(date) = specimen.date {
        title.push(date.dutch());
    }
    if let Some(time) = specimen.time {
        title.push(time.to_string());
    }
    // IDE element 1: `J` or `C` when the request is complete; another code's meaning is not
    // public, so it is not shown (the JSON keeps it).
    if matches!(specimen.complete.trim(), "J" | "j" | "C" | "c") {
        title.push(format!("({})", label::COMPLETE));
    }
    blocks.push(Block::Heading {
        text: title.join(" "),
    });
    if !specimen.material_remarks.is_empty() {
        let lines = specimen
            .material_remarks
            .iter()
            .map(|r| format!("{}: {}", label::MATERIAL_REMARK, r.trim_end()))
            .collect();
        blocks.push(Block::Paragraph { lines });
    }
    if !specimen.results.is_empty() {
        blocks.push(Block::Table(results_table(specimen)));
    }
    if !specimen.pending.is_empty() {
        let mut lines = Vec::new();
        for pending in &specimen.pending {
            lines.push(format!("{}: {}", label::PENDING, pending.name.trim_end()));
            lines.extend(
                pending
                    .remarks
                    .iter()
                    .map(|r| format!("  {}", r.trim_end())),
            );
        }
        blocks.push(Block::Paragraph { lines });
    }
    if !specimen.remarks.is_empty() {
        let lines = specimen
            .remarks
            .iter()
            .map(|r| format!("{}: {}", label::REMARK, r.trim_end()))
            .collect();
        blocks.push(Block::Paragraph { lines });
    }
}

fn results_table(specimen: &Specimen<'_>) -> Table {
    let column = |title: &str, width| Column {
        title: title.into(),
        width,
    };
    let columns = vec![
        column(label::COLUMN_NAME, 34),
        column(label::COLUMN_RESULT, 16),
        column(label::COLUMN_UNIT, 12),
        column(label::COLUMN_FLAG, 8),
        column(label::COLUMN_RANGE, 16),
    ];
    let mut rows = Vec::new();
    for line in &specimen.results {
        match line {
            ResultLine::Heading { text } => rows.push(Row::Heading {
                text: text.trim().to_owned(),
            }),
            ResultLine::Determination(d) => {
                let name = match (d.name.trim(), d.code.trim()) {
                    (name, "") => name.to_owned(),
                    (name, code) => format!("{name} ({code})"),
                };
                let mut result = d.result.trim().to_owned();
                if !d.changed.trim().is_empty() {
                    result = format!("{result} ({})", d.changed.trim());
                }
                rows.push(Row::Cells {
                    cells: vec![
                        name,
                        result,
                        d.unit.trim().into(),
                        d.flag.trim().into(),
                        d.range(),
                    ],
                });
                rows.extend(d.remarks.iter().map(|r| Row::Note {
                    text: r.trim_end().to_owned(),
                }));
            }
        }
    }
    Table { columns, rows }
}
