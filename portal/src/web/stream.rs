//! The Berichtenstroom (`/berichten`): the six tabs with their counts and the number in
//! progress, one tab's messages newest first, paged with the read side's cursor (a page is
//! cut at a log position, so messages arriving meanwhile go to the top and none is shown twice
//! or skipped), and the counts as JSON for the script that refreshes them
//! (`/berichten/aantallen`, `assets/berichten.js`). Answered from the projections, never a
//! scan of the log. The list shows kind, sender and time only: no client's name or BSN.
//! The search form above it (`search.rs`) shows the messages a search finds the same way.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use ketenpost_domain::category::Category;
use ketenpost_domain::ports::ReadSide;
use ketenpost_domain::projections::State as MessageState;
use serde::Deserialize;

use super::guard::CsrfToken;
use super::pages::{self, render};
use super::search::SearchForm;
use super::{client, Portal, Signed};
use crate::access::{Action, Entry};
use crate::clock;
use crate::stream::{self as texts, IN_PROGRESS, TABS};

/// Messages on one page of a tab.
pub const PAGE_SIZE: usize = 50;

/// `?tab=unknown_bsn&na=CURSOR`.
#[derive(Deserialize)]
pub struct StreamQuery {
    /// The tab (a category's machine name).
    pub tab: Option<String>,
    /// Where the page starts (the previous page's cursor).
    pub na: Option<String>,
    /// How many messages a bulk resend just handed over (for the notice).
    pub herzonden: Option<usize>,
}

/// One tab's heading.
pub struct TabView {
    /// The machine name, for the URL.
    pub slug: &'static str,
    /// The Dutch name.
    pub label: &'static str,
    /// How many messages it holds.
    pub count: i64,
    /// Whether it is the one shown.
    pub current: bool,
}

/// One message in the list.
pub struct Row {
    /// The message's id, for its link.
    pub id: String,
    /// "Laboratoriumuitslag", "Brief", ...
    pub kind: String,
    /// Who sent it.
    pub sender: String,
    /// `dd-mm-jjjj hh:mm`, Europe/Amsterdam.
    pub received: String,
}

/// The counts per state, with zeros.
fn counts(reader: &dyn ReadSide) -> Result<HashMap<MessageState, i64>, String> {
    reader
        .category_counts()
        .map(|counts| counts.into_iter().collect())
        .map_err(|e| e.to_string())
}

fn in_progress(counts: &HashMap<MessageState, i64>) -> i64 {
    IN_PROGRESS
        .iter()
        .map(|s| counts.get(s).copied().unwrap_or(0))
        .sum()
}

/// GET /berichten.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Query(query): Query<StreamQuery>,
    Query(form): Query<SearchForm>,
) -> Response {
    let Some(reader) = portal.reader.clone() else {
        return pages::unavailable();
    };
    let tab = texts::tab_named(query.tab.as_deref());
    let searching = form.asked();
    if searching && !signed.has_role(&super::message::CLIENT_DATA_ROLES) {
        return pages::refusal(
            StatusCode::FORBIDDEN,
            "U heeft geen toegang tot de gegevens van cliënten.",
        );
    }
    let who = super::access_of(&signed, client(&extensions));
    tokio::task::spawn_blocking(move || {
        let counts = match counts(&*reader) {
            Ok(counts) => counts,
            Err(error) => {
                tracing::error!(target: "portal", %error, "the counts could not be read");
                return pages::unavailable();
            }
        };
        let cursor = query.na.filter(|c| !c.is_empty());
        let mut error = String::new();
        let listed = if searching {
            match form.query(MessageState::Category(tab)) {
                Ok(search) => {
                    let found = reader.search(&search, cursor.as_deref(), PAGE_SIZE);
                    let recorded = SearchForm::recorded(&search, tab.as_str());
                    portal.record_access_entry(
                        &who,
                        Entry {
                            action: Action::Search,
                            message: None,
                            bsn: search.bsn.as_deref(),
                            detail: Some(&recorded),
                            outcome: if found.is_ok() { "success" } else { "failed" },
                        },
                    );
                    found
                }
                Err(refusal) => {
                    refusal.clone_into(&mut error);
                    Ok(ketenpost_domain::ports::CategoryPage {
                        messages: Vec::new(),
                        next_cursor: None,
                    })
                }
            }
        } else {
            reader.category_page(MessageState::Category(tab), cursor.as_deref(), PAGE_SIZE)
        };
        let page = match listed {
            Ok(page) => page,
            Err(_) if cursor.is_some() => {
                return pages::refusal(
                    StatusCode::BAD_REQUEST,
                    "Deze pagina van de lijst bestaat niet (meer). Open het tabblad opnieuw.",
                )
            }
            Err(error) => {
                tracing::error!(target: "portal", %error, "a list could not be read");
                return pages::unavailable();
            }
        };
        let tabs = TABS
            .iter()
            .map(|c| TabView {
                slug: c.as_str(),
                label: c.label(),
                count: counts
                    .get(&MessageState::Category(*c))
                    .copied()
                    .unwrap_or(0),
                current: *c == tab,
            })
            .collect();
        let rows = page
            .messages
            .iter()
            .map(|m| Row {
                id: m.stream.as_str().to_owned(),
                kind: texts::kind(m),
                sender: texts::sender(m),
                received: clock::dutch_time(m.created_at_ms),
            })
            .collect();
        let next = page.next_cursor.unwrap_or_default();
        let attribute = |href: String| href.replace('&', "&amp;");
        let (next_href, first_href) = if searching {
            (
                form.href(tab.as_str(), Some(&next)),
                form.href(tab.as_str(), None),
            )
        } else {
            (
                format!("/berichten?tab={}&na={next}", tab.as_str()),
                format!("/berichten?tab={}", tab.as_str()),
            )
        };
        render(
            StatusCode::OK,
            &pages::Stream {
                signed_in: true,
                csrf: csrf.0,
                notice: query
                    .herzonden
                    .map(|n| {
                        format!(
                            "{n} {} opnieuw verzonden; de aantallen lopen bij.",
                            if n == 1 {
                                "bericht wordt"
                            } else {
                                "berichten worden"
                            }
                        )
                    })
                    .unwrap_or_default(),
                error,
                resendable: tab != Category::Processed && !searching,
                tab: tab.as_str(),
                tab_label: tab.label(),
                guidance: texts::guidance(tab),
                tabs,
                in_progress: in_progress(&counts),
                rows,
                next,
                next_href: attribute(next_href),
                first_href: attribute(first_href),
                paged: cursor.is_some(),
                search: form.view(searching),
            },
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// GET /berichten/aantallen: `{"fallout": 3, ..., "in_progress": 1}`.
pub async fn counts_json(State(portal): State<Arc<Portal>>, _signed: Signed) -> Response {
    let Some(reader) = portal.reader.clone() else {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    };
    let counted = tokio::task::spawn_blocking(move || counts(&*reader)).await;
    match counted {
        Ok(Ok(counts)) => {
            let mut body: serde_json::Map<String, serde_json::Value> = Category::ALL
                .iter()
                .map(|c| {
                    let n = counts
                        .get(&MessageState::Category(*c))
                        .copied()
                        .unwrap_or(0);
                    (c.as_str().to_owned(), n.into())
                })
                .collect();
            body.insert("in_progress".into(), in_progress(&counts).into());
            Json(body).into_response()
        }
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The script that refreshes the counts (served from the portal: the CSP allows no inline
/// script).
pub async fn script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        include_str!("../../assets/berichten.js"),
    )
        .into_response()
}
