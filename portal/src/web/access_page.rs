//! The access log for the beheerder (`/toegangslog`): every access to one client's data (by
//! BSN) or by one user (by e-mail address), newest first, with who, role, action, message,
//! address and outcome. Looking a client up here is itself an access to their data and is
//! recorded as a search.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use ketenpost_domain::bsn::Bsn;
use ketenpost_domain::events::{Role, StreamId};
use serde::Deserialize;

use super::guard::CsrfToken;
use super::pages::{self, render};
use super::{client, Portal, Signed};
use crate::access::{self, Action, Entry};
use crate::{clock, identity, users};

/// The most entries shown at once.
const SHOWN: usize = 500;

/// `?bsn=` or `?email=`.
#[derive(Deserialize)]
pub struct AccessQuery {
    /// The client's BSN.
    #[serde(default)]
    pub bsn: String,
    /// The user's address.
    #[serde(default)]
    pub email: String,
}

/// The address of the user a `user` field names, or the field itself (`api:<name>`).
fn user_name(portal: &Portal, user: &str) -> String {
    StreamId::parse(user)
        .and_then(|stream| users::by_stream(&*portal.log, &stream).ok().flatten())
        .and_then(|state| identity::open_profile(&portal.key, &state.profile).ok())
        .map_or_else(|| user.to_owned(), |profile| profile.email)
}

/// GET /toegangslog.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Query(query): Query<AccessQuery>,
) -> Response {
    if !signed.has_role(&[Role::Beheerder]) {
        return pages::refusal(
            StatusCode::FORBIDDEN,
            "Deze pagina is alleen voor beheerders.",
        );
    }
    let who = super::access_of(&signed, client(&extensions));
    tokio::task::spawn_blocking(move || {
        let bsn = query.bsn.trim().to_owned();
        let email = identity::normalize_email(&query.email);
        let mut error = String::new();
        let (wanted_bsn, wanted_user) = if !bsn.is_empty() {
            match Bsn::parse(&bsn) {
                Ok(_) => (Some(bsn.clone()), None),
                Err(_) => {
                    error = "Dit is geen geldig BSN (9 cijfers die de elfproef doorstaan).".into();
                    (None, None)
                }
            }
        } else if !email.is_empty() {
            let stream = identity::user_stream(&portal.key, &email);
            (None, Some(stream.as_str().to_owned()))
        } else {
            (None, None)
        };
        let asked = wanted_bsn.is_some() || wanted_user.is_some();
        let rows = if asked {
            let Ok(all) = access::entries(&*portal.log) else {
                return pages::unavailable();
            };
            portal.record_access_entry(
                &who,
                Entry {
                    action: Action::Search,
                    message: None,
                    bsn: wanted_bsn.as_deref(),
                    detail: wanted_user.as_deref().map(|_| email.as_str()),
                    outcome: "success",
                },
            );
            access::select(
                &all,
                &*portal.access_keys,
                &portal.key,
                wanted_bsn.as_deref(),
                wanted_user.as_deref(),
                i64::MIN,
                i64::MAX,
            )
            .into_iter()
            .rev()
            .take(SHOWN)
            .map(|e| {
                vec![
                    clock::dutch_time(e.entry.at_ms),
                    user_name(&portal, &e.entry.user),
                    e.entry.role.clone(),
                    e.entry.action.clone(),
                    e.entry.message.clone().unwrap_or_default(),
                    e.bsn.unwrap_or_default(),
                    e.entry.address.clone(),
                    e.entry.outcome.clone(),
                ]
            })
            .collect()
        } else {
            Vec::new()
        };
        render(
            StatusCode::OK,
            &pages::AccessLogPage {
                signed_in: true,
                csrf: csrf.0,
                notice: String::new(),
                error,
                bsn,
                email,
                asked,
                rows,
            },
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}
