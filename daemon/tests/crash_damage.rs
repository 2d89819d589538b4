//! Crash safety of the real binary: a damaged tail of the store is recovered or refused clearly,
//! damage in its middle is refused, never silently rolled back.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::collections::{BTreeMap, BTreeSet};

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Output};

use serde_json::Value;

use binary::{acknowledged_ids, copy_dir, run, run_ok, work_dir, write_inputs};

/// The largest file under `dir` (the newest of equal ones).
fn largest_file(dir: &Path) -> PathBuf {
    let mut best: Option<(u64, std::time::SystemTime, PathBuf)> = None;
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(folder).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                folders.push(entry.path());
            } else {
                let key = (meta.len(), meta.modified().unwrap(), entry.path());
                if best.as_ref().is_none_or(|b| (b.0, b.1) < (key.0, key.1)) {
                    best = Some(key);
                }
            }
        }
    }
    best.unwrap().2
}

#[derive(Clone, Copy, Debug)]
enum Damage {
    Truncate,
    FlipNearEnd,
    FlipInMiddle,
}

fn damage(file: &Path, how: Damage) {
    let mut bytes = std::fs::read(file).unwrap();
    // Where what is written ends: the store makes its journal at full size and fills it from
    // the start.
    let len = bytes
        .iter()
        .rposition(|&b| b != 0)
        .map_or(bytes.len(), |at| at + 1);
    match how {
        Damage::Truncate => bytes.truncate(len - 137),
        Damage::FlipNearEnd => {
            for i in (len - 200..len - 100).step_by(7) {
                bytes[i] ^= 0xFF;
            }
        }
        Damage::FlipInMiddle => {
            for i in (len / 2..len / 2 + 64).step_by(3) {
                bytes[i] ^= 0xFF;
            }
        }
    }
    std::fs::write(file, bytes).unwrap();
}

/// What a command did on a damaged folder, or why that is not allowed.
fn judge(
    output: &Output,
    data: &Path,
    acknowledged: &BTreeSet<String>,
    present: impl Fn(&str) -> Result<String, String>,
) -> Result<String, String> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.contains("panicked") {
        return Err(format!("panicked: {stderr}"));
    }
    let code = exit_code(output.status)?;
    if code == 0 {
        return present(&String::from_utf8_lossy(&output.stdout)).map(|ok| format!("exit 0, {ok}"));
    }
    let lines: Vec<&str> = stderr.lines().collect();
    let clear = lines.len() == 1
        && lines[0].starts_with("ketenpost: ")
        && (lines[0].contains(&data.display().to_string()) || lines[0].contains("position"));
    if clear {
        Ok(format!("exit {code}: {}", lines[0]))
    } else {
        Err(format!(
            "exit {code} without one clear line naming the folder or position ({} acknowledged): {stderr}",
            acknowledged.len()
        ))
    }
}

fn exit_code(status: ExitStatus) -> Result<i32, String> {
    status
        .code()
        .ok_or_else(|| format!("ended by signal {:?}", status.signal()))
}

#[test]
fn a_damaged_tail_of_the_store_is_recovered_to_what_was_acknowledged_or_refused_clearly() {
    check_damage("tail", &[Damage::Truncate, Damage::FlipNearEnd]);
}

#[test]
fn damage_in_the_middle_of_the_store_is_refused_clearly_not_silently_rolled_back() {
    check_damage("middle", &[Damage::FlipInMiddle]);
}

/// Damages a copy of an imported data folder in each way and runs `events` and `status` on it:
/// each must give every acknowledged message or fail with one clear line, never panic.
fn check_damage(name: &str, modes: &[Damage]) {
    let work = work_dir(&format!("damage-{name}"));
    let files = write_inputs(&work.join("in"), 6);
    let base = work.join("base");
    let mut args = vec!["import".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let acknowledged: BTreeSet<String> = acknowledged_ids(run_ok(&base, &args).as_bytes())
        .into_iter()
        .collect();
    let expected = acknowledged.len();

    let mut report = Vec::new();
    let mut failures = Vec::new();
    for &how in modes {
        // `events` then `status` on one copy, `status` alone on another.
        for (copy, commands) in [("a", &["events", "status"][..]), ("b", &["status"][..])] {
            let data = work.join(format!("{how:?}-{copy}"));
            copy_dir(&base, &data);
            let file = largest_file(&data.join("store"));
            damage(&file, how);
            for command in commands {
                let output = run(
                    &data,
                    &[command, "--json"][..if *command == "status" { 2 } else { 1 }],
                );
                let outcome = judge(&output, &data, &acknowledged, |stdout| {
                    if *command == "events" {
                        let streams: BTreeSet<String> = stdout
                            .lines()
                            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                            .filter_map(|e| e["stream"].as_str().map(str::to_owned))
                            .collect();
                        let lost = acknowledged.difference(&streams).count();
                        if lost == 0 {
                            Ok(format!("all {expected} acknowledged messages present"))
                        } else {
                            Err(format!("{lost} of {expected} acknowledged messages lost"))
                        }
                    } else {
                        let counts: BTreeMap<String, i64> =
                            serde_json::from_str(stdout).map_err(|e| e.to_string())?;
                        let total: i64 = counts.values().sum();
                        if usize::try_from(total).unwrap_or(0) >= expected {
                            Ok(format!("counts add up to {total} messages"))
                        } else {
                            Err(format!("counts add up to {total} of {expected} messages"))
                        }
                    }
                });
                let name = file.strip_prefix(&data).unwrap().display().to_string();
                let line = format!("{how:?} of {name}, copy {copy}, {command}: ");
                match outcome {
                    Ok(outcome) => report.push(format!("{line}{outcome}")),
                    Err(error) => {
                        report.push(format!("{line}NOT ALLOWED: {error}"));
                        failures.push(format!("{line}{error}"));
                    }
                }
            }
        }
    }
    eprintln!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", report.join("\n"));
    let _ = std::fs::remove_dir_all(&work);
}
