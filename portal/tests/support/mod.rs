//! The portal served in-process on a real loopback socket over a real event log, with a clock
//! the test can move forward, and a small browser that keeps cookies by hand (so the tests see
//! every `Set-Cookie` as sent) and posts forms with the page's CSRF token and Origin.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::events::Role;
use ketenpost_domain::ports::EventLog;
use ketenpost_portal::identity::Profile;
use ketenpost_portal::rules::session::SessionLimits;
use ketenpost_portal::rules::totp;
use ketenpost_portal::users;
use ketenpost_portal::web::{self, Portal, WebSettings};

pub mod messages;

pub const KEY: [u8; 32] = [9; 32];
pub const PASSWORD: &str = "lange zin als wachtwoord";

/// One portal on a loopback port.
pub struct TestPortal {
    pub base: String,
    /// How mailing the notices is doing, as the portal shows it (a test sets it).
    pub mail_health: Arc<ketenpost_portal::notices::MailHealth>,
    pub log: Arc<DiskEventLog>,
    pub portal: Arc<Portal>,
    offset_ms: Arc<AtomicI64>,
    folder: PathBuf,
    server: tokio::task::JoinHandle<()>,
}

/// How long the test portal keeps a note's text.
pub const NOTES_KEPT: std::time::Duration = std::time::Duration::from_secs(3600);

fn system_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl TestPortal {
    pub async fn start(name: &str, https: bool) -> Self {
        Self::start_with(name, https, None).await
    }

    /// With mail through the SMTP server on `smtp_port` (127.0.0.1, plain).
    pub async fn start_with(name: &str, https: bool, smtp_port: Option<u16>) -> Self {
        Self::start_full(name, https, smtp_port, &[]).await
    }

    /// Behind the TLS proxies in `trusted` (as `[portal] trusted_proxies`).
    pub async fn start_behind_proxy(name: &str, trusted: &[&str]) -> Self {
        Self::start_full(name, false, None, trusted).await
    }

    pub async fn start_full(
        name: &str,
        https: bool,
        smtp_port: Option<u16>,
        trusted: &[&str],
    ) -> Self {
        let folder =
            std::env::temp_dir().join(format!("ketenpost-portal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let log = Arc::new(DiskEventLog::open(&LogOptions::new(&folder)).unwrap());
        let offset_ms = Arc::new(AtomicI64::new(0));
        let offset = Arc::clone(&offset_ms);
        let clock: web::Clock = Arc::new(move || system_ms() + offset.load(Ordering::SeqCst));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let base = format!("http://{address}");
        let settings = WebSettings {
            public_url: base.clone(),
            https,
            sessions: SessionLimits::default(),
            smtp: smtp_port.map(|port| ketenpost_portal::mail::SmtpSettings {
                host: "127.0.0.1".into(),
                port,
                security: ketenpost_portal::mail::SmtpSecurity::None,
                credentials: None,
                from: "ketenpost <noreply@zorggroep.example>".into(),
                timeout: std::time::Duration::from_secs(10),
            }),
            trusted_proxies: trusted
                .iter()
                .map(|t| ketenpost_portal::rules::proxy::Network::parse(t).unwrap())
                .collect(),
            server_timing: false,
        };
        let dyn_log: Arc<dyn EventLog> = log.clone();
        let reader: Arc<dyn ketenpost_domain::ports::ReadSide> = log.clone();
        let mail_health = Arc::new(ketenpost_portal::notices::MailHealth::default());
        let portal = Arc::new(
            Portal::new(
                dyn_log,
                KEY,
                Arc::new(log.access_keys(std::time::Duration::from_secs(3600))),
                ketenpost_portal::notes::NoteKeys {
                    keys: Arc::new(log.note_keys(NOTES_KEPT)),
                    keep: NOTES_KEPT,
                },
                settings,
                clock,
            )
            .with_read_side(reader)
            .with_payloads(Arc::new(messages::Payloads(log.clone())))
            .with_resender(Arc::new(messages::Resending(log.clone())))
            .with_mail_health(Arc::clone(&mail_health)),
        );
        let router = web::router(Arc::clone(&portal));
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        Self {
            base,
            mail_health,
            log,
            portal,
            offset_ms,
            folder,
            server,
        }
    }

    /// Moves the portal's clock forward.
    pub fn advance(&self, ms: i64) {
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn now_ms(&self) -> i64 {
        system_ms() + self.offset_ms.load(Ordering::SeqCst)
    }

    /// Adds a user; the path of their invitation link.
    pub fn invite(&self, email: &str, role: Role) -> String {
        let profile = Profile {
            email: email.into(),
            name: "Anna de Vries".into(),
        };
        let link = users::add(&*self.log, &KEY, &profile, role, "test", self.now_ms()).unwrap();
        link.url("").to_owned()
    }

    /// The current TOTP code for a base32 secret, `steps` steps from now.
    pub fn code(&self, secret: &[u8], steps: i64) -> String {
        let step = (self.now_ms() / 1000 / 30 + steps) as u64;
        format!("{:06}", totp::code_at_step(secret, step))
    }
}

impl Drop for TestPortal {
    fn drop(&mut self) {
        self.server.abort();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

mod browser;
mod page_text;
// Each test binary uses some of these.
#[allow(unused_imports)]
pub use browser::{Browser, Page};
#[allow(unused_imports)]
pub use page_text::{between, unbase32};

impl Browser {
    /// A browser for `portal`.
    pub fn new(portal: &TestPortal) -> Self {
        Self::at(&portal.base)
    }
}

/// An enrolled user: the browser is logged in; the TOTP secret and recovery codes.
pub struct Enrolled {
    pub browser: Browser,
    pub secret: Vec<u8>,
    pub codes: Vec<String>,
    pub email: String,
}

/// Invitation -> password -> enrolment, for `email` as a beheerder.
pub async fn enrolled(portal: &TestPortal, email: &str) -> Enrolled {
    enrolled_as(portal, email, Role::Beheerder).await
}

/// Invitation -> password -> enrolment, for `email` in `role`.
pub async fn enrolled_as(portal: &TestPortal, email: &str, role: Role) -> Enrolled {
    let link = portal.invite(email, role);
    let mut browser = Browser::new(portal);
    let form = browser.get(&link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let set = browser
        .post(&link, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    assert_eq!(set.location, "/profiel/twee-factor", "{}", set.body);
    let enrol = browser.get("/profiel/twee-factor").await;
    let secret = unbase32(between(&enrol.body, "<code class=\"secret\">", "</code>"));
    let code = portal.code(&secret, 0);
    let done = browser
        .post("/profiel/twee-factor", &[("code", &code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let codes: Vec<String> = done
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), 10, "{}", done.body);
    Enrolled {
        browser,
        secret,
        codes,
        email: email.to_owned(),
    }
}
