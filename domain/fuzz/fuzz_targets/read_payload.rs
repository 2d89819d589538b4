//! Any bytes through the whole read path: format detection, EDIFACT reading, the typed
//! message views, the printable documents and every warning and error as text. Nothing may
//! panic.

#![no_main]

use ketenpost_domain::message::Message;
use ketenpost_domain::payload::{read_payload, Payload};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match read_payload(data) {
        Ok(Payload::Edifact(interchange)) => {
            for warning in &interchange.warnings {
                let _ = warning.to_string();
            }
            for message in Message::read_all(&interchange) {
                let _ = message.identifier.to_string();
                let _ = message.patient();
                for warning in &message.warnings {
                    let _ = warning.to_string();
                }
                if let Some(document) = message.document() {
                    let _ = document.plain_text();
                }
            }
        }
        Ok(Payload::Other(format)) => {
            let _ = format.as_str();
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
