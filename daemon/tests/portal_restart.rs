//! The portal across a restart of the real daemon: an account locked by repeated failed
//! logins stays locked after the daemon starts again (the lock is derived from the security
//! log).

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod portal_http;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use harness::process::{free_port, signal, wait_exit};
use portal_http::{Browser, PASSWORD};

const EMAIL: &str = "anna@zorggroep.example";

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

/// The password step of a login: where it leads (empty when refused).
async fn password_step(browser: &mut Browser, password: &str) -> String {
    browser.get("/inloggen").await;
    browser
        .post("/inloggen", &[("email", EMAIL), ("wachtwoord", password)])
        .await
        .location
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
    let mut browser = Browser::at(base);
    browser.get(&path).await;
    let set = browser
        .post(&path, &[("wachtwoord", PASSWORD), ("herhaal", PASSWORD)])
        .await;
    assert_eq!(set.location, "/profiel/twee-factor", "{}", set.body);
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

    let mut browser = Browser::at(&base);
    assert_eq!(
        password_step(&mut browser, PASSWORD).await,
        "/profiel/twee-factor"
    );
    for _ in 0..10 {
        password_step(&mut browser, "een verkeerd wachtwoord").await;
    }
    assert_eq!(
        password_step(&mut browser, PASSWORD).await,
        "",
        "the right password got through a locked account"
    );

    daemon.stop();
    let daemon = Daemon::start(&config, port);
    let mut after = Browser::at(&base);
    assert_eq!(
        password_step(&mut after, PASSWORD).await,
        "",
        "the restart lifted the lock"
    );
    let page = after.get("/inloggen").await;
    assert!(page.body.contains("Inloggen"), "{}", page.body);
    daemon.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
