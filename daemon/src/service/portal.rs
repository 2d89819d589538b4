//! The portal's server inside the daemon: its own listener (`[portal] listen`) with the same
//! limits the API server applies, over the daemon's event log, stopping with the daemon.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::{load_or_create_key, DiskEventLog};
use ketenpost_domain::ports::{
    AppendError, EventLog, PayloadStore, PeriodKeys, ReadError, ReadSide,
};
use ketenpost_portal::consents::{ConsentAccount, Supplier};
use ketenpost_portal::detail::{ResendRefusal, Resender};
use ketenpost_portal::web::{self, Portal, WebSettings};
use tokio::task::JoinHandle;

use super::dispatch::WorkQueue;
use super::serve;
use super::shutdown::Shutdown;
use crate::config::Settings;
use crate::resend::{self, ResendRefused};

/// Starts the portal when `[portal]` is configured: its address and its server's task.
///
/// # Errors
/// The key file, the TLS certificate or key, or the listen address cannot be used.
pub fn start(
    log: &Arc<DiskEventLog>,
    shared: &Arc<super::state::Shared>,
    access_keys: Arc<dyn PeriodKeys>,
    shutdown: &Shutdown,
    queue: WorkQueue,
    rules: Arc<dyn ketenpost_portal::configuration::ConfigRules>,
) -> anyhow::Result<Option<(SocketAddr, JoinHandle<bool>)>> {
    let settings = &shared.settings;
    let mail_health = Arc::clone(&shared.mail_health);
    let Some(portal) = &settings.portal else {
        return Ok(None);
    };
    let key = load_or_create_key(&settings.key_file).context("portal: the key file")?;
    let tls = match &portal.tls {
        Some((cert, tls_key)) => Some(acceptor(cert, tls_key, &key)?),
        None => None,
    };
    let web_settings = WebSettings {
        https: portal.public_url.starts_with("https://"),
        public_url: portal.public_url.clone(),
        sessions: portal.sessions,
        smtp: settings.smtp.clone(),
        trusted_proxies: portal.trusted_proxies.clone(),
        server_timing: portal.server_timing,
    };
    let shared_log: Arc<dyn EventLog> = Arc::clone(log) as Arc<dyn EventLog>;
    let reader: Arc<dyn ReadSide> = Arc::clone(log) as Arc<dyn ReadSide>;
    let payloads: Arc<dyn PayloadStore> = Arc::new(Payloads(Arc::clone(log)));
    let resender = Arc::new(Resending {
        log: Arc::clone(log),
        queue,
    });
    let state = Arc::new(
        Portal::new(
            shared_log,
            key,
            access_keys,
            ketenpost_portal::notes::NoteKeys {
                keys: Arc::new(log.note_keys(settings.retention.keep_notes)),
                keep: settings.retention.keep_notes,
            },
            web_settings,
            web::system_clock(),
        )
        .with_read_side(reader)
        .with_payloads(payloads)
        .with_resender(resender)
        .with_mail_health(mail_health)
        .with_accounts(consent_accounts(settings))
        .with_build_info(web::BuildInfo {
            daemon_version: env!("CARGO_PKG_VERSION").to_owned(),
        })
        .with_configuration(rules)
        .with_account_health(Arc::new(Health(Arc::clone(shared)))),
    );
    let listener = serve::listen(portal.listen)
        .with_context(|| format!("portal.listen: cannot listen on {}", portal.listen))?;
    let address = listener.local_addr().context("portal.listen")?;
    let router = web::router(state);
    let server = match tls {
        Some(acceptor) => shutdown.spawn(
            "portal server",
            serve::serve_tls_with_limits(
                "portal",
                listener,
                router,
                portal.limits,
                shutdown.token(),
                acceptor,
            ),
        ),
        None => shutdown.spawn(
            "portal server",
            serve::serve_with_limits("portal", listener, router, portal.limits, shutdown.token()),
        ),
    };
    tracing::info!(address = %address, "portal listening");
    Ok(Some((address, server)))
}

/// The accounts the organisation gives consents for: every ZorgMail mailbox (Enovation) and
/// record system (Nedap); a drop folder has no supplier.
fn consent_accounts(settings: &Settings) -> Vec<ConsentAccount> {
    let mailboxes = settings
        .mailboxes
        .iter()
        .filter(|m| matches!(m.kind, crate::config::MailboxKind::ZorgMail(_)))
        .map(|m| ConsentAccount {
            name: m.name.clone(),
            supplier: Supplier::Enovation,
        });
    let record_systems = settings.record_systems.keys().map(|name| ConsentAccount {
        name: name.clone(),
        supplier: Supplier::Nedap,
    });
    mailboxes.chain(record_systems).collect()
}

/// The log's sealed payloads, for the message pages.
struct Payloads(Arc<DiskEventLog>);

impl PayloadStore for Payloads {
    fn put(&self, bytes: &[u8]) -> Result<String, AppendError> {
        self.0.payloads().put(bytes)
    }

    fn get(&self, digest: &str) -> Result<Option<Vec<u8>>, ReadError> {
        self.0.payloads().get(digest)
    }
}

/// HERZENDEN from the portal: the daemon's resend path (`crate::resend`), then the workers.
struct Resending {
    log: Arc<DiskEventLog>,
    queue: WorkQueue,
}

impl Resender for Resending {
    fn resend(&self, id: &str, requested_by: &str) -> Result<(), ResendRefusal> {
        match resend::request(&*self.log, id, requested_by) {
            Ok(stream) => {
                self.queue.push(stream);
                Ok(())
            }
            Err(ResendRefused::NotFound(_)) => Err(ResendRefusal::NotFound),
            Err(ResendRefused::Processed(_)) => Err(ResendRefusal::Processed),
            Err(ResendRefused::InProgress(_)) => Err(ResendRefusal::InProgress),
            Err(ResendRefused::Expired(_)) => Err(ResendRefusal::Expired),
            Err(ResendRefused::Log(error)) => Err(ResendRefusal::Failed(error)),
        }
    }
}

/// The TLS settings from `tls_cert` (PEM chain) and `tls_key` (PEM, or sealed with the data
/// key by `ketenpost seal`): TLS 1.2 and 1.3 with ring, HTTP/1.1.
fn acceptor(
    cert: &std::path::Path,
    tls_key: &std::path::Path,
    data_key: &[u8; 32],
) -> anyhow::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};

    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("portal.tls_cert = {}: {e}", cert.display()))?;
    anyhow::ensure!(
        !chain.is_empty(),
        "portal.tls_cert = {}: no certificate in it",
        cert.display()
    );
    let mut bytes = std::fs::read(tls_key)
        .with_context(|| format!("portal.tls_key = {}: cannot be read", tls_key.display()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    if ketenpost_adapters::sealed::is_sealed(&text) {
        bytes = ketenpost_adapters::sealed::open(data_key, &text)
            .map_err(|e| anyhow::anyhow!("portal.tls_key = {}: {e}", tls_key.display()))?;
    }
    let private = PrivateKeyDer::from_pem_slice(&bytes)
        .map_err(|e| anyhow::anyhow!("portal.tls_key = {}: {e}", tls_key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("portal TLS")?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            anyhow::anyhow!("portal.tls_cert and portal.tls_key do not go together: {e}")
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// The accounts' status on the Configuratie page: the daemon's health of each.
struct Health(Arc<super::state::Shared>);

impl web::AccountHealth for Health {
    fn sources(&self) -> Vec<ketenpost_domain::notifications::SourceHealth> {
        super::notify::health_of(&self.0)
    }
}
