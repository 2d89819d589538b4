//! The pages as templates (`portal/templates/`, Dutch, `lang="nl"`, every input labelled and
//! marked for password managers) and the small answers every handler uses.

use askama::Template;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// Inloggen.
#[derive(Template)]
#[template(path = "login.html")]
pub struct Login {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub email: String,
}

/// Wachtwoord vergeten.
#[derive(Template)]
#[template(path = "forgot.html")]
pub struct Forgot {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
}

/// The second step of the login.
#[derive(Template)]
#[template(path = "code.html")]
pub struct Code {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
}

/// Setting a password through a link.
#[derive(Template)]
#[template(path = "set_password.html")]
pub struct SetPassword {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub action: String,
}

/// Enrolment: QR code, secret, first code.
#[derive(Template)]
#[template(path = "enrol.html")]
pub struct Enrol {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub qr_svg: String,
    pub secret: String,
    pub ask_password: bool,
}

/// The recovery codes, shown once.
#[derive(Template)]
#[template(path = "recovery.html")]
pub struct Recovery {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub codes: Vec<String>,
}

/// The profile.
#[derive(Template)]
#[template(path = "profile.html")]
pub struct Profile {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub codes_left: usize,
    /// While e-mail notices cannot be sent: the warning (else empty).
    pub mail_warning: String,
}

/// The beheerder's page: the users and one user's security log.
#[derive(Template)]
#[template(path = "admin.html")]
pub struct Admin {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub users: Vec<UserRow>,
    pub email: String,
    /// Tijdstip, gebeurtenis.
    pub entries: Vec<(String, String)>,
}

/// One user on the beheerder's page.
pub struct UserRow {
    pub name: String,
    pub email: String,
    pub role: String,
    pub state: String,
    /// Whether the beheerder may disable the user or remove their second factor (not
    /// themselves, not a disabled user).
    pub changeable: bool,
}

/// The Berichtenstroom: tabs with counts, one tab's page.
#[derive(Template)]
#[template(path = "stream.html")]
pub struct Stream {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    /// The tab shown (machine name) and its Dutch name.
    pub tab: &'static str,
    pub tab_label: &'static str,
    /// What the tab means and what to do.
    pub guidance: &'static str,
    pub tabs: Vec<super::stream::TabView>,
    pub in_progress: i64,
    pub rows: Vec<super::stream::Row>,
    /// The next page's cursor; empty on the last page.
    pub next: String,
    /// The links to the next page and back to the first (with the search, when one), written
    /// for an attribute: every value percent-encoded, `&` as `&amp;`.
    pub next_href: String,
    pub first_href: String,
    /// Whether this is a later page (a link back to the first).
    pub paged: bool,
    /// Whether the tab's messages may be resent (all but Verwerkt; not from search results).
    pub resendable: bool,
    /// The search form, and whether these are its results.
    pub search: super::search::SearchView,
}

/// One message with its client data, attachments and timeline.
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    /// "Bericht met onbekend BSN van ...".
    pub heading: String,
    pub id: String,
    /// When it arrived, `dd-mm-jjjj hh:mm`.
    pub arrived: String,
    /// The category's Dutch name and machine name (for the link back).
    pub label: &'static str,
    pub tab: &'static str,
    /// The reason as a whole Dutch sentence.
    pub reason: String,
    pub name: String,
    pub bsn: String,
    pub sender: String,
    /// The original message's file name.
    pub original: String,
    pub can_resend: bool,
    /// The retention period ended: client data and attachments are removed.
    pub expired: bool,
    /// When, what.
    pub timeline: Vec<(String, String)>,
}

/// "12 berichten opnieuw verzenden?": a question with a POST button.
#[derive(Template)]
#[template(path = "confirm.html")]
pub struct Confirm {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub question: String,
    /// Where the form posts.
    pub action: String,
    /// The messages of a bulk resend (hidden fields).
    pub ids: Vec<String>,
    /// The tab of a resend of all of it.
    pub tab: String,
    /// Whether this confirms a bulk resend (posts `bevestigd=ja`).
    pub bulk: bool,
    /// Where "Annuleren" leads.
    pub back: String,
}

/// The access log for the beheerder, per client or per user.
#[derive(Template)]
#[template(path = "access.html")]
pub struct AccessLogPage {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub bsn: String,
    pub email: String,
    /// Whether a client or user was asked for.
    pub asked: bool,
    /// Tijdstip, gebruiker, rol, handeling, bericht, BSN, adres, uitkomst.
    pub rows: Vec<Vec<String>>,
}

/// A page with one sentence and perhaps a link.
#[derive(Template)]
#[template(path = "notice.html")]
pub struct Notice {
    pub signed_in: bool,
    pub csrf: String,
    pub notice: String,
    pub error: String,
    pub heading: String,
    pub text: String,
    pub link: String,
    pub link_text: String,
}

/// Renders a page with `status`.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(target: "portal", %error, "a page could not be rendered");
            (StatusCode::INTERNAL_SERVER_ERROR, "Er ging iets mis.").into_response()
        }
    }
}

/// A refusal page (403, 413, ...) with one sentence.
pub fn refusal(status: StatusCode, text: &str) -> Response {
    render(
        status,
        &Notice {
            signed_in: false,
            csrf: String::new(),
            notice: String::new(),
            error: String::new(),
            heading: "Niet verwerkt".to_owned(),
            text: text.to_owned(),
            link: "/inloggen".to_owned(),
            link_text: "Naar de inlogpagina".to_owned(),
        },
    )
}

/// 503: the portal cannot answer now (no randomness, the log failed).
pub fn unavailable() -> Response {
    refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "Het portaal kan dit nu niet verwerken. Probeer het over een paar minuten opnieuw.",
    )
}

/// 404.
pub async fn not_found() -> Response {
    refusal(StatusCode::NOT_FOUND, "Deze pagina bestaat niet.")
}

/// The style sheet.
pub async fn stylesheet() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        include_str!("../../assets/portal.css"),
    )
        .into_response()
}
