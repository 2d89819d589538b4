//! Resending many messages at once (`POST /berichten/herzenden`): the selected messages of a
//! tab, or all of it. The first post asks "12 berichten opnieuw verzenden?"; the confirmed
//! post hands the work to a background task (a resend of thousands does not hold the page or
//! the daemon) and returns to the tab at once. Each resend is recorded in the access log as
//! a single one is.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::category::Category;
use ketenpost_domain::projections::State as MessageState;

use super::guard::CsrfToken;
use super::login::see_other;
use super::message::{resend_one, CLIENT_DATA_ROLES};
use super::pages::{self, render};
use super::{client, Portal, Signed};
use crate::stream::TABS;

/// The most messages of a tab one confirmed post resends.
pub const MAX_BULK: usize = 100_000;

/// What the form posted: `id` (repeated), `tab`, `bevestigd`.
struct Posted {
    ids: Vec<String>,
    tab: Option<Category>,
    confirmed: bool,
}

fn posted(fields: Vec<(String, String)>) -> Posted {
    let mut ids = Vec::new();
    let mut tab = None;
    let mut confirmed = false;
    for (name, value) in fields {
        match name.as_str() {
            "id" => ids.push(value),
            "tab" => {
                tab = Category::from_name(&value)
                    .filter(|c| TABS.contains(c) && *c != Category::Processed);
            }
            "bevestigd" => confirmed = value == "ja",
            _ => {}
        }
    }
    ids.sort();
    ids.dedup();
    Posted {
        ids,
        tab,
        confirmed,
    }
}

/// The ids of every message in `tab` now, newest first (blocking).
fn all_of(portal: &Portal, tab: Category) -> Vec<String> {
    let Some(reader) = &portal.reader else {
        return Vec::new();
    };
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    while ids.len() < MAX_BULK {
        let Ok(page) = reader.category_page(MessageState::Category(tab), cursor.as_deref(), 500)
        else {
            break;
        };
        ids.extend(page.messages.iter().map(|m| m.stream.as_str().to_owned()));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    ids
}

/// POST /berichten/herzenden.
pub async fn resend(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    extensions: axum::http::Extensions,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !signed.has_role(&CLIENT_DATA_ROLES) {
        return pages::refusal(
            StatusCode::FORBIDDEN,
            "U heeft geen toegang tot de gegevens van cliënten.",
        );
    }
    let posted = posted(fields);
    let back = format!("/berichten?tab={}", posted.tab.unwrap_or(TABS[0]).as_str());
    let count = if posted.ids.is_empty() {
        match posted.tab {
            Some(tab) => portal
                .reader
                .as_ref()
                .and_then(|r| r.category_counts().ok())
                .and_then(|counts| {
                    counts
                        .into_iter()
                        .find(|(s, _)| *s == MessageState::Category(tab))
                })
                .map_or(0, |(_, n)| usize::try_from(n).unwrap_or(0)),
            None => 0,
        }
    } else {
        posted.ids.len()
    };
    if count == 0 {
        return see_other(&back, &[]);
    }
    if !posted.confirmed {
        let question = if count == 1 {
            "1 bericht opnieuw verzenden?".to_owned()
        } else {
            format!("{count} berichten opnieuw verzenden?")
        };
        return render(
            StatusCode::OK,
            &pages::Confirm {
                signed_in: true,
                csrf: csrf.0,
                notice: String::new(),
                error: String::new(),
                question,
                action: "/berichten/herzenden".into(),
                ids: posted.ids,
                tab: posted
                    .tab
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                bulk: true,
                back,
            },
        );
    }
    let who = super::access_of(&signed, client(&extensions));
    let working = Arc::clone(&portal);
    let Posted { ids, tab, .. } = posted;
    // Not awaited: the page returns at once; the resends run on the blocking pool.
    tokio::task::spawn_blocking(move || {
        let ids = match (ids.is_empty(), tab) {
            (true, Some(tab)) => all_of(&working, tab),
            _ => ids,
        };
        for id in ids {
            let _ = resend_one(&working, &who, &id);
        }
    });
    see_other(&format!("{back}&herzonden={count}"), &[])
}
