//! Shared by the fixture tests: reading the project's own fixtures in `fixtures/messages`.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use ketenpost_domain::edifact::{self};
use ketenpost_domain::message::{Content, Message};

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../fixtures/messages/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Reads a fixture and gives its messages' typed views, owned so the bytes can go.
pub fn messages(name: &str) -> Vec<Message<'static>> {
    let bytes: &'static [u8] = Box::leak(fixture(name).into_boxed_slice());
    let interchange = edifact::read(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    Message::read_all(&interchange)
}

pub fn letter<'m, 'a>(message: &'m Message<'a>) -> &'m ketenpost_domain::medvri::Medvri<'a> {
    match &message.content {
        Content::Medvri(letter) => letter,
        other => panic!("expected a MEDVRI, got {other:?}"),
    }
}
