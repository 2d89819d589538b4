//! The daemon's admin socket (`admin.sock` in the data folder, mode 0600): `ketenpost user ...`
//! sends one request while the daemon holds the folder, and the daemon runs it on its own log
//! with the same code the command runs on the folder (`commands::user_ops`), answering what it
//! printed and how it ended. One request at a time; the socket goes away with the daemon.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ketenpost_adapters::event_log::{load_or_create_key, DiskEventLog};
use ketenpost_domain::ports::EventLog;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::shutdown::Shutdown;

use crate::commands::user_ops::{self, Place, Printed, UserRequest};
use crate::commands::user_socket::{socket_path, Answer, SocketAddress, MAX_BYTES};
use crate::config::{PortalSettings, Settings, SmtpSettings};

/// How long a command may take to send its request.
const REQUEST_WITHIN: Duration = Duration::from_secs(10);

/// What a request needs of the daemon.
struct Daemon {
    log: Arc<DiskEventLog>,
    key: [u8; 32],
    portal: Option<PortalSettings>,
    smtp: Option<SmtpSettings>,
}

/// Binds the admin socket: a fresh one under a temporary name, made owner-only, then moved
/// into place (a stale one from a crash is replaced: this daemon holds the folder's lock).
///
/// # Errors
/// The key file cannot be read, or the socket cannot be made.
fn bind(settings: &Settings) -> anyhow::Result<(UnixListener, PathBuf)> {
    use std::os::unix::fs::PermissionsExt;

    let path = socket_path(&settings.data_dir);
    let fresh = settings.data_dir.join("admin.sock.new");
    let _ = std::fs::remove_file(&fresh);
    let making = || format!("Failed to make the admin socket {}", fresh.display());
    let address = SocketAddress::of(&settings.data_dir, "admin.sock.new").with_context(making)?;
    let listener = UnixListener::bind(address.path()).with_context(making)?;
    std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("Failed to make {} owner-only", fresh.display()))?;
    std::fs::rename(&fresh, &path)
        .with_context(|| format!("Failed to put the admin socket at {}", path.display()))?;
    Ok((listener, path))
}

/// Starts the admin socket beside the API: its task, or `None` (with a warning: the `user`
/// commands then cannot reach this daemon) when the socket cannot be made.
///
/// # Errors
/// The key file cannot be read.
pub fn start(
    log: &Arc<DiskEventLog>,
    settings: &Settings,
    shutdown: &Shutdown,
) -> anyhow::Result<Option<JoinHandle<bool>>> {
    let key = load_or_create_key(&settings.key_file).context("admin socket: the key file")?;
    let (listener, path) = match bind(settings) {
        Ok(bound) => bound,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "no admin socket: `ketenpost user` cannot reach this daemon");
            return Ok(None);
        }
    };
    let daemon = Arc::new(Daemon {
        log: Arc::clone(log),
        key,
        portal: settings.portal.clone(),
        smtp: settings.smtp.clone(),
    });
    let stop = shutdown.token();
    Ok(Some(shutdown.spawn(
        "admin socket",
        serve(listener, path, daemon, stop),
    )))
}

/// Answers requests on `listener` until `stop`, then removes the socket at `path`.
async fn serve(
    listener: UnixListener,
    path: PathBuf,
    daemon: Arc<Daemon>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::warn!(%error, "admin socket: a connection could not be accepted");
                    continue;
                }
            },
        };
        // One at a time, inside this task: a request in hand ends before the log closes.
        if let Err(error) = answer(stream, Arc::clone(&daemon)).await {
            tracing::warn!(error = %format!("{error:#}"), "admin socket: a request was not answered");
        }
    }
    let _ = std::fs::remove_file(&path);
    Ok(())
}

async fn answer(mut stream: UnixStream, daemon: Arc<Daemon>) -> anyhow::Result<()> {
    let mut body = Vec::new();
    tokio::time::timeout(
        REQUEST_WITHIN,
        (&mut stream).take(MAX_BYTES).read_to_end(&mut body),
    )
    .await
    .context("the request did not come in time")?
    .context("the request could not be read")?;
    let request: UserRequest =
        serde_json::from_slice(&body).context("a request that is not a user command")?;
    let answer = tokio::task::spawn_blocking(move || {
        let place = Place {
            portal: daemon.portal.as_ref(),
            smtp: daemon.smtp.as_ref(),
            open: Box::new(|_| Ok((Arc::clone(&daemon.log) as Arc<dyn EventLog>, daemon.key))),
        };
        let mut printed = Printed::default();
        let result = user_ops::execute(&request, place, &mut printed);
        Answer::of(printed, &result)
    })
    .await
    .context("the command stopped")?;
    let text = serde_json::to_vec(&answer).context("the answer")?;
    stream.write_all(&text).await.context("the answer")?;
    stream.shutdown().await.context("the answer")?;
    Ok(())
}
