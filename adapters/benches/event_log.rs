//! The sled event log under load: durable events/s at several batch sizes from one writer and
//! from 16 writers, single-append latency, replay speed over 1,000,000 events, bytes on disk
//! per event, space amplification and peak memory of a replay.
//! Run: `cargo bench -p ketenpost-adapters --bench event_log` (prints a table; not criterion).
//! `KETENPOST_BENCH_EVENTS` changes the size of the replay log (default 1000000).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/event_log.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ketenpost_adapters::event_log::{DiskEventLog, LogOptions};
use ketenpost_domain::ports::EventLog;
use support::{batch, disk_usage, envelope_bytes, folder, open, percentile, row, vm_hwm_kib};

/// Appends batches of `size` events from `threads` writers for about `time`; events/s.
fn throughput(
    name: &str,
    threads: usize,
    size: usize,
    time: Duration,
    durable: bool,
) -> (f64, u64) {
    let dir = folder(name);
    let options = LogOptions {
        durable,
        ..LogOptions::new(&dir)
    };
    let log = Arc::new(DiskEventLog::open(&options).unwrap());
    // Warm up: the first commit makes the files.
    log.append(batch(2)).unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let log = Arc::clone(&log);
            let written = Arc::clone(&written);
            std::thread::spawn(move || {
                while started.elapsed() < time {
                    let appended = log.append(batch(size)).unwrap();
                    written.fetch_add(appended.written as u64, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let events = written.load(Ordering::Relaxed);
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
    (events as f64 / elapsed, events)
}

/// In a fresh process: opens the folder, replays, then reads it all; prints
/// `open_s replay_s events hwm_kib read_s`.
fn replay_only(dir: &Path) {
    let started = Instant::now();
    let log = open(dir);
    let opened = started.elapsed();
    let started = Instant::now();
    let events = log.replay().unwrap();
    let replayed = started.elapsed();
    let hwm = vm_hwm_kib();
    // Reading (checksum and decoding) alone, to see what the projections add.
    let started = Instant::now();
    let mut from = 0;
    loop {
        let batch = log.read_all(from, 2048).unwrap();
        let Some(last) = batch.last() else { break };
        from = last.position + 1;
    }
    let read = started.elapsed();
    println!(
        "{} {} {events} {} {}",
        opened.as_secs_f64(),
        replayed.as_secs_f64(),
        hwm,
        read.as_secs_f64()
    );
}

/// The time of `count` durable single-event appends, one after the other, in a fresh log in
/// the folder `name`; sorted, shortest first.
fn single_append_latencies(name: &str, count: usize) -> Vec<Duration> {
    let dir = folder(name);
    let log = open(&dir);
    log.append(batch(1)).unwrap();
    let mut samples: Vec<Duration> = (0..count)
        .map(|_| {
            let appends = batch(1);
            let started = Instant::now();
            log.append(appends).unwrap();
            started.elapsed()
        })
        .collect();
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
    samples.sort();
    samples
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--replay-only") {
        replay_only(Path::new(&args[i + 1]));
        return;
    }
    // `--latency-only`: the single-append latency alone (to compare builds back to back).
    if args.iter().any(|a| a == "--latency-only") {
        let samples = single_append_latencies("latency-only", 1000);
        println!(
            "p50 {:?} p99 {:?}",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99)
        );
        return;
    }
    // `--index-only DIR`: how long the first read of one stream takes (it builds the index in
    // memory) and the peak RSS after it.
    if let Some(i) = args.iter().position(|a| a == "--index-only") {
        let log = open(Path::new(&args[i + 1]));
        let stream = log.read_all(0, 1).unwrap()[0].stream.clone();
        let before = vm_hwm_kib();
        let started = Instant::now();
        let events = log.read_stream(&stream).unwrap();
        println!(
            "index built in {:.2} s ({} events in the stream); VmHWM {} MB before, {} MB after",
            started.elapsed().as_secs_f64(),
            events.len(),
            before / 1024,
            vm_hwm_kib() / 1024
        );
        return;
    }
    // For profiling: `--make-log DIR` writes the replay log into DIR and keeps it.
    if let Some(i) = args.iter().position(|a| a == "--make-log") {
        let dir = Path::new(&args[i + 1]);
        let log = open(dir);
        let mut position = 0u64;
        while position < 1_000_000 {
            let appends = batch(1000);
            position += appends.iter().map(|a| a.events.len() as u64).sum::<u64>();
            log.append(appends).unwrap();
        }
        return;
    }
    // `cargo bench` passes `--bench`; anything else is ignored.
    let total: u64 = std::env::var("KETENPOST_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!(
        "| {:<52} | {:>16} | {:<14} |",
        "measurement", "result", "target"
    );
    println!("|{:-<54}|{:->18}|{:-<16}|", "", "", "");

    let time = Duration::from_secs(2);
    for size in [1, 10, 100, 1000] {
        let (rate, events) = throughput(&format!("one-{size}"), 1, size, time, true);
        row(
            &format!("1 writer, {size} events/append ({events} events)"),
            format!("{rate:.0} ev/s"),
            "",
        );
    }
    for size in [1, 100] {
        let (rate, events) = throughput(&format!("sixteen-{size}"), 16, size, time, true);
        row(
            &format!("16 writers, {size} events/append ({events} events)"),
            format!("{rate:.0} ev/s"),
            if size == 100 { ">= 50000 ev/s" } else { "" },
        );
    }
    // Where the time goes: the same without any sync (not durable; a diagnostic only).
    let (rate, events) = throughput("sixteen-100-nosync", 16, 100, time, false);
    row(
        &format!("  same, 16x100, durable: false ({events} events)"),
        format!("{rate:.0} ev/s"),
        "diagnostic",
    );

    // The diagnostic above left its writes unsynced; let the system write them back first, so
    // that the latency below measures this log's syncs and not that writeback.
    let _ = Command::new("sync").status();

    // Latency of one durable single-event append, sequential.
    let samples = single_append_latencies("latency", 3000);
    let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1000.0);
    row(
        "1-event append latency p50 (3000 sequential)",
        ms(percentile(&samples, 0.5)),
        "",
    );
    row(
        "1-event append latency p99",
        ms(percentile(&samples, 0.99)),
        "<= 10 ms",
    );
    row(
        "1-event append latency max",
        ms(samples[samples.len() - 1]),
        "",
    );

    // The replay log: `total` events in appends of 1000 (500 messages of 2 events).
    let dir = folder("replay");
    let log = open(&dir);
    let started = Instant::now();
    let mut logical = 0u64;
    let mut position = 0u64;
    while position < total {
        let appends = batch(1000.min((total - position) as usize));
        for append in &appends {
            for (version, new) in append.events.iter().enumerate() {
                logical +=
                    envelope_bytes(position, new.id, &append.stream, version as u64, &new.event)
                        as u64;
                position += 1;
            }
        }
        log.append(appends).unwrap();
    }
    let appended = started.elapsed();
    let sled_size = log.size_on_disk();
    drop(log);
    let (apparent, allocated) = disk_usage(&dir);
    row(
        &format!("append {total} events, 1000/append"),
        format!("{:.0} ev/s", total as f64 / appended.as_secs_f64()),
        "",
    );
    let per_event = |bytes: u64| format!("{:.1} B", bytes as f64 / total as f64);
    let amplification = |bytes: u64| format!("{:.2}", bytes as f64 / logical as f64);
    for (label, value, target) in [
        (
            "envelope bytes per event (JSON + CRC)",
            per_event(logical),
            "",
        ),
        (
            "folder bytes per event (file lengths)",
            per_event(apparent),
            "",
        ),
        (
            "folder bytes per event (allocated blocks)",
            per_event(allocated),
            "",
        ),
        ("sled size_on_disk per event", per_event(sled_size), ""),
        (
            "space amplification (file lengths / envelope bytes)",
            amplification(apparent),
            "<= 2.5",
        ),
        (
            "space amplification (allocated / envelope bytes)",
            amplification(allocated),
            "",
        ),
    ] {
        row(label, value, target);
    }

    // Replay in a fresh process, so its peak RSS is the replay's alone.
    let output = Command::new(std::env::current_exe().unwrap())
        .arg("--replay-only")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8(output.stdout).unwrap();
    let fields: Vec<f64> = printed
        .split_whitespace()
        .map(|f| f.parse().unwrap())
        .collect();
    let (opened, replayed, events, hwm, read) =
        (fields[0], fields[1], fields[2], fields[3], fields[4]);
    row(
        "open of the replay log (sled recovery)",
        format!("{:.2} s", opened),
        "",
    );
    row(
        &format!("replay of {events:.0} events"),
        format!("{:.0} ev/s", events / replayed),
        ">= 300000 ev/s",
    );
    row(
        "  of which read_all alone (checksum + decode)",
        format!("{:.0} ev/s", events / read),
        "diagnostic",
    );
    row(
        "peak RSS of the replay process (VmHWM)",
        format!("{:.0} MB", hwm / 1024.0),
        "<= 200 MB",
    );
    println!(
        "(the replay process: open {opened:.2} s, read_all {read:.2} s, replay {replayed:.2} s; \
         VmHWM taken before the read_all pass)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
