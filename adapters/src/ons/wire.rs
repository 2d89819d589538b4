//! The JSON Ons speaks: the document metadata part, and the answers to a lookup, an upload
//! and a read-back.

use serde::Deserialize;
use serde_json::{json, Value};

use super::OnsError;

/// What a document is placed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentMetadata {
    /// `description`.
    pub description: String,
    /// `fileName`: carries the message id.
    pub file_name: String,
    /// `tags`: the labels.
    pub tags: Vec<String>,
    /// `rightSelection`: `Me`, `Group`, `Education`, `All` or `Nobody`.
    pub right_selection: String,
    /// `expertiseGroups`.
    pub expertise_groups: Vec<String>,
    /// `expertiseProfiles`.
    pub expertise_profiles: Vec<String>,
    /// Document actions: the expertise groups that must act on it. Not in Ons' public API
    /// text; passed on as `documentActions`.
    pub actions: Vec<String>,
}

/// A placed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacedDocument {
    /// Its id.
    pub id: String,
    /// Its status (0 New .. 6 Archived), if given.
    pub status: Option<i64>,
}

/// A document read back from a client's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument {
    /// Its id.
    pub id: String,
    /// Its file name.
    pub file_name: String,
}

/// An id as Ons writes it: a number, or a string of digits. Ids that are digits are sent as
/// numbers.
fn id_value(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn ids(values: &[String]) -> Vec<Value> {
    values.iter().map(|v| id_value(v)).collect()
}

/// The `metadata` part of an upload.
pub fn metadata_json(client_id: &str, employee_id: &str, metadata: &DocumentMetadata) -> String {
    json!({
        "clientObjectId": id_value(client_id),
        "employeeObjectId": id_value(employee_id),
        "description": metadata.description,
        "fileName": metadata.file_name,
        "tags": metadata.tags,
        "rightSelection": metadata.right_selection,
        "expertiseGroups": ids(&metadata.expertise_groups),
        "expertiseProfiles": ids(&metadata.expertise_profiles),
        "documentActions": metadata.actions,
    })
    .to_string()
}

fn object(body: &str) -> Result<Value, OnsError> {
    serde_json::from_str(body).map_err(|e| OnsError::Unreadable(format!("not JSON: {e}")))
}

/// The client id from a lookup's answer.
pub fn client_id(body: &str) -> Result<String, OnsError> {
    object(body)?
        .get("id")
        .and_then(id_text)
        .ok_or_else(|| OnsError::Unreadable("the client has no id".into()))
}

/// The document from an upload's answer.
pub fn placed_document(body: &str) -> Result<PlacedDocument, OnsError> {
    let value = object(body)?;
    let id = value
        .get("id")
        .and_then(id_text)
        .ok_or_else(|| OnsError::Unreadable("the document has no id".into()))?;
    Ok(PlacedDocument {
        id,
        status: value.get("status").and_then(Value::as_i64),
    })
}

#[derive(Deserialize)]
struct Listed {
    id: Value,
    #[serde(rename = "fileName", default)]
    file_name: Option<String>,
}

/// The documents from a read-back: a JSON array, or an object with the array under
/// `documents`, `items` or `content`.
pub fn stored_documents(body: &str) -> Result<Vec<StoredDocument>, OnsError> {
    let value = object(body)?;
    let list = match &value {
        Value::Array(_) => value.clone(),
        Value::Object(map) => ["documents", "items", "content", "data"]
            .iter()
            .find_map(|k| map.get(*k).filter(|v| v.is_array()).cloned())
            .ok_or_else(|| OnsError::Unreadable("no list of documents".into()))?,
        _ => return Err(OnsError::Unreadable("no list of documents".into())),
    };
    let listed: Vec<Listed> = serde_json::from_value(list)
        .map_err(|e| OnsError::Unreadable(format!("documents: {e}")))?;
    Ok(listed
        .into_iter()
        .filter_map(|d| {
            Some(StoredDocument {
                id: id_text(&d.id)?,
                file_name: d.file_name.unwrap_or_default(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

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
            client_id(r#"{"id": 5, "dateOfBirth": "1950-01-01"}"#).unwrap(),
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
        assert!(client_id("{}").is_err());
    }
}
