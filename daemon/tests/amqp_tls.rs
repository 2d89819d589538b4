//! The broker over TLS: an `amqps://` URL, sealed in the configuration, with `[amqp] ca_cert`
//! naming the test's own CA. The broker (the one the other amqp tests use) gets a TLS listener
//! on a free port for this test (`rabbitmqctl eval`, with a certificate the test makes), next
//! to its plain one. The owner and a worker place every message over it; a worker that does
//! not trust the CA does not connect; the URL (its password) is in no log line.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod amqp_support;
mod harness;

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use amqp_support::{
    api_up, assert_each_once, require_broker, wait_all_decided, Cluster, TestQueues,
};
use harness::process::free_port;
use harness::{letter, wait_until, Harness, ACCOUNT, GP, KNOWN};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

/// A TLS listener of the broker and a user of the test's own, removed when dropped.
struct TlsBroker {
    port: u16,
    user: String,
    password: String,
    ca: PathBuf,
}

impl Drop for TlsBroker {
    fn drop(&mut self) {
        let _ = eval(&format!(
            "rabbit_networking:stop_tcp_listener({}).",
            self.port
        ));
        let _ = Command::new("rabbitmqctl")
            .args(["-q", "delete_user", &self.user])
            .status();
    }
}

fn eval(expression: &str) -> String {
    let output = Command::new("rabbitmqctl")
        .args(["-q", "eval", expression])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "rabbitmqctl eval {expression}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn rabbitmqctl(args: &[&str]) {
    let output = Command::new("rabbitmqctl").args(args).output().unwrap();
    assert!(output.status.success(), "rabbitmqctl {}", args[0]);
}

/// Writes `text` to `path`, readable by the broker's own user.
fn write_readable(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// A test CA and a certificate for 127.0.0.1 signed by it, in `dir`; the broker listens with
/// them on a free port, and a user of the test's own may use the default virtual host.
fn tls_broker(dir: &Path) -> TlsBroker {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ketenpost amqp test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let cert = params.signed_by(&key, &issuer).unwrap();
    let ca = dir.join("ca.pem");
    write_readable(&ca, &ca_cert.pem());
    write_readable(&dir.join("cert.pem"), &cert.pem());
    write_readable(&dir.join("key.pem"), &key.serialize_pem());

    let port = free_port();
    let user = format!("ketenpost-tls-{}", std::process::id());
    let password = format!("pw-{}-not-in-any-log", uuid::Uuid::now_v7().simple());
    let broker = TlsBroker {
        port,
        user: user.clone(),
        password: password.clone(),
        ca,
    };
    let options = format!(
        "[{{cacertfile, \"{d}/ca.pem\"}}, {{certfile, \"{d}/cert.pem\"}}, \
         {{keyfile, \"{d}/key.pem\"}}, {{verify, verify_none}}, {{fail_if_no_peer_cert, false}}]",
        d = dir.display()
    );
    let started = eval(&format!(
        "application:ensure_all_started(ssl), \
         rabbit_networking:start_ssl_listener({port}, {options}, 1)."
    ));
    assert!(started.contains("ok"), "the TLS listener: {started}");
    rabbitmqctl(&["-q", "add_user", &user, &password]);
    rabbitmqctl(&["-q", "set_permissions", "-p", "/", &user, ".*", ".*", ".*"]);
    broker
}

/// `ketenpost seal --config` of `secret`.
fn seal(h: &Harness, secret: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["seal", "--config"])
        .arg(&h.config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{secret}").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// A `ketenpost` process at the level `debug`, its log lines to `log`.
fn spawn_debug(h: &Harness, args: &[&str], config: &Path, log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env("RUST_LOG", "debug")
        .env("KETENPOST_LOG_FORMAT", "json")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(h.dir.join(log)).unwrap())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owner_and_worker_work_over_tls_with_a_sealed_url() {
    require_broker();
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("amqp-tls", port, 3).await;
    let broker = tls_broker(&h.dir.join("broker-tls"));
    let url = format!(
        "amqps://{}:{}@127.0.0.1:{}/%2f",
        broker.user, broker.password, broker.port
    );
    // The data key is made by the first command that needs it (`seal`), in the data folder.
    std::fs::create_dir_all(h.data()).unwrap();
    let sealed = seal(&h, &url);
    assert!(sealed.starts_with("sealed:v1:"), "{sealed}");
    let test_queues = TestQueues::new("tls");
    let queues = test_queues.config_keys();
    let plain = h.edit_config(|text| text);
    // A worker that does not trust the test CA: the system's authorities only.
    let untrusting = h.dir.join("untrusting.toml");
    std::fs::write(
        &untrusting,
        format!("{plain}\n[amqp]\nurl = \"{sealed}\"\n{queues}"),
    )
    .unwrap();
    h.edit_config(|text| {
        format!(
            "{text}\n[amqp]\nurl = \"{sealed}\"\nca_cert = \"{}\"\n{queues}",
            broker.ca.display()
        )
    });

    let address = format!("127.0.0.1:{port}");
    h.ons.add_client(KNOWN, "Jan", "Wolf", "1988-06-21");
    let total: i64 = 30;
    for n in 0..total {
        h.zorgmail
            .add_message(ACCOUNT, GP, letter(GP, KNOWN, &format!("T{n}")));
    }
    let mut stranger = Cluster {
        owner: None,
        workers: vec![spawn_debug(
            &h,
            &["worker"],
            &untrusting,
            "worker-untrusting.log",
        )],
    };
    let cluster = Cluster {
        owner: Some(spawn_debug(&h, &["run"], &h.config, "owner.log")),
        workers: vec![spawn_debug(&h, &["worker"], &h.config, "worker-0.log")],
    };
    api_up(&address).await;
    wait_all_decided(&address, total, Duration::from_secs(180)).await;
    cluster.stop();
    assert_eq!(assert_each_once(&h, total as usize) as i64, total);

    // The worker without the CA never connected: it says why, and took no work.
    let untrusting_log = h.dir.join("worker-untrusting.log");
    wait_until(
        "the untrusting worker's reason",
        Duration::from_secs(30),
        || async {
            std::fs::read_to_string(&untrusting_log)
                .unwrap_or_default()
                .contains("certificate")
        },
    )
    .await;
    for child in &mut stranger.workers {
        let _ = child.kill();
    }
    let stranger_log = std::fs::read_to_string(&untrusting_log).unwrap();
    assert!(
        stranger_log.contains("UnknownIssuer") || stranger_log.contains("unknown issuer"),
        "{stranger_log}"
    );
    assert!(
        !stranger_log.contains("connected to the broker"),
        "{stranger_log}"
    );

    // The URL holds the password: no log line shows it, nor the user's name with it.
    for log in ["owner.log", "worker-0.log", "worker-untrusting.log"] {
        let text = std::fs::read_to_string(h.dir.join(log)).unwrap();
        assert!(!text.is_empty(), "{log} is empty");
        assert!(
            !text.contains(&broker.password),
            "{log} shows the broker's password"
        );
        assert!(!text.contains("amqps://"), "{log} shows the URL");
    }
}
