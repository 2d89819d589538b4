//! The worker against any record system: the daemon's work path is generic over the
//! `RecordSystem` port, so a message on a real log is placed through an in-memory fake,
//! without sockets, and its answers still reach the record system's health.

use std::sync::{Arc, Mutex};

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::ports::{
    ClientLookup, DocumentMetadata, PlacedDocument, RecordSystem, RecordSystemError, StoredDocument,
};

use super::*;
use crate::intake::{self, Arrival};
use crate::service::wiring::RecordSystems;

/// A record system in memory: one client for every BSN; remembers what was placed.
#[derive(Default)]
struct InMemory {
    placed: Mutex<Vec<DocumentMetadata>>,
}

impl RecordSystem for InMemory {
    async fn client_by_bsn(&self, _bsn: &Bsn) -> Result<ClientLookup, RecordSystemError> {
        Ok(ClientLookup::Found("client-1".to_owned()))
    }

    async fn documents(&self, _client: &str) -> Result<Vec<StoredDocument>, RecordSystemError> {
        Ok(Vec::new())
    }

    async fn place_document(
        &self,
        _client: &str,
        metadata: &DocumentMetadata,
        _document: Vec<u8>,
    ) -> Result<PlacedDocument, RecordSystemError> {
        let mut placed = self.placed.lock().unwrap();
        placed.push(metadata.clone());
        Ok(PlacedDocument {
            id: format!("document-{}", placed.len()),
            status: Some(0),
        })
    }
}

/// A configuration whose route `ons` names the record system `ons`, in a fresh folder.
fn settings(name: &str) -> crate::config::Settings {
    let dir = std::env::temp_dir().join(format!("ketenpost-worker-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["client.crt", "client.key", "ca.crt"] {
        std::fs::write(dir.join(file), b"").unwrap();
    }
    let config = dir.join("ketenpost.toml");
    std::fs::write(
        &config,
        r#"
data_dir = "data"
manual_route = "ons"
[api]
listen = "127.0.0.1:0"
token = "a-token-of-sixteen-or-more"
[record_systems.ons]
kind = "nedap_ons"
base_url = "https://ons.invalid"
client_cert = "client.crt"
client_key = "client.key"
ca_cert = "ca.crt"
employee_object_id = "4711"
user_name = "Ketenverkeer"
active_identity = "ketenpost"
[routes.ons]
record_system = "ons"
medvri_pdf_senders = ["500012345"]
[routes.ons.types.MEDVRI]
labels = ["brief"]
right_selection = "Group"
expertise_groups = ["12"]
"#,
    )
    .unwrap();
    crate::config::load(Some(&config)).unwrap()
}

#[tokio::test]
async fn a_letter_is_placed_through_any_record_system_and_its_answers_noted() {
    let settings = settings("in-memory");
    let log = DiskEventLog::open(&LogOptions::new(&settings.data_dir)).unwrap();
    let letter = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/messages/medvri_lf.edi"),
    )
    .unwrap();
    let received = intake::receive_and_process(
        &log,
        vec![Arrival {
            mailbox: "manual".to_owned(),
            remote_id: "letter".to_owned(),
            bytes: letter,
            envelope: None,
            place_incoming_pdf: false,
        }],
    )
    .unwrap();
    let messages: Vec<_> = received
        .into_iter()
        .flat_map(|r| r.messages)
        .filter(|(_, awaits)| *awaits)
        .map(|(message, _)| message)
        .collect();
    assert_eq!(messages.len(), 1, "the letter awaits placing");
    let shared = Arc::new(Shared::new(Arc::new(log), settings));
    let record_systems: RecordSystems<InMemory> = [("ons".to_owned(), InMemory::default())].into();

    let done = work(&shared, &record_systems, &messages[0]).await.unwrap();
    assert_eq!(done, Done::Finished);
    // Once placed, working on it again places nothing more.
    work(&shared, &record_systems, &messages[0]).await.unwrap();

    let placed = record_systems["ons"].placed.lock().unwrap().clone();
    assert_eq!(placed.len(), 1, "{placed:?}");
    assert_eq!(placed[0].tags, ["brief"]);
    assert!(placed[0].file_name.contains(&messages[0].to_string()));
    let health = shared.record_system_health();
    assert!(health["ons"].last_success.is_some(), "answers are noted");
    shared.log.close();
}
