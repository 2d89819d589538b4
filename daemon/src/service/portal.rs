//! The portal's server inside the daemon: its own listener (`[portal] listen`) with the same
//! limits the API server applies, over the daemon's event log, stopping with the daemon.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use ketenpost_adapters::event_log::{load_or_create_key, SledEventLog};
use ketenpost_domain::ports::EventLog;
use ketenpost_portal::web::{self, Portal, WebSettings};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::serve;
use crate::config::Settings;

/// Starts the portal when `[portal]` is configured: its address and its server's task.
///
/// # Errors
/// The key file or the listen address cannot be used, or TLS is asked for (not served by
/// the daemon itself yet: put a TLS proxy in front).
pub fn start(
    log: &Arc<SledEventLog>,
    settings: &Settings,
    stop: watch::Receiver<bool>,
) -> anyhow::Result<Option<(SocketAddr, JoinHandle<()>)>> {
    let Some(portal) = &settings.portal else {
        return Ok(None);
    };
    anyhow::ensure!(
        portal.tls.is_none(),
        "portal.tls_cert: the portal does not serve TLS itself yet; leave tls_cert and \
         tls_key out and put a TLS-terminating proxy in front of portal.listen"
    );
    let key = load_or_create_key(&settings.key_file).context("portal: the key file")?;
    let web_settings = WebSettings {
        https: portal.public_url.starts_with("https://"),
        public_url: portal.public_url.clone(),
        sessions: portal.sessions,
        smtp: settings.smtp.clone(),
    };
    let shared_log: Arc<dyn EventLog> = Arc::clone(log) as Arc<dyn EventLog>;
    let state = Arc::new(Portal::new(
        shared_log,
        key,
        web_settings,
        web::system_clock(),
    ));
    let listener = serve::listen(portal.listen)
        .with_context(|| format!("portal.listen: cannot listen on {}", portal.listen))?;
    let address = listener.local_addr().context("portal.listen")?;
    let server = tokio::spawn(serve::serve_with_limits(
        "portal",
        listener,
        web::router(state),
        portal.limits,
        stop,
    ));
    tracing::info!(address = %address, "portal listening");
    Ok(Some((address, server)))
}
