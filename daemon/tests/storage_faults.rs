//! A damaged data folder as every command and the daemon see it: an entry damaged in the middle
//! of the log, a head marker that is missing, cut short or does not match its checksum (and
//! `repair-head` to accept the log on purpose), the store's files damaged, and the modes of what
//! ketenpost creates under umask 022.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;
mod harness;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use binary::copy_dir;
use harness::{letter, Harness, GP};

const BIN: &str = env!("CARGO_BIN_EXE_ketenpost");

/// A fresh, empty folder of this test.
fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ketenpost-faults-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ketenpost(args: &[&str], data: &Path) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

/// Imports `files` letters (one commit, so one or more chunks, each); returns the message ids.
fn import_letters(work: &Path, data: &Path, files: usize) -> Vec<String> {
    let inputs = work.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    let mut args = vec!["import".to_owned()];
    for n in 0..files {
        let path = inputs.join(format!("letter-{n:03}.edi"));
        std::fs::write(&path, letter(GP, "999990019", &format!("IC{n:04}"))).unwrap();
        args.push(path.display().to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = ketenpost(&args, data);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect()
}

/// The one line a refusing command prints; fails the test on anything else.
fn refusal(output: &Output, what: &str) -> String {
    refusal_after(output, what, 0)
}

/// The last line a refusing process prints after `before` lines of its own (the daemon, which
/// verifies its log once started, says where its API listens first); fails the test on
/// anything else.
fn refusal_after(output: &Output, what: &str, before: usize) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "{what} exited 0 on a damaged folder: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{what}: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(
        lines.len() == before + 1 && lines.iter().all(|l| l.starts_with("ketenpost: ")),
        "{what}: not one clear line: {stderr}"
    );
    lines[before].to_owned()
}

/// Every command that opens the data folder refuses it with the same line; returns it.
fn every_command_refuses(data: &Path, message: &str) -> String {
    let commands: [&[&str]; 6] = [
        &["status"],
        &["status", "--json"],
        &["events"],
        &["replay"],
        &["list", "awaiting_delivery"],
        &["show", message],
    ];
    let mut lines = Vec::new();
    for command in commands {
        lines.push((
            command,
            refusal(&ketenpost(command, data), &command.join(" ")),
        ));
    }
    let first = lines[0].1.clone();
    for (command, line) in &lines {
        assert_eq!(line, &first, "`{}` refuses differently", command.join(" "));
    }
    first
}

/// The daemon on `data` exits non-zero (once its verification of the log finds the damage);
/// returns its last `ketenpost: ` line.
fn daemon_refuses(h: &Harness, data: &Path) -> String {
    h.edit_config(|text| {
        let from = text.find("data_dir = ").unwrap();
        let to = from + text[from..].find('\n').unwrap();
        format!(
            "{}data_dir = \"{}\"{}",
            &text[..from],
            data.display(),
            &text[to..]
        )
    });
    let mut child = Command::new(BIN)
        .args(["run", "--config"])
        .arg(&h.config)
        .env("RUST_LOG", "off")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the daemon kept running on a damaged data folder");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let output = Output { status, ..output };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let started = usize::from(stderr.starts_with("ketenpost: API at "));
    refusal_after(&output, "the daemon", started)
}

/// Flips a byte near the end of the chunk in the middle of the log (the store itself sees
/// nothing wrong: the damage is inside a value it stores).
fn damage_a_chunk_in_the_middle(data: &Path) {
    let db = fjall::Database::builder(data.join("store")).open().unwrap();
    let log = db
        .keyspace("log", fjall::KeyspaceCreateOptions::default)
        .unwrap();
    let keys: Vec<_> = log.iter().map(|entry| entry.key().unwrap()).collect();
    assert!(keys.len() > 4, "only {} chunks", keys.len());
    let key = &keys[keys.len() / 2];
    let mut value = log.get(key).unwrap().unwrap().to_vec();
    let at = value.len() - 3;
    value[at] ^= 0x5A;
    log.insert(key.clone(), value).unwrap();
    db.persist(fjall::PersistMode::SyncAll).unwrap();
}

/// The files of the store of `data`, with how many of their bytes are written (a journal is
/// made at its full size and filled from the start).
fn store_files(data: &Path) -> Vec<(PathBuf, usize)> {
    let mut files = Vec::new();
    let mut folders = vec![data.join("store")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let written = bytes.iter().rposition(|&b| b != 0).map_or(0, |at| at + 1);
                files.push((path, written));
            }
        }
    }
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_entry_mid_log_is_refused_alike_by_every_command_and_the_daemon() {
    let work = work_dir("mid-log");
    let data = work.join("data");
    let mut messages = Vec::new();
    // Separate imports, so the log holds many chunks.
    for round in 0..8 {
        messages.extend(import_letters(&work.join(format!("r{round}")), &data, 6));
    }
    damage_a_chunk_in_the_middle(&data);
    let line = every_command_refuses(&data, &messages[0]);
    assert!(
        line.contains("is damaged") && line.contains("restore the data folder from a backup"),
        "{line}"
    );
    let h = Harness::start("mid-log", 0, 2).await;
    assert_eq!(daemon_refuses(&h, &data), line, "the daemon refuses alike");
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_dir_all(&h.dir);
}

#[test]
fn a_missing_or_damaged_head_marker_is_refused_until_repair_head_accepts_the_log() {
    let work = work_dir("head");
    let base = work.join("base");
    let messages = import_letters(&work, &base, 12);
    let events = ketenpost(&["events"], &base).stdout;
    type Spoil = fn(&Path);
    let damages: [(&str, Spoil); 4] = [
        ("missing", |marker| std::fs::remove_file(marker).unwrap()),
        ("cut short", |marker| {
            let bytes = std::fs::read(marker).unwrap();
            std::fs::write(marker, &bytes[..5]).unwrap();
        }),
        ("bad checksum", |marker| {
            let mut bytes = std::fs::read(marker).unwrap();
            bytes[7] ^= 1;
            std::fs::write(marker, bytes).unwrap();
        }),
        ("empty", |marker| std::fs::write(marker, b"").unwrap()),
    ];
    for (name, spoil) in damages {
        let data = work.join(name.replace(' ', "-"));
        copy_dir(&base, &data);
        spoil(&data.join("log.head"));
        let line = every_command_refuses(&data, &messages[0]);
        assert!(
            line.contains("log.head") && line.contains("ketenpost repair-head"),
            "{name}: {line}"
        );
        let repaired = ketenpost(&["repair-head"], &data);
        assert!(repaired.status.success(), "{name}: {repaired:?}");
        assert_eq!(ketenpost(&["events"], &data).stdout, events, "{name}");
    }

    // The damage that cost 296 events: the store loses the log (its journal is gone) and
    // the marker is gone too.
    let data = work.join("both");
    copy_dir(&base, &data);
    for (file, _) in store_files(&data) {
        if file.extension().is_some_and(|e| e == "jnl") {
            std::fs::remove_file(file).unwrap();
        }
    }
    std::fs::remove_file(data.join("log.head")).unwrap();
    let line = every_command_refuses(&data, &messages[0]);
    assert!(line.contains("log.head"), "{line}");
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn damaged_store_files_give_one_clear_line_without_a_backtrace() {
    let work = work_dir("store-files");
    let base = work.join("base");
    let messages = import_letters(&work, &base, 600);

    // Flips in every file of the store (its journal, tables and their versions): where the
    // store or the log notices, one clear line, the same from every command; a panic inside
    // the store is neither printed nor a crash.
    let mut refused = 0;
    let mut tried = 0;
    for (file, written) in store_files(&base) {
        let relative = file.strip_prefix(&base).unwrap().to_path_buf();
        for percent in (7..100).step_by(15) {
            let data = work.join(format!("flip-{tried}"));
            copy_dir(&base, &data);
            let target = data.join(&relative);
            let mut bytes = std::fs::read(&target).unwrap();
            let start = written * percent / 100;
            for i in (start..(start + 64).min(written)).step_by(3) {
                bytes[i] ^= 0xFF;
            }
            std::fs::write(&target, bytes).unwrap();
            tried += 1;
            let status = ketenpost(&["status"], &data);
            let stderr = String::from_utf8_lossy(&status.stderr);
            assert!(
                !stderr.contains("panicked"),
                "{} at {percent} %: {stderr}",
                relative.display()
            );
            if !status.status.success() {
                let line = every_command_refuses(&data, &messages[0]);
                assert!(
                    line.contains("restore") || line.contains("repair-head"),
                    "{line}"
                );
                refused += 1;
            }
            let _ = std::fs::remove_dir_all(&data);
        }
    }
    assert!(
        refused > 0,
        "no flip of {tried} was refused: the test misses its case"
    );
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn what_ketenpost_creates_is_for_its_owner_only_whatever_the_umask() {
    let work = work_dir("umask");
    std::fs::set_permissions(&work, std::fs::Permissions::from_mode(0o755)).unwrap();
    let letter_file = work.join("letter.edi");
    std::fs::write(&letter_file, letter(GP, "999990019", "IC0001")).unwrap();
    let data = work.join("data");
    let output = Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" import --data \"$1\" \"$2\"")
        .args([Path::new(BIN), &data, &letter_file])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let mut open = Vec::new();
    let mut folders = vec![data.clone()];
    while let Some(folder) = folders.pop() {
        let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
        if mode != 0o700 {
            open.push(format!("{} {mode:o}", folder.display()));
        }
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                folders.push(entry.path());
            } else {
                let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
                if mode != 0o600 {
                    open.push(format!("{} {mode:o}", entry.path().display()));
                }
            }
        }
    }
    assert!(open.is_empty(), "readable by others: {open:?}");
    let _ = std::fs::remove_dir_all(&work);
}
