//! Every default value of the configuration, in one place: what a key left out of the file
//! means. The rest of the daemon refers to these constants; `deploy/ketenpost.example.toml`
//! documents them, and a test below keeps the two equal.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// `data_dir`: the data folder (event log, payloads, projections).
pub const DATA_DIR: &str = "./ketenpost-data";

/// `key_file`, relative to the data folder: the key that encrypts payloads at rest.
pub const KEY_FILE_NAME: &str = "data.key";

/// `log_format`: human-readable lines.
pub const LOG_FORMAT: &str = "text";

/// `workers`: how many messages are worked on at once.
pub const WORKERS: usize = 32;

/// `api.listen`: loopback only.
pub const API_LISTEN: &str = "127.0.0.1:8080";

/// `api.limits.header_timeout`: how long a client may take to send a request's head.
pub const API_HEADER_TIMEOUT: Duration = Duration::from_secs(10);

/// `api.limits.request_timeout`: how long reading a request's body and answering may take.
pub const API_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `api.limits.max_connections`: connections served at once.
pub const API_MAX_CONNECTIONS: usize = 256;

/// `api.limits.shutdown_grace`: how long open connections get to finish at shutdown.
pub const API_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// `mailboxes[].poll_interval`: how often a mailbox is looked at.
pub const POLL_INTERVAL: Duration = Duration::from_secs(30);

/// `mailboxes[].max_message_mib`: the largest message taken in, in MiB; far above any letter
/// or lab report, far below what would strain the server's memory.
pub const MAX_MESSAGE_MIB: u64 = 64;

/// `mailboxes[].max_in_flight_mib`: the memory a mailbox's messages being taken in may hold at
/// once, in MiB; a few large messages, or hundreds of letters.
pub const MAX_IN_FLIGHT_MIB: u64 = 256;

/// `mailboxes[].max_concurrent_requests`: how many calls a ZorgMail mailbox has under way at
/// once.
pub const MAX_CONCURRENT_REQUESTS: usize = 8;

/// `mailboxes[].timeout`: how long a ZorgMail mailbox may take to begin an answer, or go silent
/// in one.
pub const MAILBOX_TIMEOUT: Duration = Duration::from_secs(20);

/// `record_systems.NAME.timeout`: how long one request to the record system may take.
pub const RECORD_SYSTEM_TIMEOUT: Duration = Duration::from_secs(30);

/// `routes.NAME.retry.attempts`: placing attempts in all before `technical_error`.
pub const RETRY_ATTEMPTS: u32 = 8;

/// `routes.NAME.retry.first_delay`: the delay before the second attempt.
pub const RETRY_FIRST_DELAY: Duration = Duration::from_secs(1);

/// `routes.NAME.retry.max_delay`: the longest delay between attempts.
pub const RETRY_MAX_DELAY: Duration = Duration::from_secs(600);

/// `drain_timeout`: how long a stop waits for the placements in hand before it leaves them to
/// the next start.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(30);

/// `amqp.prefetch`: work items a worker holds unacknowledged at once.
pub const AMQP_PREFETCH: u16 = 8;

/// `amqp.work_queue`: the durable quorum queue of work items.
pub const AMQP_WORK_QUEUE: &str = "ketenpost.work";

/// `amqp.result_queue`: the durable quorum queue of the workers' results.
pub const AMQP_RESULT_QUEUE: &str = "ketenpost.results";

/// `amqp.events_exchange`: the topic exchange every appended event is published to.
pub const AMQP_EVENTS_EXCHANGE: &str = "ketenpost.events";

/// `amqp.delivery_limit`: deliveries of one work item before it is dead-lettered (RabbitMQ
/// 3.10 has no default and counts a requeue as a delivery).
pub const AMQP_DELIVERY_LIMIT: u32 = 10;

/// `amqp.work_timeout`: how long a work item may take before the owner publishes it again.
pub const AMQP_WORK_TIMEOUT: Duration = Duration::from_secs(120);

/// `notifications.digest_interval`: at most one digest of waiting messages per this long.
pub const DIGEST_INTERVAL: Duration = Duration::from_secs(3600);

/// Not configurable: how long a message whose work failed (the log could not be read or
/// written, or a bug) waits before it is tried again.
pub const RETRY_AFTER_WORK_FAILED: Duration = Duration::from_secs(30);

/// The embedded defaults the file and environment are merged over, as TOML: the keys every
/// configuration has.
pub fn toml() -> String {
    format!(
        "data_dir = {DATA_DIR:?}\nlog_format = {LOG_FORMAT:?}\nworkers = {WORKERS}\n\
         [api]\nlisten = {API_LISTEN:?}\n"
    )
}

/// `key_file` when left out: [`KEY_FILE_NAME`] in `data_dir`.
pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(KEY_FILE_NAME)
}

#[cfg(test)]
#[path = "defaults_tests.rs"]
mod tests;
