//! Notities (`/notities`): notes with author and time, newest first, and a form to add one.
//! Every signed-in user reads and writes them; each reading is an access-log entry
//! (`read_notes`), since a note may hold client data. The text is sealed at rest
//! (`crate::notes`).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

use super::guard::CsrfToken;
use super::pages::{self, render};
use super::{client, Portal, Signed};
use crate::access::Action;
use crate::notes::{self, MAX_NOTE_CHARS};
use crate::{clock, identity};

/// The Notities page.
#[derive(Template)]
#[template(path = "notes.html")]
pub struct NotesPage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    /// Tijdstip, auteur, tekst, en of de tekst na de bewaartermijn is verwijderd.
    pub notes: Vec<(String, String, String, bool)>,
    /// How long a note can be read, in Dutch ("180 dagen").
    pub keep: String,
    /// The text typed, when it was refused.
    pub draft: String,
}

/// The form.
#[derive(Deserialize)]
pub struct NoteForm {
    /// The note.
    #[serde(default)]
    pub tekst: String,
}

fn author_name(portal: &Portal, author: &str) -> String {
    ketenpost_domain::events::StreamId::parse(author)
        .and_then(|s| crate::users::by_stream(&*portal.log, &s).ok().flatten())
        .and_then(|u| identity::open_profile(&portal.key, &u.profile).ok())
        .map_or_else(|| "onbekend".to_owned(), |p| p.name)
}

/// The page with every note; records the reading in the access log (blocking).
fn page(
    portal: &Portal,
    signed: &Signed,
    address: std::net::IpAddr,
    csrf: &str,
    (notice, error, draft): (&str, &str, &str),
    status: StatusCode,
) -> Response {
    let who = super::access_of(signed, address);
    let notes = match notes::all(&*portal.log, &portal.key, &portal.note_keys) {
        Ok(notes) => notes,
        Err(error) => {
            tracing::error!(target: "portal", %error, "the notes could not be read");
            portal.record_access(&who, Action::ReadNotes, None, None, "unavailable");
            return pages::unavailable();
        }
    };
    portal.record_access(&who, Action::ReadNotes, None, None, "success");
    let notes = notes
        .into_iter()
        .map(|n| {
            (
                clock::dutch_time(n.at_ms),
                author_name(portal, &n.author),
                n.text,
                n.removed,
            )
        })
        .collect();
    render(
        status,
        &NotesPage {
            signed_in: true,
            csrf: csrf.to_owned(),
            notice: notice.to_owned(),
            error: error.to_owned(),
            notes,
            keep: clock::dutch_duration(portal.note_keys.keep),
            draft: draft.to_owned(),
        },
    )
}

/// GET /notities.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
) -> Response {
    let address = client(&extensions);
    tokio::task::spawn_blocking(move || {
        page(
            &portal,
            &signed,
            address,
            &csrf.0,
            ("", "", ""),
            StatusCode::OK,
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// POST /notities: adds a note.
pub async fn add(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: Extensions,
    Form(form): Form<NoteForm>,
) -> Response {
    let address = client(&extensions);
    tokio::task::spawn_blocking(move || {
        let text = form.tekst.trim();
        if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
            let error = format!("Schrijf een notitie van 1 tot {MAX_NOTE_CHARS} tekens.");
            return page(
                &portal,
                &signed,
                address,
                &csrf.0,
                ("", &error, text),
                StatusCode::BAD_REQUEST,
            );
        }
        let written = notes::add(
            &*portal.log,
            &portal.note_keys,
            &signed.user.stream,
            text,
            portal.now(),
        );
        if let Err(error) = written {
            tracing::error!(target: "portal", %error, "a note could not be recorded");
            return pages::unavailable();
        }
        page(
            &portal,
            &signed,
            address,
            &csrf.0,
            ("De notitie is opgeslagen.", "", ""),
            StatusCode::OK,
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}
