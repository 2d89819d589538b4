//! Crash safety of the real binary: the order of fsync and acknowledgement, seen with strace.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::collections::BTreeMap;

use std::process::{Command, Stdio};

use binary::{fixture, succeeded, work_dir, BIN};

/// Whether strace can be used here; panics when it cannot and `CI=true`.
fn strace_available() -> bool {
    let works = Command::new("strace")
        .args(["-f", "-o", "/dev/null", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "strace is needed for this test on CI (apt-get install strace)"
        );
        eprintln!("SKIPPED: strace is not installed or cannot trace here (apt-get install strace)");
    }
    works
}

#[test]
fn every_imported_line_is_written_after_an_fsync() {
    if !strace_available() {
        return;
    }
    let work = work_dir("strace");
    let data = work.join("data");
    let trace = work.join("trace.txt");
    // One message per file, so every `imported` line belongs to its own append.
    let files = [
        fixture("medvri_lf.edi"),
        fixture("medvri_bsn_missing.edi"),
        fixture("malformed_truncated.edi"),
    ];
    let output = Command::new("strace")
        .args([
            "-f",
            "-y",
            "-s",
            "4096",
            "-e",
            "trace=fsync,fdatasync,write",
            "-o",
        ])
        .arg(&trace)
        .arg(BIN)
        .arg("import")
        .arg("--data")
        .arg(&data)
        .args(&files)
        .output()
        .unwrap();
    let output = succeeded(output);
    let printed: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split(' ').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(printed.len(), files.len());

    let trace = std::fs::read_to_string(&trace).unwrap();
    let data_path = data.display().to_string();
    let mut written = Vec::new();
    // Completed syncs of files in the data folder since the last `imported` write.
    let mut synced_since = 0;
    let mut syncs = 0;
    let mut pending: BTreeMap<String, String> = BTreeMap::new();
    for line in trace.lines() {
        // With -f every line starts with the thread id.
        let (pid, call) = line.split_once(' ').unwrap();
        assert!(pid.chars().all(|c| c.is_ascii_digit()), "{line}");
        let call = call.trim_start();
        let sync = call.starts_with("fsync(") || call.starts_with("fdatasync(");
        if sync && call.ends_with("<unfinished ...>") {
            pending.insert(pid.to_owned(), call.to_owned());
            continue;
        }
        let completed_sync = if sync {
            Some(call.to_owned())
        } else if call.starts_with("<... fsync resumed>")
            || call.starts_with("<... fdatasync resumed>")
        {
            pending
                .remove(pid)
                .map(|started| format!("{started} {call}"))
        } else {
            None
        };
        if let Some(sync) = completed_sync {
            if sync.ends_with("= 0") && sync.contains(&data_path) {
                synced_since += 1;
                syncs += 1;
            }
            continue;
        }
        if let Some(text) = call.strip_prefix("write(1") {
            let text = text.split_once('"').map_or("", |(_, t)| t);
            if let Some(rest) = text.strip_prefix("imported ") {
                assert!(
                    synced_since > 0,
                    "`imported` written with no fsync of the data folder since the last one: {line}"
                );
                synced_since = 0;
                written.push(rest.split(' ').next().unwrap().to_owned());
            }
        }
    }
    assert_eq!(written, printed, "the trace shows other `imported` writes");
    eprintln!(
        "{} imported lines, {syncs} fsyncs of the data folder",
        written.len()
    );
    let _ = std::fs::remove_dir_all(&work);
}
