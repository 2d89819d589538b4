//! `ketenpost user add|list|disable|reset-two-factor` against a real data folder and a real
//! SMTP server: the invitation mail carries a one-time link, the log never shows who the user
//! is, and refused changes say why.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod smtp;

use std::path::Path;
use std::process::{Command, Output};

use smtp::{link_in, SmtpSink};

/// A fresh folder for one test, removed afterwards.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ketenpost-users-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ketenpost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .output()
        .expect("run ketenpost")
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A configuration with `[portal]` and, when given, `[smtp]` at `port`.
fn config(folder: &Path, smtp_port: Option<u16>) -> String {
    let mut toml = format!(
        "data_dir = {:?}\n[api]\nlisten = \"127.0.0.1:0\"\ntoken = \"0123456789abcdef0123\"\n\
         [portal]\nlisten = \"127.0.0.1:0\"\npublic_url = \"https://portaal.zorggroep.example/\"\n",
        folder.join("data")
    );
    if let Some(port) = smtp_port {
        toml.push_str(&format!(
            "[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"none\"\n\
             from = \"ketenpost <noreply@zorggroep.example>\"\n"
        ));
    }
    let path = folder.join("ketenpost.toml");
    std::fs::write(&path, toml).expect("write config");
    path.to_str().expect("utf-8 path").to_owned()
}

#[test]
fn adding_a_user_mails_a_one_time_link_and_the_log_names_no_one() {
    let dir = Scratch::new("invite");
    let sink = SmtpSink::start(&dir.path().join("mails"));
    let config = config(dir.path(), Some(sink.port));

    let added = ketenpost(&[
        "user",
        "add",
        "Anna@Zorggroep.example",
        "--name",
        "Anna de Vries",
        "--role",
        "beheerder",
        "--print-link",
        "--config",
        &config,
    ]);
    let (out, err) = text(&added);
    assert!(added.status.success(), "{out}{err}");
    let printed = out
        .lines()
        .find_map(|l| l.split(": ").nth(1).filter(|l| l.starts_with("https://")))
        .expect("the printed link")
        .to_owned();

    let mails = sink.wait_for(1);
    assert_eq!(mails.len(), 1, "one invitation");
    let mail = &mails[0];
    assert!(mail.contains("To: Anna@Zorggroep.example"), "{mail}");
    assert!(mail.contains("Subject: Uitnodiging voor het ketenpost-portaal"));
    assert!(mail.contains("Beste Anna de Vries"));
    let link = link_in(mail);
    assert_eq!(
        link, printed,
        "the mail and --print-link give the same link"
    );
    let path = link
        .strip_prefix("https://portaal.zorggroep.example/wachtwoord/user-")
        .expect("a link under public_url, without a doubled slash");
    let token = path.rsplit('/').next().expect("token");
    assert!(token.len() >= 22, "at least 128 bits: {token}");

    // Neither the address, the name nor the token is in the log's plain text.
    let events = ketenpost(&["events", "--config", &config]);
    let (log, _) = text(&events);
    assert!(events.status.success());
    assert!(
        log.contains("UserAdded") && log.contains("PasswordLinkIssued"),
        "{log}"
    );
    for secret in ["anna", "Anna", "Vries", "zorggroep", token] {
        assert!(!log.contains(secret), "{secret} in the event log: {log}");
    }

    let listed = ketenpost(&["user", "list", "--config", &config]);
    let (out, _) = text(&listed);
    assert!(
        out.lines().any(|l| l.starts_with("anna@zorggroep.example")
            && l.contains("Anna de Vries")
            && l.contains("beheerder")
            && l.ends_with("invited")),
        "{out}"
    );
}

#[test]
fn the_same_address_in_another_case_is_refused_and_gets_no_mail() {
    let dir = Scratch::new("case");
    let sink = SmtpSink::start(&dir.path().join("mails"));
    let config = config(dir.path(), Some(sink.port));
    let add = |email: &str| {
        ketenpost(&[
            "user",
            "add",
            email,
            "--name",
            "Bert",
            "--role",
            "secretariaat",
            "--config",
            &config,
        ])
    };
    assert!(add("bert@zorggroep.example").status.success());
    let again = add(" BERT@zorggroep.example");
    let (_, err) = text(&again);
    assert_eq!(again.status.code(), Some(2), "{err}");
    assert!(err.contains("exists already"), "{err}");
    assert_eq!(sink.wait_for(1).len(), 1);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.mails().len(), 1, "no second invitation");
}

#[test]
fn without_smtp_a_user_is_added_only_with_print_link() {
    let dir = Scratch::new("nosmtp");
    let config = config(dir.path(), None);
    let args = [
        "user",
        "add",
        "cor@zorggroep.example",
        "--name",
        "Cor",
        "--role",
        "servicedesk",
        "--config",
        &config,
    ];
    let refused = ketenpost(&args);
    let (_, err) = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(err.contains("--print-link"), "{err}");
    let mut with_link = args.to_vec();
    with_link.push("--print-link");
    let added = ketenpost(&with_link);
    let (out, err) = text(&added);
    assert!(added.status.success(), "{err}");
    assert!(
        out.contains("https://portaal.zorggroep.example/wachtwoord/user-"),
        "{out}"
    );
}

#[test]
fn disable_and_reset_two_factor_change_the_user_and_refuse_what_cannot_be() {
    let dir = Scratch::new("change");
    let config = config(dir.path(), None);
    let added = ketenpost(&[
        "user",
        "add",
        "dirk@zorggroep.example",
        "--name",
        "Dirk",
        "--role",
        "beheerder",
        "--print-link",
        "--config",
        &config,
    ]);
    assert!(added.status.success());
    let run =
        |command: &str, email: &str| ketenpost(&["user", command, email, "--config", &config]);

    let reset = run("reset-two-factor", "dirk@zorggroep.example");
    assert!(reset.status.success(), "{:?}", text(&reset));
    let unknown = run("reset-two-factor", "nobody@zorggroep.example");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown)
        .1
        .contains("no user with this e-mail address"));

    assert!(run("disable", "Dirk@Zorggroep.example").status.success());
    let twice = run("disable", "dirk@zorggroep.example");
    assert_eq!(twice.status.code(), Some(2));
    assert!(text(&twice).1.contains("disabled already"));

    let (out, _) = text(&ketenpost(&["user", "list", "--config", &config]));
    assert!(
        out.lines()
            .any(|l| l.starts_with("dirk@zorggroep.example") && l.ends_with("disabled")),
        "{out}"
    );
    let (log, _) = text(&ketenpost(&["events", "--config", &config]));
    assert!(
        log.contains("two-factor reset by cli") && log.contains("disabled by cli"),
        "{log}"
    );
}

#[test]
fn plain_smtp_to_another_machine_is_a_configuration_problem() {
    let dir = Scratch::new("plain");
    let config = config(dir.path(), Some(25));
    let text_now = std::fs::read_to_string(&config).expect("read");
    std::fs::write(
        &config,
        text_now.replace("host = \"127.0.0.1\"", "host = \"smtp.zorggroep.example\""),
    )
    .expect("write");
    let added = ketenpost(&[
        "user",
        "add",
        "eva@zorggroep.example",
        "--name",
        "Eva",
        "--role",
        "beheerder",
        "--config",
        &config,
    ]);
    let (_, err) = text(&added);
    assert_eq!(added.status.code(), Some(1), "{err}");
    assert!(err.contains("smtp.security = \"none\""), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing was created");
}
