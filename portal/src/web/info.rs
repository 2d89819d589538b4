//! Informatie (`/informatie`): the version and build of the portal and of the daemon that
//! serves it, for a service-desk call ("welke versie draait u?").

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;

use super::guard::CsrfToken;
use super::pages::render;
use super::{Portal, Signed};

/// What the daemon tells about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The daemon's version (`ketenpost --version`).
    pub daemon_version: String,
}

/// The Informatie page.
#[derive(Template)]
#[template(path = "info.html")]
pub struct InfoPage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    /// Onderdeel, waarde.
    pub rows: Vec<(String, String)>,
}

/// The build: profile, processor architecture and operating system.
pub fn build() -> String {
    format!(
        "{}, {}-{}",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// GET /informatie.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    _signed: Signed,
) -> Response {
    let daemon = portal
        .build
        .as_ref()
        .map_or_else(|| "onbekend".to_owned(), |b| b.daemon_version.clone());
    render(
        StatusCode::OK,
        &InfoPage {
            signed_in: true,
            csrf: csrf.0,
            notice: String::new(),
            error: String::new(),
            rows: vec![
                (
                    "Versie portaal".to_owned(),
                    env!("CARGO_PKG_VERSION").to_owned(),
                ),
                ("Versie daemon".to_owned(), daemon),
                ("Build".to_owned(), build()),
            ],
        },
    )
}
