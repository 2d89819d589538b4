//! Crash safety of the real binary: `import` killed with SIGKILL at random moments never loses
//! or breaks what it acknowledged, and `retention` killed while it forgets histories leaves each
//! message whole or gone, with projections that are what the log says.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod binary;

use std::collections::BTreeSet;

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use binary::{acknowledged_ids, copy_dir, run_ok, status, work_dir, write_inputs, BIN, FORGET_NOW};

/// What the checks need of a line of `events`.
#[derive(serde::Deserialize)]
struct LogLine {
    position: u64,
    stream: String,
}

/// The log as `events` prints it: checks the positions are 0..n without gaps and returns n
/// and every message stream. `events` itself fails on an entry whose checksum does not match.
fn read_log(data: &Path) -> (u64, BTreeSet<String>) {
    let printed = run_ok(data, &["events"]);
    let mut streams = BTreeSet::new();
    let mut n = 0;
    for line in printed.lines() {
        let event: LogLine = serde_json::from_str(line).unwrap();
        assert_eq!(event.position, n, "gap in the log: {line}");
        if event.stream.starts_with("message-") {
            streams.insert(event.stream);
        }
        n += 1;
    }
    (n, streams)
}

/// Checks a data folder after a crash: a gapless log holding every acknowledged message, and
/// counts that add up to the messages in the log.
fn check_folder(data: &Path, acknowledged: &BTreeSet<String>, when: &str) -> u64 {
    let (n, streams) = read_log(data);
    let lost: Vec<_> = acknowledged.difference(&streams).collect();
    assert!(
        lost.is_empty(),
        "{when}: {} acknowledged message(s) are not in the log, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    let counts = status(data);
    let total: i64 = counts.values().sum();
    assert_eq!(
        usize::try_from(total).unwrap(),
        streams.len(),
        "{when}: status counts {counts:?} do not add up to the {} messages in the log",
        streams.len()
    );
    n
}

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn import_killed_with_sigkill_never_loses_or_breaks_what_it_acknowledged() {
    const CYCLES: u64 = 50;
    // These cycles are not killed: the import runs to its end.
    const COMPLETE: [u64; 2] = [25, 49];
    let started = Instant::now();
    let work = work_dir("kill");
    let files = write_inputs(&work.join("in"), 30);
    // 25 messages per interchange, one (fallout) per malformed file.
    let malformed = files
        .iter()
        .filter(|f| f.to_string_lossy().contains("malformed"))
        .count();
    let lines_per_run = (files.len() - malformed) * 25 + malformed;
    let data = work.join("data");
    let mut acknowledged = BTreeSet::new();
    let (mut before_output, mut during, mut after_output, mut completed) = (0, 0, 0, 0);
    let mut first_line = Duration::from_millis(150);
    let (mut import_time, mut check_time) = (Duration::ZERO, Duration::ZERO);
    for cycle in 0..CYCLES {
        let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (cycle + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
        for _ in 0..4 {
            xorshift(&mut seed);
        }
        // 5 ms to 150 ms past the moment the first line came last time: kills land in the
        // start (sled's recovery, catch-up, resume), between append and print, and while
        // printing. The debug binary takes ~150-250 ms to its first line here.
        let window = 146 + u64::try_from(first_line.as_millis()).unwrap_or(0);
        let delay = Duration::from_millis(5 + xorshift(&mut seed) % window);
        let stderr_path = work.join("stderr.txt");
        let mut child = Command::new(BIN)
            .arg("import")
            .arg("--data")
            .arg(&data)
            .args(&files)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .unwrap();
        let spawned = Instant::now();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            // The time to the first byte of output.
            let first = stdout
                .fill_buf()
                .ok()
                .filter(|b| !b.is_empty())
                .map(|_| spawned.elapsed());
            (first, acknowledged_ids(stdout))
        });
        let complete = COMPLETE.contains(&cycle);
        if !complete {
            std::thread::sleep(delay);
            // SIGKILL; harmless when the import already ended.
            let _ = child.kill();
        }
        let exit = child.wait().unwrap();
        let (first, ids) = reader.join().unwrap();
        if let Some(first) = first {
            first_line = first;
        }
        let stderr = std::fs::read_to_string(&stderr_path).unwrap();
        assert!(!stderr.contains("panicked"), "cycle {cycle}: {stderr}");
        let killed = exit.signal() == Some(9);
        assert!(
            exit.success() || (killed && !complete),
            "cycle {cycle}: import ended with {exit}: {stderr}"
        );
        if exit.success() {
            completed += 1;
        } else if ids.is_empty() {
            before_output += 1;
        } else if ids.len() < lines_per_run {
            during += 1;
        }
        if killed && ids.len() == lines_per_run {
            after_output += 1;
        }
        acknowledged.extend(ids);
        import_time += spawned.elapsed();
        let checked = Instant::now();
        // A kill that landed before the import made the data folder left nothing to check
        // (and nothing was acknowledged).
        if data.exists() || !acknowledged.is_empty() {
            check_folder(&data, &acknowledged, &format!("after cycle {cycle}"));
        }
        check_time += checked.elapsed();
    }
    assert!(completed >= COMPLETE.len(), "the complete cycles must end");
    assert!(
        during > 0,
        "no kill landed while the import was printing (before any output: {before_output})"
    );

    let before = status(&data);
    let (n, _) = read_log(&data);
    let replayed = run_ok(&data, &["replay"]);
    assert!(replayed.contains(&format!("from {n} events")), "{replayed}");
    assert_eq!(status(&data), before, "replay changed the counts");
    let some = acknowledged.iter().next_back().unwrap();
    let shown: Value = serde_json::from_str(&run_ok(&data, &["show", some, "--json"])).unwrap();
    assert!(shown.to_string().contains(some.as_str()), "{shown}");
    eprintln!(
        "{CYCLES} cycles in {:.1?}: {before_output} killed before any output, {during} killed \
         while importing, {after_output} killed after the last line, {completed} ran \
         to the end; {} acknowledged messages, {n} events; {import_time:.1?} in import, \
         {check_time:.1?} in checks",
        started.elapsed(),
        acknowledged.len()
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// What a line of `events` says of a stream's event.
#[derive(serde::Deserialize)]
struct StreamLine {
    stream: String,
    version: u64,
}

/// The message streams of the log, each checked whole: its versions 0, 1, 2, ... with none
/// missing (a message forgotten in part would lack some).
fn whole_messages(data: &Path, when: &str) -> usize {
    let mut versions: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    for line in run_ok(data, &["events"]).lines() {
        let event: StreamLine = serde_json::from_str(line).unwrap();
        if event.stream.starts_with("message-") || event.stream.starts_with("receipt-") {
            versions
                .entry(event.stream)
                .or_default()
                .push(event.version);
        }
    }
    for (stream, seen) in &versions {
        let whole: Vec<u64> = (0..seen.len() as u64).collect();
        assert_eq!(seen, &whole, "{when}: {stream} is not whole");
    }
    versions
        .keys()
        .filter(|s| s.starts_with("message-"))
        .count()
}

#[test]
fn retention_killed_while_it_forgets_leaves_each_message_whole_or_gone() {
    const CYCLES: u64 = 12;
    let work = work_dir("kill-history");
    let files = write_inputs(&work.join("in"), 30);
    let imported = work.join("imported");
    let mut import = vec!["import"];
    import.extend(files.iter().map(|f| f.to_str().unwrap()));
    run_ok(&imported, &import);
    let messages = whole_messages(&imported, "after the import");
    assert!(messages > 700, "{messages}");
    let forget = FORGET_NOW;
    // How long a run takes to its end, on a copy.
    let timed = work.join("timed");
    copy_dir(&imported, &timed);
    let started = Instant::now();
    run_ok(&timed, &forget);
    let took = u64::try_from(started.elapsed().as_millis()).unwrap();
    let mut partial = 0;
    for cycle in 0..CYCLES {
        let data = work.join(format!("cycle-{cycle}"));
        copy_dir(&imported, &data);
        let mut seed = 0x2545_F491_4F6C_DD1D ^ (cycle + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for _ in 0..4 {
            xorshift(&mut seed);
        }
        // In the second half of the run, where it forgets (the first opens the folder and
        // ends the retention of every message).
        let delay = Duration::from_millis(took / 2 + xorshift(&mut seed) % (took / 2 + 1));
        let mut child = Command::new(BIN)
            .args(forget)
            .arg("--data")
            .arg(&data)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "cycle {cycle}: {stderr}");
        let when = format!("cycle {cycle}, killed after {delay:?}");
        let left = whole_messages(&data, &when);
        if left > 0 && left < messages {
            partial += 1;
        }
        let counts = status(&data);
        let counted: i64 = counts.values().sum();
        assert_eq!(
            usize::try_from(counted).unwrap(),
            left,
            "{when}: {counts:?}"
        );
        run_ok(&data, &["replay"]);
        assert_eq!(
            status(&data),
            counts,
            "{when}: the projections differ from the log"
        );
        // The next run ends what the killed one began.
        run_ok(&data, &forget);
        let decided: i64 = status(&data)
            .iter()
            .filter(|(state, _)| !matches!(state.as_str(), "in_flight" | "awaiting_delivery"))
            .map(|(_, n)| *n)
            .sum();
        assert_eq!(
            decided, 0,
            "{when}: every decided message is forgotten at the next run"
        );
        whole_messages(&data, &when);
        let _ = std::fs::remove_dir_all(&data);
    }
    assert!(
        partial > 0,
        "no kill landed while messages were being forgotten (a run takes {took} ms)"
    );
}
