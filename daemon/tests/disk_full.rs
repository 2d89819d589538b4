//! A full disk under the running daemon, on a small loop-mounted ext4 filesystem: the daemon
//! stops with a clear error and a non-zero exit (for systemd's `Restart=on-failure`) instead of
//! retrieving the same messages again and again, and once space is freed and it is started
//! again every message is recorded exactly once and placed once.
//!
//! Mounting needs root (CI runs as root). Elsewhere the test says so and does nothing, unless
//! `CI` is set: there it fails, so CI cannot silently lose it.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod harness;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use harness::process::{free_port, wait_exit};
use harness::{letter, wait_for_processed, wait_until, Harness, ACCOUNT, GP};

/// A loop-mounted ext4 filesystem, unmounted when dropped.
struct LoopMount {
    point: PathBuf,
}

impl LoopMount {
    /// Mounts a new `megabytes` filesystem at `dir/mnt`; `None` (after saying why) where that
    /// is impossible and not required.
    fn new(dir: &Path, megabytes: u32) -> Option<Self> {
        let skip = |why: String| {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must run this test as root with loop devices: {why}"
            );
            eprintln!("SKIPPED disk-full test: {why}");
            None
        };
        if !rustix::process::geteuid().is_root() {
            return skip("not root, so no filesystem can be mounted".into());
        }
        let image = dir.join("fs.img");
        let point = dir.join("mnt");
        std::fs::create_dir_all(&point).unwrap();
        let size = format!("{megabytes}M");
        let steps: [(&str, Vec<&std::ffi::OsStr>); 3] = [
            (
                "truncate",
                vec!["-s".as_ref(), size.as_ref(), image.as_ref()],
            ),
            (
                "mkfs.ext4",
                vec![
                    "-q".as_ref(),
                    "-F".as_ref(),
                    "-m".as_ref(),
                    "0".as_ref(),
                    image.as_ref(),
                ],
            ),
            (
                "mount",
                vec![
                    "-o".as_ref(),
                    "loop".as_ref(),
                    image.as_ref(),
                    point.as_ref(),
                ],
            ),
        ];
        for (program, args) in steps {
            match Command::new(program).args(&args).output() {
                Ok(output) if output.status.success() => {}
                Ok(output) => {
                    return skip(format!(
                        "{program} failed: {}",
                        String::from_utf8_lossy(&output.stderr).trim()
                    ))
                }
                Err(e) => return skip(format!("{program} cannot run: {e}")),
            }
        }
        Some(Self { point })
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.point).status();
    }
}

/// Fills the filesystem of `folder` to the last byte; returns the file that does it.
fn fill(folder: &Path) -> PathBuf {
    let path = folder.join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    for block in [1 << 20, 4096, 1] {
        let bytes = vec![0xA5u8; block];
        while file.write_all(&bytes).is_ok() {}
    }
    let _ = file.sync_all();
    path
}

fn start_daemon(h: &Harness, log: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["run", "--config"])
        .arg(&h.config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap()
}

async fn ready(address: &str) {
    wait_until("the daemon is ready", Duration::from_secs(60), || async {
        reqwest::get(format!("http://{address}/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
    })
    .await;
}

/// A letter of about 24 KiB, so that a few of them need new space on the disk.
fn long_letter(n: usize) -> String {
    let text: String = (0..300)
        .map(|line| format!("TXT:{line}+Regel {line} van brief {n}, met wat tekst erbij.'\n"))
        .collect();
    letter(GP, "999990019", &format!("IC{n:05}")).replacen("TXT:", &format!("{text}TXT:"), 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_stops_the_daemon_clearly_and_a_restart_records_everything_once() {
    ketenpost_adapters::tls::install_crypto_provider();
    let port = free_port();
    let h = Harness::start("disk-full", port, 3).await;
    let Some(mount) = LoopMount::new(&h.dir, 40) else {
        return;
    };
    let data = mount.point.join("data");
    h.edit_config(|text| {
        text.replace(&h.data().display().to_string(), &data.display().to_string())
    });
    h.ons.add_client("999990019", "Jan", "Wolf", "1988-06-21");
    let address = format!("127.0.0.1:{port}");
    let log = h.dir.join("daemon-1.log");
    let mut daemon = start_daemon(&h, &log);
    ready(&address).await;

    let filler = fill(&mount.point);
    let total = 300;
    let ids: Vec<String> = (0..total)
        .map(|n| h.zorgmail.add_message(ACCOUNT, GP, long_letter(n)))
        .collect();
    let status = wait_exit(
        &mut daemon,
        Duration::from_secs(120),
        "the daemon went on running on a full disk",
    );
    let said = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "exit 0 on a full disk: {said}");
    let last = said
        .lines()
        .rfind(|l| l.starts_with("ketenpost: "))
        .unwrap_or_default();
    assert!(
        last.contains("the event log failed") && last.contains("No space left on device"),
        "no clear error: {said}"
    );
    let retrieved = h.zorgmail.retrieve_count();
    eprintln!("{retrieved} Retrieves for {total} messages on the full disk");
    assert!(
        retrieved <= total as u64,
        "{retrieved} Retrieves for {total} messages: what could not be recorded was retrieved again"
    );
    assert!(
        !h.zorgmail.remaining().is_empty(),
        "nothing stayed in the mailbox"
    );

    // Space again: a restart takes in everything, once.
    std::fs::remove_file(filler).unwrap();
    let log = h.dir.join("daemon-2.log");
    let mut daemon = start_daemon(&h, &log);
    ready(&address).await;
    wait_for_processed(
        &address,
        i64::try_from(total).unwrap(),
        Duration::from_secs(180),
    )
    .await;
    assert!(h.zorgmail.remaining().is_empty());
    Command::new("kill")
        .arg(daemon.id().to_string())
        .status()
        .unwrap();
    let status = wait_exit(
        &mut daemon,
        Duration::from_secs(60),
        "no exit after SIGTERM",
    );
    assert!(status.success(), "{status:?}");

    let events = Command::new(env!("CARGO_BIN_EXE_ketenpost"))
        .args(["events", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(events.status.success(), "{events:?}");
    let mut received: BTreeMap<String, usize> = BTreeMap::new();
    for line in String::from_utf8_lossy(&events.stdout).lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["type"] == "MessageReceived" {
            let summary = event["summary"].as_str().unwrap();
            let id = summary
                .split("remote id ")
                .nth(1)
                .unwrap()
                .split(')')
                .next()
                .unwrap();
            *received.entry(id.to_owned()).or_default() += 1;
        }
    }
    for id in &ids {
        assert_eq!(received.get(id), Some(&1), "message {id} recorded once");
    }
    assert_eq!(h.ons.documents().len(), total, "each letter placed once");
    drop(mount);
    let _ = std::fs::remove_dir_all(&h.dir);
}
