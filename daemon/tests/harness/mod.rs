//! Shared set-up for the daemon tests: both stand-ins on loopback ports, a data folder and a
//! configuration file pointing at them.

#![allow(dead_code, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ketenpost_fixtures::ons::{OnsConfig, OnsStandIn};
use ketenpost_fixtures::zorgmail::{ZorgMailConfig, ZorgMailStandIn};
use serde_json::Value;

pub mod process;

pub const ACCOUNT: &str = "500098765";
pub const LAB: &str = "500011111";
pub const GP: &str = "500012345";
pub const TOKEN: &str = "test-token-0123456789abcdef";
/// A BSN the stand-in record system knows once a test adds its client.
pub const KNOWN: &str = "999990019";

pub struct Harness {
    pub dir: PathBuf,
    pub zorgmail: ZorgMailStandIn,
    pub ons: OnsStandIn,
    pub config: PathBuf,
    pub drop_folder: PathBuf,
}

/// A failing test shows the end of each process log in its folder (`owner.log`,
/// `worker-0.log`, ...): the daemon's own word on why what the test waited for did not come.
/// The logs are the daemon's, so they hold no BSN, name or letter text.
impl Drop for Harness {
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_log_tails(&self.dir, LOG_TAIL_LINES);
        }
    }
}

/// How many of a log's last lines a failing test shows.
const LOG_TAIL_LINES: usize = 12;

fn print_log_tails(dir: &Path, lines: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut logs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "log"))
        .collect();
    logs.sort();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        let tail = &all[all.len().saturating_sub(lines)..];
        eprintln!("--- the last {} lines of {}:", tail.len(), log.display());
        for line in tail {
            eprintln!("{line}");
        }
    }
}

pub fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/messages")
        .join(name);
    String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
}

/// A MEDVRI letter from `sender` about the client with `bsn`, with its own interchange ref.
pub fn letter(sender: &str, bsn: &str, reference: &str) -> String {
    fixture("medvri_lf.edi")
        .replace("+500012345+", &format!("+{sender}+"))
        .replace("BSN999990019", &format!("BSN{bsn}"))
        .replace("IC1001", reference)
}

impl Harness {
    pub async fn start(name: &str, api_port: u16, attempts: u32) -> Self {
        Self::start_with(name, api_port, attempts, false).await
    }

    /// As [`Harness::start`], with the ZorgMail stand-in serving https with a certificate of
    /// the Ons stand-in's test CA, which the mailbox's `ca_cert` names.
    pub async fn start_https(name: &str) -> Self {
        Self::start_with(name, 0, 2, true).await
    }

    async fn start_with(name: &str, api_port: u16, attempts: u32, https: bool) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ketenpost-daemon-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let ons = OnsStandIn::start(OnsConfig::default()).await.unwrap();
        let files = ons.pki().write_client_files(&dir.join("certs")).unwrap();
        let mut zorgmail_config = ZorgMailConfig::new(ACCOUNT, "ketenpost", "secret-pw");
        let mut mailbox_ca = String::new();
        if https {
            zorgmail_config = zorgmail_config.https(ons.pki().clone());
            mailbox_ca = format!("ca_cert = \"{}\"", files.ca_cert.display());
        }
        let zorgmail = ZorgMailStandIn::start(zorgmail_config).await.unwrap();
        let drop_folder = dir.join("drop");
        std::fs::create_dir_all(&drop_folder).unwrap();
        let config = dir.join("ketenpost.toml");
        std::fs::write(
            &config,
            format!(
                r#"
data_dir = "{data}"
workers = 16
[api]
listen = "127.0.0.1:{api_port}"
token = "{TOKEN}"
[[mailboxes]]
name = "lab-noordwest"
kind = "zorgmail"
endpoint = "{endpoint}"
account_id = "{ACCOUNT}"
username = "ketenpost"
password = "secret-pw"
poll_interval = "100ms"
route = "ons"
{mailbox_ca}
[[mailboxes]]
name = "drop"
kind = "folder"
path = "{drop}"
poll_interval = "100ms"
route = "ons"
[record_systems.ons]
kind = "nedap_ons"
base_url = "{ons}"
client_cert = "{cert}"
client_key = "{key}"
ca_cert = "{ca}"
employee_object_id = "4711"
user_name = "Ketenverkeer"
active_identity = "ketenpost"
timeout = "5s"
[routes.ons]
record_system = "ons"
medvri_pdf_senders = ["{GP}"]
place_incoming_pdf = true
retry = {{ attempts = {attempts}, first_delay = "50ms", max_delay = "200ms" }}
[routes.ons.types.MEDVRI]
labels = ["brief"]
actions = ["SOG", "Secretariaat"]
right_selection = "Group"
expertise_groups = ["12"]
[routes.ons.types.MEDLAB]
labels = ["labuitslag"]
actions = ["SOG"]
right_selection = "Group"
expertise_groups = ["12"]
"#,
                data = dir.join("data").display(),
                endpoint = zorgmail.endpoint_url(),
                drop = drop_folder.display(),
                ons = ons.base_url(),
                cert = files.client_cert.display(),
                key = files.client_key.display(),
                ca = files.ca_cert.display(),
            ),
        )
        .unwrap();
        Self {
            dir,
            zorgmail,
            ons,
            config,
            drop_folder,
        }
    }

    /// Rewrites the configuration file with `edit`; returns the new text.
    pub fn edit_config(&self, edit: impl FnOnce(String) -> String) -> String {
        let text = edit(std::fs::read_to_string(&self.config).unwrap());
        std::fs::write(&self.config, &text).unwrap();
        text
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `ketenpost events --data` on this harness's data folder, as parsed JSON lines.
    pub fn events(&self) -> Vec<Value> {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args(["events", "--data"])
            .arg(self.data())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// GETs an API path with the token.
pub async fn get(address: &str, path: &str) -> (u16, Value) {
    call(address, reqwest::Method::GET, path, Some(TOKEN)).await
}

pub async fn call(
    address: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
) -> (u16, Value) {
    ketenpost_adapters::tls::install_crypto_provider();
    let mut request = reqwest::Client::new().request(method, format!("http://{address}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let text = answer.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Waits until `check` holds, or panics with `what` after `limit`.
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A message's detail from the API.
pub async fn message(address: &str, id: &str) -> Value {
    get(address, &format!("/api/v1/messages/{id}")).await.1
}

/// Waits until the message `id` is in `category`, or panics with `what` after 20 s.
pub async fn wait_for_category(address: &str, id: &str, category: &str, what: &str) {
    wait_until(what, Duration::from_secs(20), || async {
        message(address, id).await["category"] == category
    })
    .await;
}

/// The problem the API shows for `mailbox`, while it lasts.
pub async fn mailbox_problem(address: &str, mailbox: &str) -> Option<String> {
    let (_, body) = get(address, "/api/v1/counts").await;
    body["mailboxes"][mailbox]["problem"]
        .as_str()
        .map(str::to_owned)
}

/// Waits until `mailbox`'s problem contains `text` (any case), or panics after `limit`.
pub async fn wait_for_mailbox_problem(address: &str, mailbox: &str, text: &str, limit: Duration) {
    let what = format!("mailbox {mailbox} shows a problem with {text:?}");
    wait_until(&what, limit, || async {
        mailbox_problem(address, mailbox)
            .await
            .is_some_and(|p| p.to_lowercase().contains(&text.to_lowercase()))
    })
    .await;
}

/// Waits until `processed` messages are counted as processed.
pub async fn wait_for_processed(address: &str, processed: i64, limit: Duration) {
    let what = format!("{processed} processed");
    wait_until(&what, limit, || async {
        counts(address).await["processed"] == processed
    })
    .await;
}

/// The counts per category from the API.
pub async fn counts(address: &str) -> Value {
    get(address, "/api/v1/counts").await.1["counts"].clone()
}

impl Harness {
    /// Starts the daemon in-process with this harness's configuration; returns it and the API
    /// address.
    pub async fn start_daemon(&self) -> (ketenpost::service::Running, String) {
        let settings = ketenpost::config::load(Some(&self.config)).unwrap();
        let running = ketenpost::service::start(settings).await.unwrap();
        let address = running.api_address.to_string();
        (running, address)
    }
}

/// The event types of a message's timeline (`show --json` or the API's detail), in order.
pub fn timeline_types(detail: &Value) -> Vec<String> {
    detail["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

/// The messages listed in a category.
pub async fn message_in(address: &str, category: &str) -> Vec<Value> {
    let (status, page) = get(address, &format!("/api/v1/messages?category={category}")).await;
    assert_eq!(status, 200, "{page}");
    page["messages"].as_array().cloned().unwrap_or_default()
}

/// The stream ids of the messages listed in a category.
pub async fn ids_in(address: &str, category: &str) -> Vec<String> {
    message_in(address, category)
        .await
        .iter()
        .map(|m| m["stream"].as_str().unwrap().to_owned())
        .collect()
}
