//! The portal across a restart of the real daemon: an account locked by repeated failed
//! logins stays locked after the daemon starts again (the lock is derived from the security
//! log).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::process::{free_port, signal, wait_exit};

const EMAIL: &str = "anna@zorggroep.example";
const PASSWORD: &str = "een lange zin als wachtwoord";

/// The daemon, stopped with SIGTERM (killed if it will not).
struct Daemon(Child);

impl Daemon {
    fn start(config: &str, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
            .args(["run", "--config", config])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let daemon = Self(child);
        let until = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < until, "the portal did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        daemon
    }

    fn stop(mut self) {
        signal(&self.0, "-TERM");
        let status = wait_exit(&mut self.0, Duration::from_secs(30), "SIGTERM");
        assert!(status.success(), "{status}");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A browser that keeps its cookies and posts forms with the CSRF token and Origin.
struct Visitor {
    base: String,
    cookies: BTreeMap<String, String>,
    http: reqwest::Client,
}

impl Visitor {
    fn new(base: &str) -> Self {
        ketenpost_adapters::tls::install_crypto_provider();
        Self {
            base: base.to_owned(),
            cookies: BTreeMap::new(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn cookie_header(&self) -> String {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        pairs.join("; ")
    }

    /// The status, `Location` and body.
    async fn finish(&mut self, response: reqwest::Response) -> (u16, String, String) {
        for cookie in response.headers().get_all("set-cookie") {
            let pair = cookie.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.to_owned(), value.to_owned());
        }
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (
            response.status().as_u16(),
            location,
            response.text().await.unwrap(),
        )
    }

    async fn get(&mut self, path: &str) -> (u16, String, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
        let mut form: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let csrf = self
            .cookies
            .get("__Host-ketenpost-csrf")
            .cloned()
            .unwrap_or_default();
        form.push(("csrf".into(), csrf));
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("origin", &self.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&form))
            .send()
            .await
            .unwrap();
        self.finish(response).await
    }

    /// The password step of a login: where it leads (empty when refused).
    async fn password_step(&mut self, password: &str) -> String {
        self.get("/inloggen").await;
        let (_, location, _) = self
            .post("/inloggen", &[("email", EMAIL), ("wachtwoord", password)])
            .await;
        location
    }
}

fn form_body(fields: &[(String, String)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let pairs: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    pairs.join("&")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write_config(dir: &Path, port: u16) -> String {
    let config = dir.join("ketenpost.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[api]\nlisten = \"127.0.0.1:{}\"\ntoken = \"0123456789abcdef0123\"\n\
             [portal]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n",
            dir.join("data"),
            free_port(),
        ),
    )
    .unwrap();
    config.to_str().unwrap().to_owned()
}

/// Adds the user: the printed invitation link.
fn add_user(config: &str) -> String {
    let added = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args([
            "user",
            "add",
            EMAIL,
            "--name",
            "Anna de Vries",
            "--role",
            "beheerder",
        ])
        .args(["--print-link", "--config", config])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&added.stdout).into_owned();
    assert!(
        added.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&added.stderr)
    );
    out.lines()
        .find_map(|l| l.split(": ").nth(1).filter(|l| l.starts_with("http://")))
        .expect("the printed link")
        .to_owned()
}

/// Sets the password through the invitation link.
async fn set_password(base: &str, link: &str) {
    let path = link.strip_prefix(base).unwrap().to_owned();
    let mut visitor = Visitor::new(base);
    visitor.get(&path).await;
    let (_, location, body) = visitor
        .post(&path, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    assert_eq!(location, "/profiel/twee-factor", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_account_stays_locked_after_a_restart() {
    let dir = scratch("portal-restart");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = write_config(&dir, port);

    // The user is added before the daemon runs; the password is set through the portal.
    let link = add_user(&config);
    let daemon = Daemon::start(&config, port);
    set_password(&base, &link).await;

    let mut visitor = Visitor::new(&base);
    assert_eq!(
        visitor.password_step(PASSWORD).await,
        "/profiel/twee-factor"
    );
    for _ in 0..10 {
        visitor.password_step("een verkeerd wachtwoord").await;
    }
    assert_eq!(
        visitor.password_step(PASSWORD).await,
        "",
        "the right password got through a locked account"
    );

    daemon.stop();
    let daemon = Daemon::start(&config, port);
    let mut after = Visitor::new(&base);
    assert_eq!(
        after.password_step(PASSWORD).await,
        "",
        "the restart lifted the lock"
    );
    let (_, _, page) = after.get("/inloggen").await;
    assert!(page.contains("Inloggen"), "{page}");
    daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
