#!/usr/bin/env bash
# The long run (issue 18): feeds N messages through the daemon in waves, on one data folder,
# with retention set to minutes, and prints a row every REPORT messages: resident memory,
# data folder size, messages per second, p99 latency, and the time the daemon took to start on
# that log. Not a test: a measurement to repeat; the goal is every column flat.
#
# Usage: scripts/long-run.sh [N]        (default 1000000)
#   LONG_RUN_WAVE=20000        messages per wave (the stand-ins are seeded with one wave at a
#                              time: a million letters and their PDFs do not fit in memory)
#   LONG_RUN_REPORT=100000     a row every this many messages (and after the first wave)
#   LONG_RUN_RETENTION=2m      keep_processed and keep_other
#   LONG_RUN_HISTORY=2m        keep_history (a message's events, after its retention)
#   LONG_RUN_PROFILE=release   or debug (no release build; numbers are then not comparable)
#   LONG_RUN_KEEP=1            keep the work folder
#   LONG_RUN_DAEMON_WRAPPER   a command put in front of the daemon (e.g. heaptrack -o FILE)
#   LONG_RUN_DAEMON_BIN=PATH   run this daemon binary instead of the one built here (to compare
#                              two builds on copies of one kept folder)
#   LONG_RUN_CONTINUE=DIR      go on with a kept work folder (its data, addresses and
#                              certificates): N more messages on top of what it holds
#   LONG_RUN_STOP=kill         end each wave by killing the daemon (SIGKILL, as a crash or a
#                              power loss leaves the process) instead of stopping it (SIGTERM):
#                              the start column is then the start after a crash
#
# The daemon runs with the allocator settings of deploy/ketenpost.service (MIMALLOC_*), unless
# they are set already.
#
# Each wave: the MEDVRI fixture with a unique interchange reference per message is written
# into a folder, the stand-ins start seeded from it (--message-dir, --forget-documents), the
# daemon starts on the same data folder (the time to /readyz is the start time on that log),
# takes in and places the wave, and is stopped. Memory is the daemon's VmRSS at the end of the
# wave; p99 is from its delivery-latency histogram (received -> placed) for that wave.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/standins-route.sh
. "$root/scripts/lib/standins-route.sh"

N="${1:-${LONG_RUN_MESSAGES:-1000000}}"
WAVE="${LONG_RUN_WAVE:-20000}"
REPORT="${LONG_RUN_REPORT:-100000}"
RETENTION="${LONG_RUN_RETENTION:-2m}"
HISTORY="${LONG_RUN_HISTORY:-2m}"
PROFILE="${LONG_RUN_PROFILE:-release}"
TOKEN="long-run-token-$(date +%s)-$$"
# As deployed: the allocator's settings from the service unit.
while IFS='=' read -r name value; do
  [ -n "${!name:-}" ] || export "$name=$value"
done < <(sed -n 's/^Environment=\(MIMALLOC_[A-Z_]*=.*\)$/\1/p' "$root/deploy/ketenpost.service")
PASSWORD="long-run-pw-$$"
for v in N WAVE REPORT; do
  case "${!v}" in '' | *[!0-9]*) echo "$v must be a number, got ${!v}" >&2; exit 2 ;; esac
done

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { date +%s%3N; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

if [ "$PROFILE" = release ]; then
  log "building release binaries"
  cargo build --release --locked --quiet -p ketenpost -p ketenpost-fixtures
else
  cargo build --locked --quiet -p ketenpost -p ketenpost-fixtures
fi
daemon_bin="${LONG_RUN_DAEMON_BIN:-$root/target/$PROFILE/ketenpost}"
standins_bin="$root/target/$PROFILE/ketenpost-standins"

if [ -n "${LONG_RUN_CONTINUE:-}" ]; then
  work="$LONG_RUN_CONTINUE"
  [ -f "$work/ketenpost.toml" ] || { echo "$work holds no ketenpost.toml of an earlier run" >&2; exit 2; }
  LONG_RUN_KEEP=1
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/ketenpost-long-run.XXXXXX")"
fi
data="$work/data"
declare -a pids=()
cleanup() {
  local pid
  for pid in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]+"${pids[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  if [ "${LONG_RUN_KEEP:-0}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
stop() { # PID [SIGNAL]
  local pid="$1" left=()
  kill -"${2:-TERM}" "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || left+=("$p"); done
  pids=("${left[@]+"${left[@]}"}")
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api() { curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$api_port$1"; }
# Messages placed since this daemon started (a wave's daemon starts with the wave). Not the
# count of Verwerkt: messages past keep_history leave it.
placed() { api /metrics | awk '/^ketenpost_messages_placed_total/ { n += $NF } END { printf "%d", n }'; }

# WAVE messages numbered from FIRST into a fresh folder.
make_wave() { # FIRST FOLDER
  rm -rf "$2" && mkdir -p "$2"
  python3 - "$1" "$WAVE" "$2" fixtures/messages/medvri_lf.edi <<'PY'
import sys, pathlib
first, count, folder, template = int(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4]).read_text()
for n in range(first, first + count):
    (folder / f"{n:08d}.edi").write_text(template.replace("IC1001", f"L{n:08d}"))
PY
}

# User and system CPU seconds process PID has used (its threads, not its ended children).
cpu_seconds() { # PID
  python3 - "$1" <<'PY'
import os, sys
fields = open(f"/proc/{sys.argv[1]}/stat").read().rsplit(")", 1)[1].split()
print((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
PY
}

# p99 of the delivery latency, in ms, from the daemon's /metrics (one wave: it was started anew).
p99_ms() {
  python3 -c '
import re, sys
buckets, total = [], 0.0
for line in sys.stdin:
    m = re.match(r"ketenpost_delivery_latency_seconds_bucket\{.*le=\"([^\"]+)\".*\} (\S+)", line)
    if m:
        buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
    m = re.match(r"ketenpost_delivery_latency_seconds_count(\{.*\})? (\S+)", line)
    if m:
        total = float(m.group(2))
for le, cumulative in sorted(buckets):
    if total and cumulative >= 0.99 * total:
        print("<= %g" % (le * 1000) if le != float("inf") else "> last bucket"); break
else:
    print("-")'
}

echo "| messages | resident memory | data folder | messages/s (wave) | p99 received -> placed (ms) | start on that log | daemon CPU per 1,000 (wave) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
done_so_far=0
# The same addresses and certificate folder for every wave: the routing recorded at the first
# start (configuration version 1) stays in force, and names them.
if [ -n "${LONG_RUN_CONTINUE:-}" ]; then
  earlier() { sed -n "s|$1|\\1|p" "$work/ketenpost.toml" | head -1; }
  api_port="$(earlier '^listen = "127.0.0.1:\([0-9]*\)"')"
  zorgmail_port="$(earlier '^endpoint = "https\{0,1\}://127.0.0.1:\([0-9]*\).*')"
  ons_port="$(earlier '^base_url = "https\{0,1\}://127.0.0.1:\([0-9]*\).*')"
  TOKEN="$(earlier '^token = "\(.*\)"')"
  PASSWORD="$(earlier '^password = "\(.*\)"')"
  done_so_far="$(find "$work/wave" -name '*.edi' | sort | tail -1 | sed 's/.*\/0*\([0-9]*\)\.edi/\1/')"
  done_so_far=$((done_so_far + 1))
  N=$((done_so_far + N))
  log "going on from $done_so_far messages"
else
  api_port="$(free_port)"
  zorgmail_port="$(free_port)"
  ons_port="$(free_port)"
fi
next_report=$((done_so_far + REPORT))
while [ "$done_so_far" -lt "$N" ]; do
  wave_dir="$work/wave"
  make_wave "$done_so_far" "$wave_dir"
  # Ids numbered after the earlier waves': one mailbox, and an id seen before in it is a
  # redelivery (deleted, not recorded).
  KETENPOST_STANDINS_PASSWORD="$PASSWORD" "$standins_bin" --cert-dir "$work/certs" \
    --zorgmail-bind "127.0.0.1:$zorgmail_port" --ons-bind "127.0.0.1:$ons_port" \
    --ids-after "$done_so_far" \
    --account 500098765 --sender 500012345 --client "999990019,Jan,Wolf,1988-06-21" \
    --message-dir "$wave_dir" --forget-documents >"$work/standins.out" 2>"$work/standins.err" &
  standins_pid=$!
  pids+=("$standins_pid")
  until grep -q '^READY=1' "$work/standins.out" 2>/dev/null; do
    kill -0 "$standins_pid" 2>/dev/null || { echo "the stand-ins ended:" >&2; cat "$work/standins.err" >&2; exit 1; }
    sleep 0.2
  done
  config="$work/ketenpost.toml"
  {
    printf 'data_dir = "%s"\nworkers = 32\n[api]\nlisten = "127.0.0.1:%s"\ntoken = "%s"\n' "$data" "$api_port" "$TOKEN"
    printf '[retention]\nkeep_processed = "%s"\nkeep_other = "%s"\nkeep_history = "%s"\n' "$RETENTION" "$RETENTION" "$HISTORY"
    printf '[[mailboxes]]\nname = "zorgmail"\nkind = "zorgmail"\nendpoint = "%s"\naccount_id = "%s"\nusername = "%s"\npassword = "%s"\npoll_interval = "200ms"\nroute = "ons"\n' \
      "$(standins_value ZORGMAIL_URL "$work/standins.out")" "$(standins_value ZORGMAIL_ACCOUNT "$work/standins.out")" \
      "$(standins_value ZORGMAIL_USERNAME "$work/standins.out")" "$PASSWORD"
    standins_route_toml "$work/standins.out" 'retry = { attempts = 5, first_delay = "200ms", max_delay = "2s" }'
  } >"$config"
  started="$(now_ms)"
  # shellcheck disable=SC2086
  RUST_LOG=warn ${LONG_RUN_DAEMON_WRAPPER:-} "$daemon_bin" run --config "$config" >"$work/daemon.out" 2>>"$work/daemon.log" &
  daemon_pid=$!
  pids+=("$daemon_pid")
  until curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; do
    kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/daemon.log" >&2; exit 1; }
    sleep 0.05
  done
  ready="$(now_ms)"
  start_s="$(python3 -c "print('%.2f' % (($ready - $started) / 1000))")"
  # This wave is done when its daemon has placed the wave.
  target="$WAVE"
  last_count=-1
  last_change="$(now_ms)"
  while :; do
    count="$(placed)"
    [ "$count" -ge "$target" ] && break
    kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/daemon.log" >&2; exit 1; }
    if [ "$count" != "$last_count" ]; then
      last_count="$count"
      last_change="$(now_ms)"
    elif [ $(($(now_ms) - last_change)) -gt 120000 ]; then
      echo "stalled at $count placed of $target for 2 minutes; see $work/daemon.log" >&2
      LONG_RUN_KEEP=1
      exit 1
    fi
    sleep 0.5
  done
  finished="$(now_ms)"
  rate="$(python3 -c "print(round($WAVE / max(0.001, ($finished - $ready) / 1000)))")"
  rss_mb="$(awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$daemon_pid/status")"
  # CPU the daemon used from its start to the wave's end (user and system), per 1,000
  # messages: what a wave cost whatever else the machine was doing meanwhile.
  cpu_s="$(cpu_seconds "$daemon_pid")"
  metrics="$(api /metrics)"
  p99="$(p99_ms <<<"$metrics")"
  journal_mb="$(awk '/^ketenpost_store_journal_bytes / { printf "%d", $2 / 1048576 }' <<<"$metrics")"
  # What this wave's retention sweeps did beside the intake.
  expired="$(awk '/^ketenpost_retention_messages_expired_total / { printf "%d", $2 }' <<<"$metrics")"
  forgotten="$(awk '/^ketenpost_retention_histories_forgotten_total / { printf "%d", $2 }' <<<"$metrics")"
  if [ "${LONG_RUN_STOP:-term}" = kill ]; then stop "$daemon_pid" KILL; else stop "$daemon_pid"; fi
  stop "$standins_pid"
  done_so_far=$((done_so_far + WAVE))
  size_mb="$(du -sm "$data" | cut -f1)"
  if [ "$done_so_far" -ge "$next_report" ] || [ "$done_so_far" = "$WAVE" ] || [ "$done_so_far" -ge "$N" ]; then
    echo "| $done_so_far | $rss_mb MB | $size_mb MB | $rate | $p99 | $start_s s | $(python3 -c "print('%.2f s' % ($cpu_s * 1000 / $WAVE))") |"
    while [ "$next_report" -le "$done_so_far" ]; do next_report=$((next_report + REPORT)); done
  fi
  log "wave done: $done_so_far of $N (the store's journal at its end: ${journal_mb:-?} MB;" \
    "the sweep ended ${expired:-?} messages' retention and forgot ${forgotten:-?} histories)"
done
