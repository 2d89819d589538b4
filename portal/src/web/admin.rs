//! The beheerder's page (`/beheer`): the portal's users with their state and what may be done
//! to them (see `admin_users.rs`), the invitation form, and the security log of one address.
//! Only for the role `beheerder`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use ketenpost_domain::events::{Role, StreamId};
use serde::Deserialize;

use super::guard::CsrfToken;
use super::pages::{self, render, UserRow};
use super::{Portal, Signed};
use crate::{audit, clock, users};

/// `?email=`.
#[derive(Deserialize)]
pub struct AdminQuery {
    /// The address whose security log to show.
    #[serde(default)]
    pub email: String,
}

/// The page, blocking (reads the log): the users, and the security log of `email` when given;
/// `me` is the beheerder looking at it (who cannot disable themselves).
pub(crate) fn admin_page(
    portal: &Portal,
    csrf: &str,
    email: &str,
    notice: &str,
    error: &str,
    status: StatusCode,
    me: &StreamId,
) -> Response {
    let Ok(all) = users::list(&*portal.log, &portal.key) else {
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
            UserRow {
                name: profile.name,
                email: profile.email,
                role: user.role.as_str().to_owned(),
                state: state.to_owned(),
                changeable: !user.disabled && user.stream != *me,
            }
        })
        .collect();
    let email = email.trim().to_owned();
    let entries = if email.is_empty() {
        Vec::new()
    } else {
        audit::entries(&*portal.log, &portal.key, &email, i64::MIN, i64::MAX)
            .unwrap_or_default()
            .into_iter()
            .rev()
            .map(|e| (clock::dutch_time(e.at_ms), e.what))
            .collect()
    };
    render(
        status,
        &pages::Admin {
            signed_in: true,
            csrf: csrf.to_owned(),
            notice: notice.to_owned(),
            error: error.to_owned(),
            users: rows,
            email,
            entries,
        },
    )
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
    tokio::task::spawn_blocking(move || {
        admin_page(
            &portal,
            &csrf.0,
            &query.email,
            "",
            "",
            StatusCode::OK,
            &signed.user.stream,
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}
