//! The `user` commands' way into a running daemon: its admin socket, `admin.sock` in the data
//! folder (a Unix socket only the folder's owner may open: mode 0600). While `ketenpost run`
//! holds the data folder the commands send their request there and print the daemon's answer;
//! when no daemon answers they open the folder themselves.
//!
//! A socket rather than the HTTP API: whoever may manage users may already read the data
//! folder and its key, so the folder's permissions are the right lock and no token is needed;
//! people's addresses, names and invitation links never travel over the network or appear in
//! API output; and it works whatever `[api] listen` says.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::user_ops::{Printed, UserRequest};
use super::Outcome;

/// The socket's name in the data folder.
pub const SOCKET_NAME: &str = "admin.sock";

/// The largest request or answer on the socket.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// How long the command waits for the daemon (an invitation mail may take the SMTP timeout).
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// The admin socket of the data folder `data_dir`.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// The longest path a Unix socket's address holds (108 bytes on Linux, with its closing zero).
const LONGEST_SOCKET_PATH: usize = 107;

/// A name the system takes for the file `name` in `folder` as a socket's address: its path,
/// or, when that is longer than an address holds (a data folder deep in a file system), the
/// same file through the open folder (`/proc/self/fd/N/name`), valid while this is kept.
pub struct SocketAddress {
    path: PathBuf,
    _folder: Option<std::fs::File>,
}

impl SocketAddress {
    /// The address of `name` in `folder`.
    ///
    /// # Errors
    /// The path is too long and the folder cannot be opened.
    pub fn of(folder: &Path, name: &str) -> std::io::Result<Self> {
        use std::os::fd::AsRawFd;

        let path = folder.join(name);
        if path.as_os_str().len() <= LONGEST_SOCKET_PATH {
            return Ok(Self {
                path,
                _folder: None,
            });
        }
        let opened = std::fs::File::open(folder)?;
        Ok(Self {
            path: PathBuf::from(format!("/proc/self/fd/{}/{name}", opened.as_raw_fd())),
            _folder: Some(opened),
        })
    }

    /// The path to bind or connect to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The daemon's answer: what the command printed, and how it ended.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    /// The printed lines.
    pub printed: Printed,
    /// `understood`, `malformed` or `failed`.
    pub outcome: String,
    /// The error of a failed command, as `ketenpost` prints it.
    pub error: Option<String>,
}

impl Answer {
    /// The answer for a command's result.
    pub fn of(printed: Printed, result: &anyhow::Result<Outcome>) -> Self {
        let (outcome, error) = match result {
            Ok(Outcome::Understood) => ("understood", None),
            Ok(Outcome::Malformed) => ("malformed", None),
            Err(e) => ("failed", Some(format!("{e:#}"))),
        };
        Self {
            printed,
            outcome: outcome.to_owned(),
            error,
        }
    }
}

/// Sends `request` to the daemon running on `data_dir`: `None` when none answers there (the
/// command then works on the folder itself), else what it printed and how it ended.
///
/// # Errors
/// A daemon answered the connection but the exchange failed.
pub fn ask(
    data_dir: &Path,
    request: &UserRequest,
) -> Option<anyhow::Result<(Printed, anyhow::Result<Outcome>)>> {
    let address = SocketAddress::of(data_dir, SOCKET_NAME).ok()?;
    let mut stream = UnixStream::connect(address.path()).ok()?;
    Some(exchange(&mut stream, request))
}

/// As [`ask`], waiting up to `wait` for the socket to answer: for a daemon that holds the
/// folder but is still starting. `None` when no daemon answered within `wait`.
///
/// # Errors
/// A daemon answered the connection but the exchange failed.
pub fn ask_when_up(
    data_dir: &Path,
    request: &UserRequest,
    wait: Duration,
) -> Option<anyhow::Result<(Printed, anyhow::Result<Outcome>)>> {
    let until = std::time::Instant::now() + wait;
    loop {
        if let Some(answered) = ask(data_dir, request) {
            return Some(answered);
        }
        if std::time::Instant::now() >= until {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn exchange(
    stream: &mut UnixStream,
    request: &UserRequest,
) -> anyhow::Result<(Printed, anyhow::Result<Outcome>)> {
    let what = "The running daemon's admin socket";
    stream.set_read_timeout(Some(ANSWER_WITHIN)).context(what)?;
    let body = serde_json::to_vec(request).context(what)?;
    stream.write_all(&body).context(what)?;
    stream.shutdown(std::net::Shutdown::Write).context(what)?;
    let mut text = Vec::new();
    stream
        .take(MAX_BYTES)
        .read_to_end(&mut text)
        .with_context(|| format!("{what}: no answer"))?;
    let answer: Answer = serde_json::from_slice(&text)
        .with_context(|| format!("{what}: an answer that cannot be read"))?;
    let result = match (answer.outcome.as_str(), answer.error) {
        ("understood", _) => Ok(Outcome::Understood),
        ("malformed", _) => Ok(Outcome::Malformed),
        (_, error) => Err(anyhow::anyhow!(
            "{}",
            error.unwrap_or_else(|| "the daemon could not do it".to_owned())
        )),
    };
    Ok((answer.printed, result))
}
