//! `ketenpost user add|list|disable|reset-two-factor` while `ketenpost run` holds the data
//! folder: the commands go through the daemon's admin socket and print the same lines with the
//! same exit codes as on a folder no daemon holds; the invitation goes out through a real SMTP
//! server; the socket is owner-only and goes away with the daemon. A command given while the
//! daemon holds the folder but has not opened its socket yet (it is starting) waits for it. A
//! data folder deeper than a socket's address holds has its socket all the same.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;
mod smtp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use harness::process::{free_port, signal, wait_exit, RunningDaemon};
use smtp::SmtpSink;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-running-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ketenpost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .output()
        .unwrap()
}

fn config(folder: &Path, smtp_port: u16, api_port: u16) -> String {
    let toml = format!(
        "data_dir = {:?}\n[api]\nlisten = \"127.0.0.1:{api_port}\"\ntoken = \"0123456789abcdef0123\"\n\
         [portal]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://portaal.zorggroep.example\"\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"none\"\n\
         from = \"ketenpost <noreply@zorggroep.example>\"\n",
        folder.join("data")
    );
    let path = folder.join("ketenpost.toml");
    std::fs::write(&path, toml).unwrap();
    path.to_str().unwrap().to_owned()
}

/// Exit code, stdout and stderr of each command, the link's token and time masked.
fn session(config: &str) -> Vec<(Option<i32>, String, String)> {
    let commands: &[&[&str]] = &[
        &[
            "add",
            "anna@zorggroep.example",
            "--name",
            "Anna de Vries",
            "--role",
            "beheerder",
            "--print-link",
        ],
        &[
            "add",
            "ANNA@zorggroep.example",
            "--name",
            "Anna",
            "--role",
            "beheerder",
        ],
        &[
            "add",
            "geen-adres",
            "--name",
            "X",
            "--role",
            "secretariaat",
            "--print-link",
        ],
        &["reset-two-factor", "anna@zorggroep.example"],
        &["reset-two-factor", "niemand@zorggroep.example"],
        &["disable", "Anna@Zorggroep.example"],
        &["disable", "anna@zorggroep.example"],
        &["list"],
    ];
    commands
        .iter()
        .map(|args| {
            let mut all = vec!["user"];
            all.extend_from_slice(args);
            all.extend_from_slice(&["--config", config]);
            let output = ketenpost(&all);
            let mask = |text: &[u8]| {
                String::from_utf8_lossy(text)
                    .lines()
                    .map(|l| match l.find("(valid until") {
                        Some(at) => format!("{}(link)", &l[..at]),
                        None => l.to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            (
                output.status.code(),
                mask(&output.stdout),
                mask(&output.stderr),
            )
        })
        .collect()
}

/// The standard error of a `user list` that ran as `listed`, after checking it listed the users.
fn listed_users(listed: &Output) -> String {
    let (out, err) = (
        String::from_utf8_lossy(&listed.stdout),
        String::from_utf8_lossy(&listed.stderr),
    );
    assert!(listed.status.success(), "{out}{err}");
    assert!(
        out.starts_with("EMAIL"),
        "the list, from the daemon: {out}{err}"
    );
    err.into_owned()
}

/// Stops the daemon with SIGTERM and checks it ended well and took its admin `socket` along.
fn stop_and_check_the_socket_went(daemon: &mut RunningDaemon, socket: &Path) {
    signal(&daemon.0, "-TERM");
    let status = wait_exit(&mut daemon.0, Duration::from_secs(30), "SIGTERM");
    assert!(status.success(), "{status}");
    assert!(
        !socket.exists(),
        "the admin socket went away with the daemon"
    );
}

#[test]
fn the_user_commands_go_through_the_running_daemon_with_the_same_output() {
    use std::os::unix::fs::PermissionsExt;

    // On a folder no daemon holds.
    let alone = scratch("alone");
    let alone_sink = SmtpSink::start(&alone.join("mails"));
    let expected = session(&config(&alone, alone_sink.port, 0));
    assert_eq!(expected[0].0, Some(0), "{expected:?}");
    assert_eq!(expected[1].0, Some(2), "{expected:?}");
    assert_eq!(expected[7].0, Some(0), "{expected:?}");

    // With the daemon running on the folder.
    let dir = scratch("daemon");
    let sink = SmtpSink::start(&dir.join("mails"));
    let api_port = free_port();
    let config = config(&dir, sink.port, api_port);
    let mut daemon = RunningDaemon::start(&config);
    let socket = dir.join("data").join("admin.sock");
    let until = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", api_port)).is_err() {
        assert!(Instant::now() < until, "the daemon did not start");
        assert!(daemon.0.try_wait().unwrap().is_none(), "the daemon ended");
        std::thread::sleep(Duration::from_millis(50));
    }

    let got = session(&config);
    for (n, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(g, e, "command {n} differs with the daemon running");
    }
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the admin socket is owner-only: {mode:o}");
    assert!(
        got[0]
            .1
            .contains("invitation sent to anna@zorggroep.example"),
        "{got:?}"
    );
    let mails = sink.wait_for(1);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].contains("To: anna@zorggroep.example"),
        "{}",
        mails[0]
    );
    assert!(got[7]
        .1
        .lines()
        .any(|l| l.starts_with("anna@zorggroep.example") && l.ends_with("disabled")));
    assert!(
        daemon.0.try_wait().unwrap().is_none(),
        "the daemon still runs"
    );

    stop_and_check_the_socket_went(&mut daemon, &socket);
    // Stopped again, the folder itself answers.
    let listed = ketenpost(&["user", "list", "--config", &config]);
    assert!(listed.status.success());
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim_end(), got[7].1);
    let _ = std::fs::remove_dir_all(&alone);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_user_command_given_while_the_daemon_starts_waits_for_its_socket() {
    use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};

    let dir = scratch("starting");
    let api_port = free_port();
    let config = config(&dir, free_port(), api_port);
    // The folder held as a starting daemon holds it: the store open, no admin socket yet.
    let holder = DiskEventLog::open(&LogOptions::new(&dir.join("data"))).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["user", "list", "--config", &config])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        command.try_wait().unwrap().is_none(),
        "the command gave up on a folder in use instead of waiting for the daemon"
    );
    holder.close();
    drop(holder);
    let daemon = RunningDaemon::start(&config);
    let err = listed_users(&command.wait_with_output().unwrap());
    assert!(
        err.contains("the data folder is in use; waiting up to 30 s"),
        "{err}"
    );
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_data_folder_deeper_than_a_socket_address_holds_still_answers_through_the_daemon() {
    let top = scratch("deep");
    let dir = top
        .join("een-map-met-een-naam-die-lang-genoeg-is-voor-een-socketadres-0123456789-0123456789");
    std::fs::create_dir_all(&dir).unwrap();
    let socket = dir.join("data").join("admin.sock");
    assert!(
        socket.as_os_str().len() > 108,
        "the test needs a longer path: {}",
        socket.display()
    );
    let api_port = free_port();
    let config = config(&dir, free_port(), api_port);
    let mut daemon = RunningDaemon::start(&config);
    let until = Instant::now() + Duration::from_secs(30);
    while !socket.exists() {
        assert!(
            Instant::now() < until,
            "no admin socket at {}",
            socket.display()
        );
        assert!(daemon.0.try_wait().unwrap().is_none(), "the daemon ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    let err = listed_users(&ketenpost(&["user", "list", "--config", &config]));
    assert!(!err.contains("waiting"), "answered at once: {err}");
    stop_and_check_the_socket_went(&mut daemon, &socket);
    let _ = std::fs::remove_dir_all(&top);
}
