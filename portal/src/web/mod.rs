//! The portal's web side: an axum router with the pages of part one (login with a second
//! factor, setting a password through a link, enrolment, recovery codes, profile, logout).
//! Every answer carries the security headers (`headers.rs`); every POST is checked for its
//! Origin and CSRF token before a handler sees it (`guard.rs`); sessions live on the server
//! (`sessions.rs`). Later parts add their pages to [`router`] and use [`Signed`] for role checks.

mod access_page;
mod admin;
mod admin_users;
mod attachments;
mod bulk;
mod config_forms;
mod config_pages;
mod config_view;
mod consent;
mod enrol;
mod failures;
mod forms;
mod guard;
mod headers;
mod info;
mod login;
mod message;
mod notes;
mod pages;
mod profile;
mod reset;
mod search;
mod sessions;
mod stream;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{middleware, Router};
use ketenpost_domain::events::StreamId;
use ketenpost_domain::ports::{EventLog, PayloadStore, PeriodKeys, ReadSide};

use crate::access::{Access, AccessLog, Action, Entry};
use crate::detail::Resender;

use crate::mail::SmtpSettings;
use crate::rules::lockout::{AddressBucket, Failures};
use crate::rules::proxy::{self, Network};
use crate::rules::session::SessionLimits;

pub use info::BuildInfo;
pub use sessions::{Session, Signed, Stage};

/// The time now, in milliseconds since 1970-01-01 UTC (a test passes its own).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    })
}

/// What the portal needs to know about where it runs.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The address people open, without a trailing `/`: links in mails, and the only Origin a
    /// form may be posted from.
    pub public_url: String,
    /// Whether the portal is reached over https (served itself or behind a proxy): HSTS.
    pub https: bool,
    /// How long sessions last.
    pub sessions: SessionLimits,
    /// The mail server, for notices of a change.
    pub smtp: Option<SmtpSettings>,
    /// The TLS proxies in front of the portal, whose `X-Forwarded-For` names the client
    /// (`[portal] trusted_proxies`; empty: the connection's peer is the client).
    pub trusted_proxies: Vec<Network>,
    /// Whether answers carry `Server-Timing` (the page's time in the daemon, for
    /// `scripts/bench-portal.sh`). Off unless configured: it would tell anyone how long the
    /// daemon worked on a login or a search, without the network's noise to hide it.
    pub server_timing: bool,
}

/// Everything the pages share.
pub struct Portal {
    pub(crate) log: Arc<dyn EventLog>,
    pub(crate) key: [u8; 32],
    pub(crate) settings: WebSettings,
    pub(crate) sessions: sessions::Store,
    pub(crate) failures: Mutex<HashMap<StreamId, Failures>>,
    pub(crate) addresses: Mutex<HashMap<IpAddr, AddressBucket>>,
    pub(crate) clock: Clock,
    /// The projections the message pages read; `None` until the daemon hands them over.
    pub(crate) reader: Option<Arc<dyn ReadSide>>,
    /// The sealed payloads, for the client data of a message.
    pub(crate) payloads: Option<Arc<dyn PayloadStore>>,
    /// Runs a message again (the daemon's resend path).
    pub(crate) resender: Option<Arc<dyn Resender>>,
    /// The access log's writer.
    pub(crate) access: AccessLog,
    /// The access log's period keys (to read what it says about clients).
    pub(crate) access_keys: Arc<dyn PeriodKeys>,
    /// The notes' period keys and their retention.
    pub(crate) note_keys: crate::notes::NoteKeys,
    /// How mailing the notices is doing (shown on the home page while it fails).
    pub(crate) mail_health: Option<Arc<crate::notices::MailHealth>>,
    /// The accounts (mailboxes, record systems) consents are given for.
    pub(crate) accounts: Vec<crate::consents::ConsentAccount>,
    /// The daemon's version, for the Informatie page.
    pub(crate) build: Option<BuildInfo>,
    /// How the daemon's mailboxes and record systems are doing (the accounts' status).
    pub(crate) account_health: Option<Arc<dyn AccountHealth>>,
    /// The daemon's rules for a configuration version, and its ear for an activation.
    pub(crate) config_rules: Option<Arc<dyn crate::configuration::ConfigRules>>,
}

/// How the daemon's mailboxes and record systems are doing, as its health shows them.
pub trait AccountHealth: Send + Sync {
    /// Every mailbox and record system the daemon runs.
    fn sources(&self) -> Vec<ketenpost_domain::notifications::SourceHealth>;
}

impl Portal {
    /// A portal over `log`, with the data key `key`; the access log sealed with `access_keys`,
    /// the notes with `note_keys`.
    pub fn new(
        log: Arc<dyn EventLog>,
        key: [u8; 32],
        access_keys: Arc<dyn PeriodKeys>,
        note_keys: crate::notes::NoteKeys,
        settings: WebSettings,
        clock: Clock,
    ) -> Self {
        Self {
            log,
            key,
            settings,
            sessions: sessions::Store::default(),
            failures: Mutex::new(HashMap::new()),
            addresses: Mutex::new(HashMap::new()),
            clock,
            reader: None,
            payloads: None,
            resender: None,
            access: AccessLog::new(Arc::clone(&access_keys)),
            access_keys,
            note_keys,
            mail_health: None,
            accounts: Vec::new(),
            build: None,
            config_rules: None,
            account_health: None,
        }
    }

    /// The same portal, naming the daemon's version on the Informatie page.
    #[must_use]
    pub fn with_build_info(mut self, build: BuildInfo) -> Self {
        self.build = Some(build);
        self
    }

    /// The same portal, with consents per account in `accounts`.
    #[must_use]
    pub fn with_accounts(mut self, accounts: Vec<crate::consents::ConsentAccount>) -> Self {
        self.accounts = accounts;
        self
    }

    /// The same portal, showing how mailing the notices is doing from `health`.
    #[must_use]
    pub fn with_mail_health(mut self, health: Arc<crate::notices::MailHealth>) -> Self {
        self.mail_health = Some(health);
        self
    }

    /// The same portal, showing each account's status from `health`.
    #[must_use]
    pub fn with_account_health(mut self, health: Arc<dyn AccountHealth>) -> Self {
        self.account_health = Some(health);
        self
    }

    /// The same portal, checking configuration versions with `rules` (the Configuratie pages).
    #[must_use]
    pub fn with_configuration(mut self, rules: Arc<dyn crate::configuration::ConfigRules>) -> Self {
        self.config_rules = Some(rules);
        self
    }

    /// The same portal, reading client data from `payloads`.
    #[must_use]
    pub fn with_payloads(mut self, payloads: Arc<dyn PayloadStore>) -> Self {
        self.payloads = Some(payloads);
        self
    }

    /// The same portal, resending through `resender`.
    #[must_use]
    pub fn with_resender(mut self, resender: Arc<dyn Resender>) -> Self {
        self.resender = Some(resender);
        self
    }

    /// Appends an access log entry; a log that cannot take it is reported in the daemon's log.
    pub(crate) fn record_access(
        &self,
        who: &Access,
        action: Action,
        message: Option<&str>,
        bsn: Option<&str>,
        outcome: &str,
    ) {
        self.record_access_entry(
            who,
            Entry {
                action,
                message,
                bsn,
                detail: None,
                outcome,
            },
        );
    }

    /// Appends an access log entry with every field.
    pub(crate) fn record_access_entry(&self, who: &Access, entry: Entry<'_>) {
        if let Err(error) = self.access.record(&*self.log, self.now(), who, entry) {
            tracing::error!(target: "portal", action = entry.action.as_str(), %error, "an access log entry could not be recorded");
        }
    }

    /// The same portal, with the message pages reading `reader` (the daemon's projections).
    #[must_use]
    pub fn with_read_side(mut self, reader: Arc<dyn ReadSide>) -> Self {
        self.reader = Some(reader);
        self
    }

    pub(crate) fn now(&self) -> i64 {
        (self.clock)()
    }

    /// Records a security log entry for `user` (see `crate::audit`).
    pub(crate) fn audit(
        &self,
        user: &StreamId,
        action: &str,
        factor: Option<&str>,
        address: IpAddr,
        outcome: &str,
    ) {
        crate::audit::record(&*self.log, user, action, factor, address, outcome);
    }

    /// Ends every session of `user` at once (disabled, password reset).
    pub fn end_sessions_of(&self, user: &StreamId) {
        self.sessions.end_user(user);
    }
}

/// Who acts, for the access log: the signed-in user with their role.
pub(crate) fn access_of(signed: &Signed, address: IpAddr) -> Access {
    Access::portal(&signed.session.user, signed.user.role.as_str(), address)
}

/// The client's address as [`client_address`] found it.
#[derive(Debug, Clone, Copy)]
struct ClientAddress(IpAddr);

/// The connection's peer (the daemon's server and the tests put it in the request's
/// extensions).
fn peer(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// The client's address: the connection's peer, or behind a trusted proxy the address it
/// forwarded (see `rules::proxy`).
pub(crate) fn client(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ClientAddress>()
        .map_or_else(|| peer(extensions), |c| c.0)
}

/// Finds the client's address of every request once, before the pages see it.
async fn client_address(
    axum::extract::State(portal): axum::extract::State<Arc<Portal>>,
    mut request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok());
    let address = proxy::client_address(
        peer(request.extensions()),
        forwarded,
        &portal.settings.trusted_proxies,
    );
    request.extensions_mut().insert(ClientAddress(address));
    next.run(request).await
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_owned())
}

/// The portal's pages.
pub fn router(portal: Arc<Portal>) -> Router {
    let pages = Router::new()
        .route("/", get(login::home))
        .route("/inloggen", get(login::form).post(login::submit))
        .route(
            "/inloggen/code",
            get(login::code_form).post(login::code_submit),
        )
        .route("/uitloggen", post(login::logout))
        .route("/wachtwoord-vergeten", get(reset::form).post(reset::submit))
        .route(
            "/wachtwoord/{stream}/{token}",
            get(enrol::password_form).post(enrol::password_submit),
        )
        .route(
            "/profiel/twee-factor",
            get(enrol::two_factor_form).post(enrol::two_factor_submit),
        )
        .route("/profiel", get(profile::show))
        .route("/beheer", get(admin::show))
        .route("/beheer/uitnodigen", post(admin_users::invite))
        .route("/beheer/uitschakelen", post(admin_users::disable))
        .route(
            "/beheer/tweede-factor-resetten",
            post(admin_users::reset_two_factor),
        )
        .route("/profiel/herstelcodes", post(profile::new_recovery_codes))
        .route("/profiel/wachtwoord", post(profile::change_password))
        .route("/berichten", get(stream::show))
        .route("/berichten/aantallen", get(stream::counts_json))
        .route("/berichten/herzenden", post(bulk::resend))
        .route("/toegangslog", get(access_page::show))
        .route("/berichten/{id}", get(message::show))
        .route("/berichten/{id}/pdf", get(attachments::pdf))
        .route("/berichten/{id}/origineel", get(attachments::original))
        .route(
            "/berichten/{id}/herzenden",
            get(message::confirm).post(message::resend),
        )
        .route("/toestemmingen", get(consent::show).post(consent::save))
        .route("/notities", get(notes::show).post(notes::add))
        .route("/informatie", get(info::show))
        .route("/configuratie", get(config_pages::show))
        .route(
            "/configuratie/organisatie",
            post(config_forms::organisation),
        )
        .route("/configuratie/accounts", post(config_forms::account))
        .route(
            "/configuratie/accounts/verwijderen",
            post(config_forms::remove_account),
        )
        .route("/configuratie/extra/{route}", post(config_forms::extra))
        .route("/configuratie/beoordelen", get(config_pages::review))
        .route(
            "/configuratie/beoordelen/{version}/goedkeuren",
            post(config_pages::approve),
        )
        .route(
            "/configuratie/beoordelen/{version}/afwijzen",
            post(config_pages::reject),
        )
        .route("/static/berichten.js", get(stream::script))
        .route("/static/portal.css", get(pages::stylesheet))
        .fallback(pages::not_found);
    let pages = if portal.settings.server_timing {
        pages.layer(middleware::from_fn(headers::server_timing))
    } else {
        pages
    };
    pages
        .layer(middleware::from_fn_with_state(
            Arc::clone(&portal),
            consent::stream_gate,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&portal),
            guard::check_posts,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&portal),
            headers::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&portal),
            client_address,
        ))
        .with_state(portal)
}
