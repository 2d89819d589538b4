//! Serving an HTTP router with limits, so that clients without a token cannot take the daemon
//! down: a bounded number of connections (the rest wait in the listen backlog, holding no file
//! descriptor of ours), a deadline for each request head (which also ends idle keep-alive
//! connections and slowloris clients), a deadline for reading a body and answering, and a
//! shutdown that closes whatever is still open after a short grace. The API uses it; any other
//! HTTP server of the daemon (the portal) should too.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::HttpLimits;

/// How many connections wait in the kernel's listen backlog while `max_connections` are being
/// served (the kernel caps it at `net.core.somaxconn`); they hold no file descriptor of ours.
const BACKLOG: u32 = 1024;

/// The largest request head read (and the connection's buffer): a token and a cursor fit many
/// times over, and hundreds of connections cannot hold much memory with it.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// While connections keep the limit reached, it is logged at most this often.
const FULL_REPORT_INTERVAL: Duration = Duration::from_secs(60);

/// How long the accept loop waits after an accept error such as "too many open files", so
/// that it neither spins nor gives up.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(200);

/// Listens on `address` with a backlog of [`BACKLOG`] connections waiting for a free slot.
///
/// # Errors
/// The address cannot be bound.
pub fn listen(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

/// Serves `router` on `listener` within `limits` (its log lines say `server`, e.g. `API`)
/// until `stop`; then stops accepting, lets requests in progress finish for
/// `limits.shutdown_grace` and closes every connection still open.
///
/// # Errors
/// A connection's task panicked (a bug); it is logged, and the rest are served to the end.
pub async fn serve_with_limits(
    server: &'static str,
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    serve_maybe_tls(server, listener, router, limits, stop, None).await
}

/// As [`serve_with_limits`], over TLS with `acceptor` (the portal with `tls_cert`): the
/// handshake must be done within the header timeout and counts against the connection limit.
///
/// # Errors
/// As [`serve_with_limits`].
pub async fn serve_tls_with_limits(
    server: &'static str,
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    stop: CancellationToken,
    acceptor: tokio_rustls::TlsAcceptor,
) -> anyhow::Result<()> {
    serve_maybe_tls(server, listener, router, limits, stop, Some(acceptor)).await
}

async fn serve_maybe_tls(
    server: &'static str,
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    stop: CancellationToken,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> anyhow::Result<()> {
    warn_if_descriptors_are_short(server, limits.max_connections);
    let router = router.layer(middleware::from_fn_with_state(
        limits.request_timeout,
        request_deadline,
    ));
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    let mut full_reported: Option<Instant> = None;
    let mut abnormal = 0usize;
    loop {
        while let Some(joined) = connections.try_join_next() {
            abnormal += usize::from(ended_abnormally(server, joined));
        }
        let report_due = full_reported.is_none_or(|at| at.elapsed() >= FULL_REPORT_INTERVAL);
        if slots.available_permits() == 0 && report_due {
            tracing::warn!(
                server,
                max_connections = limits.max_connections,
                "connection limit reached; further connections wait"
            );
            full_reported = Some(Instant::now());
        }
        let Some(slot) = until_stopped(&stop, Arc::clone(&slots).acquire_owned()).await else {
            break;
        };
        let Ok(slot) = slot else { break };
        let Some(accepted) = until_stopped(&stop, listener.accept()).await else {
            break;
        };
        match accepted {
            Ok((stream, peer)) => {
                // The client's address, for handlers that need it (the portal's rate limit).
                let router = router
                    .clone()
                    .layer(axum::Extension(axum::extract::ConnectInfo(peer)));
                let _ = stream.set_nodelay(true);
                let stop = stop.clone();
                match tls.clone() {
                    None => {
                        connections.spawn(serve_connection(stream, router, limits, slot, stop));
                    }
                    Some(acceptor) => {
                        connections.spawn(async move {
                            let handshake = tokio::time::timeout(
                                limits.header_timeout,
                                acceptor.accept(stream),
                            );
                            if let Ok(Ok(stream)) = handshake.await {
                                serve_connection(stream, router, limits, slot, stop).await;
                            }
                        });
                    }
                }
            }
            Err(error) => {
                tracing::warn!(server, %error, "accepting a connection failed");
                if until_stopped(&stop, tokio::time::sleep(ACCEPT_ERROR_PAUSE))
                    .await
                    .is_none()
                {
                    break;
                }
            }
        }
    }
    drop(listener);
    let open = connections.len();
    if open > 0 {
        tracing::info!(server, open, "closing connections");
    }
    let finished = tokio::time::timeout(limits.shutdown_grace, async {
        while let Some(joined) = connections.join_next().await {
            abnormal += usize::from(ended_abnormally(server, joined));
        }
    })
    .await;
    if finished.is_err() {
        tracing::info!(
            server,
            open = connections.len(),
            "connections still open after the shutdown grace are closed"
        );
        connections.shutdown().await;
    }
    if abnormal > 0 {
        anyhow::bail!("{abnormal} of the {server}'s connections ended abnormally");
    }
    Ok(())
}

/// Whether a connection's task ended abnormally (a panic); logged if so.
fn ended_abnormally(server: &str, joined: Result<(), tokio::task::JoinError>) -> bool {
    match joined {
        Ok(()) => false,
        Err(error) => {
            tracing::error!(
                server,
                panicked = error.is_panic(),
                "a connection's task ended abnormally"
            );
            true
        }
    }
}

/// Descriptors the daemon needs besides its connections: the data folder, the mailboxes, the
/// record systems' connections, the runtime's own.
const DESCRIPTORS_BESIDES: u64 = 128;

/// Warns when the process's file descriptor limit leaves too little room beside
/// `max_connections` (read from `/proc/self/limits`; elsewhere nothing is said).
fn warn_if_descriptors_are_short(server: &str, max_connections: usize) {
    let Some(soft) = descriptor_limit() else {
        return;
    };
    let needed = max_connections as u64 + DESCRIPTORS_BESIDES;
    if soft < needed {
        tracing::warn!(
            server,
            max_connections,
            descriptor_limit = soft,
            "the file descriptor limit leaves too little room beside the connection limit: \
             raise LimitNOFILE or lower max_connections"
        );
    }
}

/// The soft limit on open files, from `/proc/self/limits`.
fn descriptor_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs `work` unless `stop` comes first.
async fn until_stopped<T>(stop: &CancellationToken, work: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        biased;
        () = stop.cancelled() => None,
        done = work => Some(done),
    }
}

/// Serves one connection, holding its `slot` until it closes.
async fn serve_connection<S>(
    stream: S,
    router: Router,
    limits: HttpLimits,
    slot: OwnedSemaphorePermit,
    stop: CancellationToken,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_header_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    let mut connection =
        pin!(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(router)));
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "API connection ended");
            }
        }
        () = stop.cancelled() => {
            // Idle connections close now; a request in progress finishes (within the grace).
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
    drop(slot);
}

/// Answers 408 when reading the request's body and answering take longer than `limit`.
async fn request_deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (
            StatusCode::REQUEST_TIMEOUT,
            [(header::CONNECTION, "close")],
            Json(json!({
                "error": format!(
                    "the request was not completed within {}",
                    humantime::format_duration(limit)
                )
            })),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_descriptor_limit_is_read_where_proc_is_mounted() {
        if std::path::Path::new("/proc/self/limits").exists() {
            assert!(super::descriptor_limit().is_some_and(|n| n > 0));
        }
    }
}
