//! The beheerder's page (`/beheer`): the portal's users with their state, and the security
//! log of one address. Only for the role `beheerder`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use ketenpost_domain::events::Role;
use serde::Deserialize;

use super::guard::CsrfToken;
use super::pages::{self, render};
use super::{Portal, Signed};
use crate::{audit, clock, users};

/// `?email=`.
#[derive(Deserialize)]
pub struct AdminQuery {
    /// The address whose security log to show.
    #[serde(default)]
    pub email: String,
}

/// GET /beheer.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Query(query): Query<AdminQuery>,
) -> Response {
    if !signed.has_role(&[Role::Beheerder]) {
        return pages::refusal(
            StatusCode::FORBIDDEN,
            "Deze pagina is alleen voor beheerders.",
        );
    }
    let working = Arc::clone(&portal);
    tokio::task::spawn_blocking(move || {
        let Ok(all) = users::list(&*working.log, &working.key) else {
            return pages::unavailable();
        };
        let rows = all
            .into_iter()
            .map(|(user, profile)| {
                let state = if user.disabled {
                    "uitgeschakeld"
                } else if user.password_hash.is_none() {
                    "uitgenodigd"
                } else if !user.enrolled() {
                    "zonder tweede factor"
                } else {
                    "actief"
                };
                (
                    profile.name,
                    profile.email,
                    user.role.as_str().to_owned(),
                    state.to_owned(),
                )
            })
            .collect();
        let email = query.email.trim().to_owned();
        let entries = if email.is_empty() {
            Vec::new()
        } else {
            audit::entries(&*working.log, &working.key, &email, i64::MIN, i64::MAX)
                .unwrap_or_default()
                .into_iter()
                .rev()
                .map(|e| (clock::dutch_time(e.at_ms), e.what))
                .collect()
        };
        render(
            StatusCode::OK,
            &pages::Admin {
                signed_in: true,
                csrf: csrf.0,
                notice: String::new(),
                error: String::new(),
                users: rows,
                email,
                entries,
            },
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}
