#!/usr/bin/env node
// Helpers for scripts/bench-daemon.sh (plain Node.js, no packages):
//   make-messages SRC DIR N [PREFIX]  N copies of SRC, each with its own interchange ref
//   drop SRC_DIR STAGE DROP TIMES [RATE]
//                                  moves every file of SRC_DIR into DROP (via STAGE on the
//                                  same file system, so each appears at once), all at once or
//                                  RATE files per second, writing "name<TAB>ms" per file to TIMES
//   daemon-latency EVENTS          pairs each message's MessageReceived (its receipt) with its
//                                  DocumentPlaced from `ketenpost events` JSON lines
//   nodered-latency TIMES RESULTS  pairs drop times with the flow's answered times
// The latency commands print one JSON object with the figures.
'use strict';
const fs = require('fs');
const path = require('path');

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

function stats(values) {
  const sorted = values.slice().sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50_ms: percentile(sorted, 50),
    p90_ms: percentile(sorted, 90),
    p99_ms: percentile(sorted, 99),
    max_ms: sorted.length ? sorted[sorted.length - 1] : null,
    mean_ms: sorted.length ? Math.round((sum / sorted.length) * 10) / 10 : null,
  };
}

function makeMessages(src, dir, n, prefix) {
  const text = fs.readFileSync(src, 'latin1');
  if (!text.includes('IC1001')) throw new Error(`${src} has no IC1001 to replace`);
  fs.mkdirSync(dir, { recursive: true });
  const width = String(n).length;
  for (let i = 1; i <= n; i++) {
    const ref = prefix.toUpperCase() + String(i).padStart(width, '0');
    fs.writeFileSync(path.join(dir, `${prefix}${String(i).padStart(width, '0')}.edi`),
      text.split('IC1001').join(ref), 'latin1');
  }
}

async function drop(srcDir, stage, dropDir, timesFile, rate) {
  fs.mkdirSync(stage, { recursive: true });
  const names = fs.readdirSync(srcDir).filter((n) => n.endsWith('.edi')).sort();
  for (const name of names) fs.copyFileSync(path.join(srcDir, name), path.join(stage, name));
  const lines = [];
  const start = Date.now();
  for (let i = 0; i < names.length; i++) {
    if (rate > 0) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    fs.renameSync(path.join(stage, names[i]), path.join(dropDir, names[i]));
    lines.push(`${names[i]}\t${Date.now()}`);
  }
  fs.writeFileSync(timesFile, lines.join('\n') + '\n');
}

function daemonLatency(eventsFile) {
  const received = new Map(); // receipt stream -> ms
  const receiptOf = new Map(); // message stream -> receipt stream
  const placed = new Map(); // message stream -> ms
  const types = {};
  const text = fs.readFileSync(eventsFile, 'utf8');
  for (const line of text.split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    types[e.type] = (types[e.type] || 0) + 1;
    const at = Date.parse(e.recorded_at);
    if (e.type === 'MessageReceived') {
      received.set(e.stream, at);
    } else if (e.type === 'MessageParsed') {
      // "... of <receipt stream>"
      const m = / of (\S+)$/.exec(e.summary);
      if (m) receiptOf.set(e.stream, m[1]);
    } else if (e.type === 'DocumentPlaced') {
      placed.set(e.stream, at);
    }
  }
  const latencies = [];
  let first = Infinity;
  let last = -Infinity;
  let unpaired = 0;
  for (const [message, at] of placed) {
    const receipt = receiptOf.get(message);
    const start = receipt === undefined ? undefined : received.get(receipt);
    if (start === undefined) {
      unpaired++;
      continue;
    }
    latencies.push(at - start);
    first = Math.min(first, start);
    last = Math.max(last, at);
  }
  for (const at of received.values()) first = Math.min(first, at);
  const span = (last - first) / 1000;
  return {
    events: types,
    receipts: received.size,
    placed: placed.size,
    unpaired,
    first_received_to_last_placed_s: span,
    last_placed_ms: Number.isFinite(last) ? last : null,
    throughput_in_log_per_s: span > 0 ? Math.round(placed.size / span) : null,
    latency: stats(latencies),
  };
}

function noderedLatency(timesFile, resultsFile) {
  const dropped = new Map();
  for (const line of fs.readFileSync(timesFile, 'utf8').split('\n')) {
    if (!line) continue;
    const [name, ms] = line.split('\t');
    dropped.set(name, Number(ms));
  }
  const fromDrop = [];
  const fromSeen = [];
  const statuses = {};
  let first = Infinity;
  let last = -Infinity;
  let answered = 0;
  for (const line of fs.readFileSync(resultsFile, 'utf8').split('\n')) {
    if (!line) continue;
    const [name, seen, done, status] = line.split('\t');
    if (!dropped.has(name)) continue;
    statuses[status] = (statuses[status] || 0) + 1;
    answered++;
    const t0 = dropped.get(name);
    if (t0 !== undefined) {
      fromDrop.push(Number(done) - t0);
      first = Math.min(first, t0);
    }
    fromSeen.push(Number(done) - Number(seen));
    last = Math.max(last, Number(done));
  }
  const span = (last - first) / 1000;
  return {
    dropped: dropped.size,
    answered,
    statuses,
    first_drop_to_last_answer_s: span,
    throughput_per_s: span > 0 ? Math.round(answered / span) : null,
    latency_drop_to_answer: stats(fromDrop),
    latency_seen_to_answer: stats(fromSeen),
  };
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'make-messages':
    makeMessages(args[0], args[1], Number(args[2]), args[3] || 'm');
    break;
  case 'drop':
    drop(args[0], args[1], args[2], args[3], Number(args[4] || 0)).catch((e) => {
      console.error(e);
      process.exit(1);
    });
    break;
  case 'daemon-latency':
    console.log(JSON.stringify(daemonLatency(args[0])));
    break;
  case 'nodered-latency':
    console.log(JSON.stringify(noderedLatency(args[0], args[1])));
    break;
  default:
    console.error('usage: bench.js make-messages|drop|daemon-latency|nodered-latency ...');
    process.exit(2);
}
