//! The JSON Ons speaks: the document metadata part, and the answers to a lookup, an upload
//! and a read-back.

use std::collections::BTreeMap;

use ketenpost_domain::category::RecordSystemCall;
use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use serde_json::value::RawValue;
use serde_json::Value;

use super::OnsError;
pub use ketenpost_domain::ports::{DocumentMetadata, PlacedDocument, StoredDocument};

/// The longest id accepted: ids are numbers or short codes, never text.
const MAX_ID_LEN: usize = 64;

/// An id ketenpost puts in a URL path or sends back: ASCII letters, digits, `-` and `_`,
/// at most 64 characters. Anything else (`..`, `/`, spaces, empty) is not an id.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A JSON integer as written (no sign, fraction or exponent), whatever its size.
fn is_json_integer(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

/// An id as sent to Ons: an id of digits as a JSON number (exactly as written, even beyond
/// 64 bits), any other id as a string.
struct IdOut<'a>(&'a str);

impl Serialize for IdOut<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Ok(n) = self.0.parse::<u64>() {
            return serializer.serialize_u64(n);
        }
        if is_json_integer(self.0) {
            if let Ok(raw) = RawValue::from_string(self.0.to_owned()) {
                return raw.serialize(serializer);
            }
        }
        serializer.serialize_str(self.0)
    }
}

/// An id as Ons writes it: a number (kept exactly as written) or a string.
fn id_text(raw: &RawValue) -> Option<String> {
    let text = raw.get().trim();
    if is_json_integer(text) {
        return Some(text.to_owned());
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

fn ids(values: &[String]) -> Vec<IdOut<'_>> {
    values.iter().map(|v| IdOut(v)).collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MetadataOut<'a> {
    client_object_id: IdOut<'a>,
    employee_object_id: IdOut<'a>,
    description: &'a str,
    file_name: &'a str,
    tags: &'a [String],
    right_selection: &'a str,
    expertise_groups: Vec<IdOut<'a>>,
    expertise_profiles: Vec<IdOut<'a>>,
    document_actions: &'a [String],
}

/// The `metadata` part of an upload.
pub fn metadata_json(client_id: &str, employee_id: &str, metadata: &DocumentMetadata) -> String {
    let out = MetadataOut {
        client_object_id: IdOut(client_id),
        employee_object_id: IdOut(employee_id),
        description: &metadata.description,
        file_name: &metadata.file_name,
        tags: &metadata.tags,
        right_selection: &metadata.right_selection,
        expertise_groups: ids(&metadata.expertise_groups),
        expertise_profiles: ids(&metadata.expertise_profiles),
        document_actions: &metadata.actions,
    };
    // Serializing plain fields and valid raw numbers to a string cannot fail.
    serde_json::to_string(&out).unwrap_or_default()
}

/// Where and what kind of JSON problem, without any of the text that caused it: a serde
/// message can quote the offending value, which may be personal data echoed by Ons.
fn json_problem(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        Category::Io => "cannot be read",
        Category::Syntax => "is not JSON",
        Category::Data => "does not have the described fields",
        Category::Eof => "ends early",
    };
    if error.line() == 0 {
        kind.to_owned()
    } else {
        format!("{kind} (line {}, column {})", error.line(), error.column())
    }
}

fn unreadable(call: RecordSystemCall, problem: impl Into<String>) -> OnsError {
    OnsError::Unreadable {
        call,
        problem: problem.into(),
    }
}

#[derive(Deserialize)]
struct ClientAnswer<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    bsn: Option<&'a RawValue>,
}

/// The client id from a lookup's answer for `bsn`.
///
/// The answer must be for the BSN asked for: an answer naming another BSN is never used.
/// The spec promises only `id`, names and `dateOfBirth`, so an answer without a BSN (or with
/// `null`) is taken as the answer to the question asked. The id must be plain (see
/// [`is_plain_id`]) and is kept exactly as written.
pub fn client_id(body: &str, bsn: &str) -> Result<String, OnsError> {
    let call = RecordSystemCall::Lookup;
    let answer: ClientAnswer<'_> =
        serde_json::from_str(body).map_err(|e| unreadable(call, json_problem(&e)))?;
    if let Some(found) = answer.bsn {
        let text = found.get().trim();
        let same = match serde_json::from_str::<Value>(text) {
            Ok(Value::Null) => true,
            Ok(Value::String(s)) => s.trim() == bsn,
            Ok(Value::Number(_)) if is_json_integer(text) => {
                text.len() <= 9 && format!("{text:0>9}") == bsn
            }
            _ => false,
        };
        if !same {
            return Err(unreadable(
                call,
                "the client answered is for another BSN than the one asked for",
            ));
        }
    }
    let id = answer
        .id
        .and_then(id_text)
        .ok_or_else(|| unreadable(call, "the client has no id"))?;
    if !is_plain_id(&id) {
        return Err(unreadable(
            call,
            "the client id is not a plain id (letters, digits, - and _, at most 64)",
        ));
    }
    Ok(id)
}

#[derive(Deserialize)]
struct DocumentAnswer<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(default)]
    status: Option<Value>,
}

/// The document from an upload's answer.
pub fn placed_document(body: &str) -> Result<PlacedDocument, OnsError> {
    let call = RecordSystemCall::Upload;
    let answer: DocumentAnswer<'_> =
        serde_json::from_str(body).map_err(|e| unreadable(call, json_problem(&e)))?;
    let id = answer
        .id
        .and_then(id_text)
        .ok_or_else(|| unreadable(call, "the document has no id"))?;
    Ok(PlacedDocument {
        id,
        status: answer.status.as_ref().and_then(Value::as_i64),
    })
}

#[derive(Deserialize)]
struct Listed<'a> {
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(rename = "fileName", default)]
    file_name: Option<String>,
    #[serde(default)]
    status: Option<Value>,
}

/// The documents from a read-back: a JSON array, or an object with the array under
/// `documents`, `items`, `content` or `data`.
pub fn stored_documents(body: &str) -> Result<Vec<StoredDocument>, OnsError> {
    let call = RecordSystemCall::List;
    let not_a_list = || unreadable(call, "no list of documents");
    let whole: &RawValue =
        serde_json::from_str(body).map_err(|e| unreadable(call, json_problem(&e)))?;
    let is_list = |raw: &RawValue| raw.get().trim_start().starts_with('[');
    let list = if is_list(whole) {
        whole
    } else if whole.get().trim_start().starts_with('{') {
        let map: BTreeMap<String, &RawValue> =
            serde_json::from_str(whole.get()).map_err(|e| unreadable(call, json_problem(&e)))?;
        ["documents", "items", "content", "data"]
            .iter()
            .find_map(|k| map.get(*k).copied().filter(|v| is_list(v)))
            .ok_or_else(not_a_list)?
    } else {
        return Err(not_a_list());
    };
    let listed: Vec<Listed<'_>> = serde_json::from_str(list.get())
        .map_err(|e| unreadable(call, format!("documents {}", json_problem(&e))))?;
    Ok(listed
        .into_iter()
        .filter_map(|d| {
            Some(StoredDocument {
                id: id_text(d.id)?,
                file_name: d.file_name.unwrap_or_default(),
                status: d.status.as_ref().and_then(Value::as_i64),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_sends_numeric_ids_as_numbers_and_labels_as_tags() {
        let m = DocumentMetadata {
            description: "Laboratoriumuitslag".into(),
            file_name: "message-1.pdf".into(),
            tags: vec!["labuitslag".into()],
            right_selection: "Group".into(),
            expertise_groups: vec!["12".into()],
            expertise_profiles: vec![],
            actions: vec!["SOG".into()],
        };
        let v: Value = serde_json::from_str(&metadata_json("77", "4711", &m)).unwrap();
        assert_eq!(v["clientObjectId"], json!(77));
        assert_eq!(v["employeeObjectId"], json!(4711));
        assert_eq!(v["tags"], json!(["labuitslag"]));
        assert_eq!(v["expertiseGroups"], json!([12]));
        assert_eq!(v["rightSelection"], json!("Group"));
    }

    #[test]
    fn answers_are_read_in_either_id_form() {
        assert_eq!(
            client_id(r#"{"id": 5, "dateOfBirth": "1950-01-01"}"#, "999990019").unwrap(),
            "5"
        );
        assert_eq!(
            placed_document(r#"{"id": "d9", "status": 2}"#)
                .unwrap()
                .status,
            Some(2)
        );
        let docs = stored_documents(r#"[{"id": 1, "fileName": "a.pdf"}]"#).unwrap();
        assert_eq!(docs[0].file_name, "a.pdf");
        assert!(client_id("{}", "999990019").is_err());
    }

    #[test]
    fn a_lookup_answer_for_another_bsn_is_refused_and_one_without_a_bsn_is_taken() {
        let asked = "999990019";
        for body in [
            r#"{"id": 78, "bsn": "123456782"}"#,
            r#"{"id": 78, "bsn": 123456782}"#,
            r#"{"id": 78, "bsn": ["999990019"]}"#,
        ] {
            let error = client_id(body, asked).unwrap_err();
            assert!(error.to_string().contains("another BSN"), "{body}: {error}");
            assert!(!error.to_string().contains("123456782"), "{error}");
        }
        for body in [
            r#"{"id": 78, "bsn": "999990019"}"#,
            r#"{"id": 78, "bsn": 999990019}"#,
            r#"{"id": 78, "bsn": null}"#,
            r#"{"id": 78}"#,
        ] {
            assert_eq!(client_id(body, asked).unwrap(), "78", "{body}");
        }
        assert_eq!(
            client_id(r#"{"id": 5, "bsn": 12345672}"#, "012345672").unwrap(),
            "5"
        );
    }

    #[test]
    fn ids_beyond_64_bits_are_kept_exactly_and_ids_that_are_not_plain_are_refused() {
        let big = "123456789012345678901234567890";
        let body = format!(r#"{{"id": {big}, "bsn": "999990019"}}"#);
        assert_eq!(client_id(&body, "999990019").unwrap(), big);
        let m = DocumentMetadata {
            description: String::new(),
            file_name: "f.pdf".into(),
            tags: vec![],
            right_selection: "Nobody".into(),
            expertise_groups: vec![big.into()],
            expertise_profiles: vec![],
            actions: vec![],
        };
        let text = metadata_json(big, "4711", &m);
        assert!(
            text.contains(&format!(r#""clientObjectId":{big}"#)),
            "{text}"
        );
        assert!(
            text.contains(&format!(r#""expertiseGroups":[{big}]"#)),
            "{text}"
        );
        for id in [
            r#""..""#, r#""a/b""#, r#""""#, r#""a b""#, "-1", "1.5", "1e3",
        ] {
            let body = format!(r#"{{"id": {id}}}"#);
            assert!(client_id(&body, "999990019").is_err(), "{id}");
        }
    }

    #[test]
    fn unreadable_answers_never_quote_what_ons_sent() {
        let echo = "bsn=999990019 (Wolf, JH)";
        for body in [
            format!(r#"{{"id": "{echo}" "#),
            format!(r#"{{"documents": "{echo}"}}"#),
            format!(r#"[{{"id": 1, "fileName": ["{echo}"]}}]"#),
        ] {
            let error = stored_documents(&body).unwrap_err().to_string();
            assert!(
                !error.contains("Wolf") && !error.contains("999990019"),
                "{error}"
            );
        }
        let error = placed_document(&format!(r#"{{"id": 1, "status": "{echo}""#))
            .unwrap_err()
            .to_string();
        assert!(!error.contains("Wolf"), "{error}");
    }
}
