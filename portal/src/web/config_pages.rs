//! The Configuratie pages: `/configuratie` shows Organisatie, Accounts and Extra instellingen
//! as in force, each with a badge "Wacht op beoordeling" and the proposed difference, and the
//! forms that propose a change (see `config_forms.rs`); `/configuratie/beoordelen` is the
//! service desk's queue, where a `servicedesk` user who is not the author approves (and so
//! activates) or rejects a proposal with a reason. Mails go to the service desk when a
//! proposal arrives and to the author when it is decided; they carry no client data.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Form};
use ketenpost_domain::configuration::Status;
use ketenpost_domain::events::{Role, StreamId};
use serde::Deserialize;

use super::config_view::{self, DiffView, ProposalView, Sections};
use super::guard::CsrfToken;
use super::pages::{self, render};
use super::{Portal, Signed};
use crate::configuration::{self as desk, DeskError};
use crate::{identity, mail, users};

/// Configuratie.
#[derive(Template)]
#[template(path = "configuration.html")]
pub struct ConfigPage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub s: Sections,
    pub org_pending: Vec<DiffView>,
    pub accounts_pending: Vec<DiffView>,
    pub extra_pending: Vec<DiffView>,
    pub service_desk: bool,
}

/// The service desk's queue.
#[derive(Template)]
#[template(path = "config_review.html")]
pub struct ReviewPage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub proposals: Vec<ProposalView>,
}

/// Who may see the configuration and propose changes.
pub(crate) const READERS: [Role; 3] = [Role::Beheerder, Role::Secretariaat, Role::Servicedesk];

/// The name of the author of a proposal, as shown (never in the log: it holds the stream id).
fn author_name(portal: &Portal, author: &str) -> String {
    if author == ketenpost_domain::configuration::FROM_FILE {
        return "configuratiebestand".to_owned();
    }
    StreamId::parse(author)
        .and_then(|stream| users::by_stream(&*portal.log, &stream).ok().flatten())
        .and_then(|user| identity::open_profile(&portal.key, &user.profile).ok())
        .map_or_else(|| "onbekend".to_owned(), |p| p.name)
}

/// The problems the daemon's rules find in a version.
fn problems_of(
    portal: &Portal,
    routing: &ketenpost_domain::configuration::RoutingConfig,
) -> Vec<String> {
    portal
        .config_rules
        .as_ref()
        .map(|r| r.problems(routing))
        .unwrap_or_default()
}

/// The Configuratie page (blocking: reads the log).
pub(crate) fn config_page(
    portal: &Portal,
    signed: &Signed,
    csrf: &str,
    notice: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    let Ok((history, _)) = desk::history(&*portal.log) else {
        return pages::unavailable();
    };
    let Some((version, in_force)) = history.in_force() else {
        return pages::refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "Er is nog geen configuratie vastgelegd.",
        );
    };
    let proposals = config_view::proposals(&history, &|a| author_name(portal, a), &|_| Vec::new());
    let pending = |prefixes: &[&str]| -> Vec<DiffView> {
        proposals
            .iter()
            .filter(|p| p.waiting)
            .flat_map(|p| p.differences.iter())
            .filter(|d| prefixes.iter().any(|x| d.key.starts_with(x)))
            .map(|d| DiffView {
                key: d.key.clone(),
                before: d.before.clone(),
                after: d.after.clone(),
            })
            .collect()
    };
    let page = ConfigPage {
        signed_in: true,
        csrf: csrf.to_owned(),
        notice: notice.to_owned(),
        error: error.to_owned(),
        s: config_view::sections(
            version,
            in_force,
            &portal
                .account_health
                .as_ref()
                .map(|h| h.sources())
                .unwrap_or_default(),
        ),
        org_pending: pending(&["organisation"]),
        accounts_pending: pending(&["mailboxes", "record_systems"]),
        extra_pending: pending(&["routes", "manual_route"]),
        service_desk: signed.has_role(&[Role::Servicedesk]),
    };
    render(status, &page)
}

/// GET /configuratie.
pub async fn show(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
) -> Response {
    if !signed.has_role(&READERS) {
        return pages::refusal(StatusCode::FORBIDDEN, "Deze pagina is niet voor uw rol.");
    }
    tokio::task::spawn_blocking(move || {
        config_page(&portal, &signed, &csrf.0, "", "", StatusCode::OK)
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// The review queue (blocking).
fn review_page(
    portal: &Portal,
    csrf: &str,
    notice: &str,
    error: &str,
    status: StatusCode,
) -> Response {
    let Ok((history, _)) = desk::history(&*portal.log) else {
        return pages::unavailable();
    };
    let proposals = config_view::proposals(&history, &|a| author_name(portal, a), &|r| {
        problems_of(portal, r)
    });
    render(
        status,
        &ReviewPage {
            signed_in: true,
            csrf: csrf.to_owned(),
            notice: notice.to_owned(),
            error: error.to_owned(),
            proposals,
        },
    )
}

/// GET /configuratie/beoordelen.
pub async fn review(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
) -> Response {
    if !signed.has_role(&READERS) {
        return pages::refusal(StatusCode::FORBIDDEN, "Deze pagina is niet voor uw rol.");
    }
    tokio::task::spawn_blocking(move || review_page(&portal, &csrf.0, "", "", StatusCode::OK))
        .await
        .unwrap_or_else(|_| pages::unavailable())
}

/// The rejection form.
#[derive(Deserialize)]
pub struct RejectForm {
    /// Why.
    #[serde(default)]
    pub reden: String,
}

/// POST /configuratie/beoordelen/{version}/goedkeuren.
pub async fn approve(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Path(version): Path<u64>,
) -> Response {
    tokio::task::spawn_blocking(move || {
        let Some(rules) = portal.config_rules.clone() else {
            return pages::unavailable();
        };
        let outcome = desk::approve(
            &*portal.log,
            &*rules,
            signed.user.stream.as_str(),
            signed.has_role(&[Role::Servicedesk]),
            version,
            portal.now(),
        );
        decided(
            &portal,
            &signed,
            &csrf.0,
            version,
            outcome,
            "goedgekeurd en actief",
        )
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// POST /configuratie/beoordelen/{version}/afwijzen.
pub async fn reject(
    State(portal): State<Arc<Portal>>,
    Extension(csrf): Extension<CsrfToken>,
    signed: Signed,
    Path(version): Path<u64>,
    Form(form): Form<RejectForm>,
) -> Response {
    tokio::task::spawn_blocking(move || {
        let outcome = desk::reject(
            &*portal.log,
            signed.user.stream.as_str(),
            signed.has_role(&[Role::Servicedesk]),
            version,
            portal.now(),
            &form.reden,
        );
        decided(&portal, &signed, &csrf.0, version, outcome, "afgewezen")
    })
    .await
    .unwrap_or_else(|_| pages::unavailable())
}

/// The queue after a decision, and the author told.
fn decided(
    portal: &Portal,
    signed: &Signed,
    csrf: &str,
    version: u64,
    outcome: Result<(), DeskError>,
    what: &str,
) -> Response {
    match outcome {
        Ok(()) => {
            tracing::info!(target: "portal", version, decision = what, reviewer = %signed.user.stream, "configuration proposal decided");
            tell_author(portal, version, what);
            review_page(
                portal,
                csrf,
                &format!("Versie {version} is {what}."),
                "",
                StatusCode::OK,
            )
        }
        Err(error) => {
            let status = match error {
                DeskError::Refused(_) => StatusCode::CONFLICT,
                _ => StatusCode::SERVICE_UNAVAILABLE,
            };
            review_page(portal, csrf, "", &error.to_string(), status)
        }
    }
}

/// Mails `mail` when `[smtp]` is configured; a failure is logged without the address.
fn send(portal: &Portal, mail: &mail::Mail) {
    let Some(smtp) = portal.settings.smtp.clone() else {
        return;
    };
    if let Err(error) = mail::send(&smtp, mail) {
        tracing::warn!(target: "portal", %error, subject = %mail.subject, "a configuration mail could not be sent");
    }
}

/// Tells the author of `version` it was decided.
fn tell_author(portal: &Portal, version: u64, what: &str) {
    let Ok((history, _)) = desk::history(&*portal.log) else {
        return;
    };
    let Some(author) = history
        .versions
        .get(&version)
        .and_then(|v| StreamId::parse(&v.proposal.author))
        .and_then(|s| users::by_stream(&*portal.log, &s).ok().flatten())
        .and_then(|u| identity::open_profile(&portal.key, &u.profile).ok())
    else {
        return;
    };
    let status = history.status(version).unwrap_or(Status::Stale).dutch();
    send(
        portal,
        &mail::Mail {
            to: author.email,
            subject: format!("Uw configuratievoorstel (versie {version}) is {what}"),
            body: format!(
                "Beste {},\n\nUw voorstel voor de configuratie (versie {version}) is door de \
                 servicedesk {what} (status: {status}). Zie {}/configuratie/beoordelen.\n",
                author.name, portal.settings.public_url
            ),
        },
    );
}

/// Tells every active `servicedesk` user that `version` waits for review.
pub(crate) fn tell_service_desk(portal: &Portal, version: u64) {
    let Ok(all) = users::list(&*portal.log, &portal.key) else {
        return;
    };
    for (user, profile) in all {
        if user.role != Role::Servicedesk || user.disabled {
            continue;
        }
        send(
            portal,
            &mail::Mail {
                to: profile.email,
                subject: format!("Configuratievoorstel (versie {version}) wacht op beoordeling"),
                body: format!(
                    "Beste {},\n\nEr is een wijziging van de configuratie voorgesteld (versie \
                     {version}). Beoordeel het voorstel in het portaal: {}/configuratie/beoordelen\n",
                    profile.name, portal.settings.public_url
                ),
            },
        );
    }
}
