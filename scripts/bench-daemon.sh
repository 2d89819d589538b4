#!/usr/bin/env bash
# End-to-end benchmark over loopback, in two parts on the same machine:
#
#  1. ketenpost: N MEDVRI letters wait in the ZorgMail stand-in's mailbox; `ketenpost run` pulls
#     them (List, Retrieve, durable record, Delete), renders each letter to PDF and places it in
#     the Ons stand-in (HTTPS, mutual TLS). Throughput = N / seconds from the daemon's start to
#     the last DocumentPlaced the log recorded (the script also polls GET /api/v1/counts until
#     processed == N every 250 ms and prints that figure too). Latency per message, from the event log after
#     SIGTERM: MessageReceived's recorded_at (right after Retrieve, once the payload is durable)
#     to DocumentPlaced's recorded_at (after the Ons answer, durable).
#  2. Node-RED 4 (scripts/bench/node-red-flow.json): the same N files are moved into a watched
#     folder; the flow reads each and POSTs it as a multipart document upload to a fresh Ons
#     stand-in with mutual TLS. It renders nothing and records nothing before the POST.
#     Throughput = N / seconds from the first file dropped to the last answer; latency per
#     file = file moved into the folder -> POST answered (and: watch event seen -> answered).
#     A second, paced round gives Node-RED's latency when it is not flooded.
#
# Usage: scripts/bench-daemon.sh [N]   (or BENCH_MESSAGES=N; default 5000)
# Other settings: BENCH_WORKERS (daemon workers, default 32), BENCH_SKIP_NODE_RED=1,
# BENCH_SKIP_FOLDER=1 (skip the round with a folder mailbox), BENCH_ZORGMAIL_EXTRA (lines added to the
# ZorgMail mailbox's entry, e.g. "max_concurrent_requests = 32"), BENCH_KEEP=1 (keep the temporary folder), BENCH_DAEMON_WRAPPER (a command put in front of the
# daemon, e.g. "perf record -g -o /tmp/perf.data --"; the CPU figures then include it), BENCH_TIMEOUT (seconds per part, default 600),
# BENCH_PACED_COUNT / BENCH_PACED_RATE (a second Node-RED round of 500 files moved in at
# 25 files/s, for its latency below capacity; 0 files skips it).
# Needs cargo and Node.js (installed with apt-get when missing and run as root); Node-RED is
# installed with npm into target/bench/node-red on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=scripts/lib/standins-route.sh
. "$root/scripts/lib/standins-route.sh"

N="${1:-${BENCH_MESSAGES:-5000}}"
WORKERS="${BENCH_WORKERS:-32}"
TIMEOUT="${BENCH_TIMEOUT:-600}"
PACED_COUNT="${BENCH_PACED_COUNT:-500}"
PACED_RATE="${BENCH_PACED_RATE:-25}"
BSN=999990019
TOKEN="bench-token-$(date +%s)-$$"
PASSWORD="bench-pw-$$"
bench_dir="$root/target/bench"
node_red_dir="$bench_dir/node-red"
helpers="$root/scripts/bench/bench.js"

case "$N" in '' | *[!0-9]*) echo "N must be a number, got $N" >&2; exit 2 ;; esac

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { date +%s%3N; }

# --- what is needed -------------------------------------------------------------------------
need_apt=()
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need_apt[*]} with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "please install: ${need_apt[*]}" >&2
    exit 1
  fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is needed: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi

log "building release binaries"
cargo build --release --locked --quiet -p ketenpost -p ketenpost-fixtures
daemon_bin="$root/target/release/ketenpost"
standins_bin="$root/target/release/ketenpost-standins"

if [ "${BENCH_SKIP_NODE_RED:-0}" != 1 ] && [ ! -f "$node_red_dir/node_modules/node-red/red.js" ]; then
  log "installing node-red 4 into $node_red_dir"
  mkdir -p "$node_red_dir"
  npm install --prefix "$node_red_dir" --no-audit --no-fund --loglevel=error node-red@4 >/dev/null
fi

# --- temporary folder, processes, clean-up --------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/ketenpost-bench.XXXXXX")"
declare -a pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    log "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

# Stops one process started here (SIGTERM) and waits for it.
stop() {
  local pid="$1" left=()
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || left+=("$p"); done
  pids=("${left[@]+"${left[@]}"}")
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# Waits until FILE contains PATTERN (grep -E), or fails after SECONDS.
wait_for_line() {
  local file="$1" pattern="$2" seconds="$3" pid="$4" i=0
  until grep -qE "$pattern" "$file" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "process $pid ended before printing $pattern; its output:" >&2
      cat "$file" >&2
      return 1
    fi
    i=$((i + 1))
    if [ "$i" -gt $((seconds * 10)) ]; then
      echo "timed out waiting for $pattern in $file" >&2
      return 1
    fi
    # Each poll starts curl and a few text tools, which share the cores with the daemon; the
    # exact end comes from the log, so a poll four times a second is enough.
    sleep 0.25
  done
}

# CPU seconds (user + system) a running process has used so far, from /proc/PID/stat.
cpu_seconds() {
  local fields
  fields="$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null)" || { echo "-"; return; }
  # shellcheck disable=SC2086
  set -- $fields
  echo "$(( ${12} + ${13} )) $(getconf CLK_TCK)" | awk '{printf "%.2f", $1 / $2}'
}

# Polls every 0.1 s until COMMAND... prints a number >= TARGET, or until TIMEOUT seconds after
# START_MS; logs "COUNT WHAT" every 5 s. Sets polled_count; fails when COMMAND fails.
wait_for_count() {
  local what="$1" target="$2" start="$3" last_report="$3" now
  shift 3
  polled_count=0
  while :; do
    polled_count="$("$@")" || return 1
    [ "$polled_count" -ge "$target" ] && return 0
    now="$(now_ms)"
    if [ $((now - start)) -gt $((TIMEOUT * 1000)) ]; then
      echo "timed out after ${TIMEOUT}s with $polled_count of $target $what" >&2
      return 0
    fi
    if [ $((now - last_report)) -ge 5000 ]; then
      log "  $polled_count $what"
      last_report="$now"
    fi
    # Each poll starts curl and a few text tools, which share the cores with the daemon; the
    # exact end comes from the log, so a poll four times a second is enough.
    sleep 0.25
  done
}

field() { # JSON, dotted path
  printf '%s' "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let v=JSON.parse(s);for(const k of process.argv[1].split("."))v=v==null?undefined:v[k];console.log(v===undefined||v===null?"-":(typeof v==="object"?JSON.stringify(v):v))})' "$2"
}

value_of() { grep -m1 "^$1=" "$2" | cut -d= -f2-; }

# Starts the stand-ins; NAME.out gets their KEY=value lines. Extra arguments are passed on.
started_pid=""
start_standins() {
  local name="$1"
  shift
  KETENPOST_STANDINS_PASSWORD="$PASSWORD" "$standins_bin" --cert-dir "$work/$name-certs" \
    --client "$BSN,Jan,Wolf,1988-06-21" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  started_pid=$!
  pids+=("$started_pid")
  wait_for_line "$work/$name.out" '^READY=1' 120 "$started_pid"
}

# "documents placed" from the stand-ins' closing line on stderr.
placed_at_standin() {
  grep -oE '[0-9]+ documents placed' "$1" | grep -oE '^[0-9]+' || echo "?"
}

log "writing $N message files (MEDVRI letter, BSN $BSN, each with its own interchange ref)"
node "$helpers" make-messages fixtures/messages/medvri_lf.edi "$work/messages" "$N"

# --- 1. ketenpost -----------------------------------------------------------------------------
counts() {
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$api_port/api/v1/counts" 2>/dev/null || true
}
count_of() { # counts JSON, category; plain text tools, so the poll costs the machine nothing
  local n
  n="$(grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2)"
  echo "${n:-0}"
}
processed_so_far() { # daemon pid, its log
  if ! kill -0 "$1" 2>/dev/null; then
    echo "the daemon ended early:" >&2
    tail -20 "$2" >&2
    return 1
  fi
  counts | count_of processed
}
per_message() { # CPU seconds, messages
  awk -v c="$1" -v n="$2" 'BEGIN { if (n > 0 && c != "-") printf "%.2f", c * 1000 / n; else printf "-" }'
}

# One daemon round: NAME, the stand-ins' output file and pid, the [[mailboxes]] entry, and
# how the messages arrive: "seeded" (waiting in the mailbox when the daemon starts; the clock
# starts with the daemon) or "dropped:FOLDER" (moved into the folder at once when the daemon
# is ready; the clock starts with the first file moved). Sets the round_* variables.
daemon_round() {
  local name="$1" standins_out="$2" standins_pid="$3" mailbox_toml="$4" arrival="$5"
  local config="$work/$name.toml" now start daemon_pid
  api_port="$(free_port)"
  {
    printf 'data_dir = "%s"\nworkers = %s\n[api]\nlisten = "127.0.0.1:%s"\ntoken = "%s"\n' \
      "$work/$name-data" "$WORKERS" "$api_port" "$TOKEN"
    printf '%s\n' "$mailbox_toml"
    standins_route_toml "$standins_out" 'retry = { attempts = 5, first_delay = "200ms", max_delay = "2s" }'
  } >"$config"
  log "ketenpost ($name): starting the daemon ($WORKERS workers)"
  start="$(now_ms)"
  # shellcheck disable=SC2086 # BENCH_DAEMON_WRAPPER is a command line, split on purpose
  RUST_LOG=warn ${BENCH_DAEMON_WRAPPER:-} "$daemon_bin" run --config "$config" >"$work/$name.out" 2>"$work/$name.log" &
  daemon_pid=$!
  pids+=("$daemon_pid")
  if [ "${arrival%%:*}" = dropped ]; then
    until curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; do
      kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/$name.log" >&2; exit 1; }
      sleep 0.1
    done
    log "ketenpost ($name): moving $N files into the folder at once"
    node "$helpers" drop "$work/messages" "$work/stage-$name" "${arrival#dropped:}" "$work/$name-times.tsv" 0
    start="$(head -1 "$work/$name-times.tsv" | cut -f2)"
  fi
  wait_for_count processed "$N" "$start" processed_so_far "$daemon_pid" "$work/$name.log" || exit 1
  round_processed="$polled_count"
  now="$(now_ms)"
  round_seconds="$(node -e 'console.log(((process.argv[2]-process.argv[1])/1000).toFixed(2))' "$start" "$now")"
  round_rate="$(node -e 'console.log(Math.round(process.argv[1]/process.argv[2]))' "$round_processed" "$round_seconds")"
  round_cpu="$(cpu_seconds "$daemon_pid")"
  round_memory="$(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { printf "%d MB resident at the end, %d MB at the peak", r / 1024, h / 1024 }' "/proc/$daemon_pid/status")"
  round_standins_cpu="$(cpu_seconds "$standins_pid")"
  round_counts="$(counts)"
  curl -sf "http://127.0.0.1:$api_port/metrics" >"$work/$name-metrics.txt" || true
  log "ketenpost ($name): $round_processed processed in ${round_seconds}s; stopping (SIGTERM)"
  stop "$daemon_pid"
  "$daemon_bin" events --data "$work/$name-data" >"$work/$name-events.jsonl"
  round_latency="$(node "$helpers" daemon-latency "$work/$name-events.jsonl")"
  round_placed_in_log="$(field "$round_latency" placed)"
  # The exact time: from the start of the clock to the last placement the log recorded (the
  # poll above only sees it up to 250 ms later).
  round_exact_seconds="$(node -e 'const [s, l] = [Number(process.argv[1]), Number(process.argv[2])]; console.log(l > s ? ((l - s) / 1000).toFixed(3) : "-")' "$start" "$(field "$round_latency" last_placed_ms)")"
  round_exact_rate="$(node -e 'const t = Number(process.argv[2]); console.log(t > 0 ? Math.round(process.argv[1] / t) : "-")' "$round_placed_in_log" "$round_exact_seconds")"
  stop "$standins_pid"
  round_placed="$(placed_at_standin "${standins_out%.out}.err")"
}

log "ketenpost: seeding $N messages into the ZorgMail stand-in"
# A folder, not one --message per file: some 40,000 arguments pass the command line's limit.
start_standins daemon-standins --account 500098765 --sender 500012345 --message-dir "$work/messages"
out="$work/daemon-standins.out"
seeded="$(grep -c '^ZORGMAIL_MESSAGE=' "$out")"
[ "$seeded" = "$N" ] || { echo "the mailbox holds $seeded messages, not $N" >&2; exit 1; }
daemon_round zorgmail "$out" "$started_pid" "[[mailboxes]]
name = \"bench\"
kind = \"zorgmail\"
endpoint = \"$(value_of ZORGMAIL_URL "$out")\"
account_id = \"$(value_of ZORGMAIL_ACCOUNT "$out")\"
username = \"$(value_of ZORGMAIL_USERNAME "$out")\"
password = \"$PASSWORD\"
poll_interval = \"100ms\"
route = \"ons\"
${BENCH_ZORGMAIL_EXTRA:-}" seeded
processed="$round_processed" daemon_seconds="$round_seconds" daemon_rate="$round_rate"
daemon_cpu="$round_cpu" standins_cpu="$round_standins_cpu" final_counts="$round_counts"
daemon_memory="$round_memory"
daemon_latency="$round_latency" daemon_placed="$round_placed"
daemon_exact_seconds="$round_exact_seconds" daemon_exact_rate="$round_exact_rate"
cp "$work/zorgmail-metrics.txt" "$work/metrics.txt" 2>/dev/null || true
metrics_count="$(grep -m1 '^ketenpost_delivery_latency_seconds_count' "$work/metrics.txt" | awk '{print $2}' || true)"

# The same files through a folder mailbox, moved in at once: the input Node-RED gets below.
folder_row=""
if [ "${BENCH_SKIP_FOLDER:-0}" != 1 ]; then
  start_standins folder-standins
  mkdir -p "$work/folder-in"
  daemon_round folder "$work/folder-standins.out" "$started_pid" "[[mailboxes]]
name = \"drop\"
kind = \"folder\"
path = \"$work/folder-in\"
poll_interval = \"100ms\"
route = \"ons\"" "dropped:$work/folder-in"
  folder_row="| folder mailbox (the files Node-RED gets, moved in at once) | $round_processed processed, $round_placed placed at the stand-in | ${round_exact_seconds} s (first file moved -> last placement recorded; polled: ${round_seconds} s) | **$round_exact_rate messages/s** | $(field "$round_latency" latency.p50_ms) ms | $(field "$round_latency" latency.p99_ms) ms | $(field "$round_latency" latency.max_ms) ms | $(per_message "$round_cpu" "$round_processed") ms |"
fi

# --- 2. Node-RED ------------------------------------------------------------------------------
nr_rate="-" nr_seconds="-" nr_latency="{}" nr_paced="{}" nr_placed="-" nr_answered=0
if [ "${BENCH_SKIP_NODE_RED:-0}" != 1 ]; then
  log "node-red: starting a fresh Ons stand-in"
  start_standins nodered-standins
  nr_standins_pid="$started_pid"
  out="$work/nodered-standins.out"
  user_dir="$work/node-red-user"
  drop_dir="$work/drop"
  results="$work/node-red-results.tsv"
  mkdir -p "$user_dir" "$drop_dir"
  cp scripts/bench/node-red-flow.json "$user_dir/flows.json"
  nr_port="$(free_port)"
  log "node-red: starting $(node -p "require('$node_red_dir/node_modules/node-red/package.json').version") on 127.0.0.1:$nr_port"
  BENCH_DROP_DIR="$drop_dir" BENCH_RESULTS="$results" \
    ONS_URL="$(value_of ONS_URL "$out")" \
    ONS_CLIENT_ID="$(grep -m1 "^ONS_CLIENT=.* $BSN\$" "$out" | cut -d= -f2 | cut -d' ' -f1)" \
    ONS_CLIENT_CERT="$(value_of ONS_CLIENT_CERT "$out")" \
    ONS_CLIENT_KEY="$(value_of ONS_CLIENT_KEY "$out")" \
    ONS_CA_CERT="$(value_of ONS_CA_CERT "$out")" \
    NODE_RED_PORT="$nr_port" NODE_RED_FLOW_FILE="$user_dir/flows.json" \
    node "$node_red_dir/node_modules/node-red/red.js" --userDir "$user_dir" \
    --settings "$root/scripts/bench/node-red-settings.js" --port "$nr_port" \
    >"$work/node-red.log" 2>&1 &
  nr_pid=$!
  pids+=("$nr_pid")
  wait_for_line "$work/node-red.log" 'Started flows' 120 "$nr_pid"
  if grep -qE '\[(error|warn)\]' "$work/node-red.log"; then
    grep -E '\[(error|warn)\]' "$work/node-red.log" >&2
  fi
  sleep 1

  answered_so_far() { # round name
    if [ -f "$results" ]; then
      cut -f1 "$results" | grep -c "^$1" || true
    else
      echo 0
    fi
  }

  # One round: move the files of DIR into the watched folder (RATE files/s, 0 = at once) and
  # wait until the flow answered every one of them; prints the figures as JSON.
  nodered_round() {
    local name="$1" dir="$2" rate="$3" count="$4" first
    node "$helpers" drop "$dir" "$work/stage" "$drop_dir" "$work/$name-times.tsv" "$rate"
    first="$(head -1 "$work/$name-times.tsv" | cut -f2)"
    wait_for_count answered "$count" "$first" answered_so_far "$name"
    node "$helpers" nodered-latency "$work/$name-times.tsv" "$results"
  }

  log "node-red: moving $N files into the watched folder at once"
  nr_latency="$(nodered_round m "$work/messages" 0 "$N")"
  nr_answered="$(field "$nr_latency" answered)"
  nr_rate="$(field "$nr_latency" throughput_per_s)"
  nr_seconds="$(field "$nr_latency" first_drop_to_last_answer_s)"
  if [ "$PACED_COUNT" -gt 0 ]; then
    node "$helpers" make-messages fixtures/messages/medvri_lf.edi "$work/paced" "$PACED_COUNT" p
    log "node-red: moving $PACED_COUNT more files in at $PACED_RATE files/s (latency below capacity)"
    nr_paced="$(nodered_round p "$work/paced" "$PACED_RATE" "$PACED_COUNT")"
  fi
  stop "$nr_pid"
  stop "$nr_standins_pid"
  nr_placed="$(placed_at_standin "$work/nodered-standins.err")"
fi

# --- summary ----------------------------------------------------------------------------------
summary="$work/summary.md"
{
  echo "N = $N messages; $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "| | ketenpost (ZorgMail stand-in -> Ons stand-in, durable) | Node-RED $( [ -f "$node_red_dir/node_modules/node-red/package.json" ] && node -p "require('$node_red_dir/node_modules/node-red/package.json').version" || echo 4) (drop folder -> Ons stand-in, not durable) |"
  echo "|---|---|---|"
  echo "| done | $processed processed, $daemon_placed placed at the stand-in | $nr_answered answered ($(field "$nr_latency" statuses | tr -d '\n')), $nr_placed placed at the stand-in (both rounds) |"
  echo "| wall time | ${daemon_exact_seconds} s (daemon start -> last placement recorded; polled: ${daemon_seconds} s to processed == N) | ${nr_seconds} s (first file dropped -> last answer) |"
  echo "| throughput | **$daemon_exact_rate messages/s** (polled: $daemon_rate/s; $(field "$daemon_latency" throughput_in_log_per_s)/s first receipt -> last placement in the log) | **$nr_rate files/s** |"
  echo "| latency p50 | $(field "$daemon_latency" latency.p50_ms) ms (received -> placed) | $(field "$nr_latency" latency_drop_to_answer.p50_ms) ms (dropped -> answered); $(field "$nr_latency" latency_seen_to_answer.p50_ms) ms (seen -> answered) |"
  echo "| latency p99 | $(field "$daemon_latency" latency.p99_ms) ms | $(field "$nr_latency" latency_drop_to_answer.p99_ms) ms; $(field "$nr_latency" latency_seen_to_answer.p99_ms) ms |"
  echo "| latency max | $(field "$daemon_latency" latency.max_ms) ms | $(field "$nr_latency" latency_drop_to_answer.max_ms) ms; $(field "$nr_latency" latency_seen_to_answer.max_ms) ms |"
  echo
  echo "CPU used by ketenpost from its start to processed == N: ${daemon_cpu} s ($(per_message "$daemon_cpu" "$processed") ms per message); by both stand-ins over the same run: ${standins_cpu} s"
  echo "Memory of ketenpost: $daemon_memory; data folder $(du -sh "$work/zorgmail-data" | cut -f1)"
  if [ -n "$folder_row" ]; then
    echo
    echo "| ketenpost, other mailbox | done | wall time | throughput | latency p50 | p99 | max | daemon CPU per message |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "$folder_row"
  fi
  echo "Node-RED paced round: $(field "$nr_paced" answered) files moved in at $PACED_RATE files/s: dropped -> answered p50 $(field "$nr_paced" latency_drop_to_answer.p50_ms) ms, p99 $(field "$nr_paced" latency_drop_to_answer.p99_ms) ms; seen -> answered p50 $(field "$nr_paced" latency_seen_to_answer.p50_ms) ms, p99 $(field "$nr_paced" latency_seen_to_answer.p99_ms) ms"
} >"$summary"
echo
cat "$summary"
echo
echo "ketenpost event log: $(field "$daemon_latency" events | tr -d '\n')"
echo "ketenpost metrics: delivery latency observations $metrics_count; final counts $(printf '%s' "$final_counts" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.stringify(JSON.parse(s).counts))}catch(e){console.log("-")}})')"
grep -E '^ketenpost_log_append_seconds_(sum|count)' "$work/metrics.txt" || true
mkdir -p "$bench_dir"
cp "$summary" "$bench_dir/summary-$(date -u +%Y%m%dT%H%M%SZ).md"
printf '%s\n' "$daemon_latency" >"$bench_dir/last-daemon.json"
printf '%s\n' "$nr_latency" >"$bench_dir/last-node-red.json"
printf '%s\n' "$nr_paced" >"$bench_dir/last-node-red-paced.json"
cp "$work/metrics.txt" "$bench_dir/last-metrics.txt" 2>/dev/null || true
