#!/usr/bin/env bash
# Scale-out benchmark over loopback (not a test): N MEDVRI letters wait in the ZorgMail
# stand-in; `ketenpost run` with [amqp] (the owner) pulls them and hands the work through a
# local RabbitMQ to W `ketenpost worker` processes, which render and place each letter in the
# Ons stand-in. Rounds:
#   - the Ons stand-in answering after BENCH_ONS_DELAY_MS (default 200 ms) with 1, 2 and 4
#     workers (the record system is the slow part);
#   - at zero delay: the in-process daemon (no [amqp]) against the owner with 1 worker, to show
#     what the broker costs.
# Per round: throughput (N / seconds from the owner's start to processed == N), latency per
# message from the event log (MessageReceived -> DocumentPlaced, p50/p99), and CPU per message
# of the owner and of the workers together (from /proc, user + system).
#
# Usage: scripts/bench-scaleout.sh [N]   (or BENCH_MESSAGES=N; default 2000)
# Other settings: BENCH_PROFILE (release; `debug` for a quick check that the script works),
# BENCH_ONS_DELAY_MS (200), BENCH_PREFETCH (amqp.prefetch, default 4: what one worker has in hand bounds its share, so the rounds compare workers, not prefetch),
# BENCH_TIMEOUT (seconds per round, 900), KETENPOST_BENCH_AMQP_URL (a running broker; without it
# a local rabbitmq-server is started and stopped, as root).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
# shellcheck source=scripts/lib/standins-route.sh
. "$root/scripts/lib/standins-route.sh"

N="${1:-${BENCH_MESSAGES:-2000}}"
DELAY="${BENCH_ONS_DELAY_MS:-200}"
PREFETCH="${BENCH_PREFETCH:-4}"
TIMEOUT="${BENCH_TIMEOUT:-900}"
BSN=999990019
TOKEN="bench-token-$(date +%s)-$$"
PASSWORD="bench-pw-$$"
case "$N" in '' | *[!0-9]*) echo "N must be a number, got $N" >&2; exit 2 ;; esac

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { date +%s%3N; }

PROFILE="${BENCH_PROFILE:-release}"
log "building $PROFILE binaries"
if [ "$PROFILE" = release ]; then
  cargo build --release --locked --quiet -p ketenpost -p ketenpost-fixtures
else
  cargo build --locked --quiet -p ketenpost -p ketenpost-fixtures
  PROFILE=debug
fi
bin="$root/target/$PROFILE/ketenpost"
standins_bin="$root/target/$PROFILE/ketenpost-standins"

work="$(mktemp -d "${TMPDIR:-/tmp}/ketenpost-bench-scaleout.XXXXXX")"
declare -a pids=()
started_broker=0
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$started_broker" = 1 ]; then rabbitmqctl -q stop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

url="${KETENPOST_BENCH_AMQP_URL:-}"
if [ -z "$url" ]; then
  if ! rabbitmqctl -q status >/dev/null 2>&1; then
    log "starting rabbitmq-server"
    # The broker runs as the rabbitmq user, which writes the pid file: in its own home.
    export RABBITMQ_PID_FILE=/var/lib/rabbitmq/ketenpost-bench.pid
    rm -f "$RABBITMQ_PID_FILE"
    rabbitmq-server -detached
    rabbitmqctl wait "$RABBITMQ_PID_FILE" --timeout 120 >/dev/null
    started_broker=1
  fi
  url="amqp://guest:guest@127.0.0.1:5672/%2f"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_seconds() { # pid: user + system seconds so far
  awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / t }' "/proc/$1/stat" 2>/dev/null || echo 0
}
processed() { # api port
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$1/api/v1/counts" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"].get("processed", 0))' 2>/dev/null || echo 0
}

log "writing $N letters"
mkdir -p "$work/messages"
python3 - "$root/fixtures/messages/medvri_lf.edi" "$work/messages" "$N" <<'PY'
import sys
text = open(sys.argv[1], encoding="latin-1").read()
for n in range(int(sys.argv[3])):
    with open(f"{sys.argv[2]}/{n:06d}.edi", "w", encoding="latin-1") as f:
        f.write(text.replace("IC1001", f"B{n:07d}"))
PY
message_args=()
for f in "$work"/messages/*.edi; do message_args+=(--message "$f"); done

# One round: NAME, Ons delay (ms), workers (0: in-process, no [amqp]). Prints a table row.
round() {
  local name="$1" delay="$2" workers="$3" port config start seconds owner wpids=() w
  KETENPOST_STANDINS_PASSWORD="$PASSWORD" "$standins_bin" --cert-dir "$work/$name-certs" \
    --account 500098765 --sender 500012345 --client "$BSN,Jan,Wolf,1988-06-21" \
    --ons-delay-ms "$delay" "${message_args[@]}" >"$work/$name-standins.out" 2>"$work/$name-standins.err" &
  local standins=$!
  pids+=("$standins")
  until grep -q '^READY=1' "$work/$name-standins.out" 2>/dev/null; do sleep 0.2; done
  port="$(free_port)"
  config="$work/$name.toml"
  {
    printf 'data_dir = "%s"\nworkers = 64\n[api]\nlisten = "127.0.0.1:%s"\ntoken = "%s"\n' "$work/$name-data" "$port" "$TOKEN"
    printf '[[mailboxes]]\nname = "bench"\nkind = "zorgmail"\nendpoint = "%s"\naccount_id = "500098765"\nusername = "ketenpost"\npassword = "%s"\npoll_interval = "100ms"\nroute = "ons"\n' \
      "$(standins_value ZORGMAIL_URL "$work/$name-standins.out")" "$PASSWORD"
    standins_route_toml "$work/$name-standins.out" 'retry = { attempts = 5, first_delay = "200ms", max_delay = "2s" }'
    if [ "$workers" -gt 0 ]; then
      printf '[amqp]\nurl = "%s"\nprefetch = %s\nwork_queue = "bench.%s.%s.work"\nresult_queue = "bench.%s.%s.results"\nevents_exchange = "bench.%s.%s.events"\n' \
        "$url" "$PREFETCH" "$$" "$name" "$$" "$name" "$$" "$name"
    fi
  } >"$config"
  for ((w = 0; w < workers; w++)); do
    RUST_LOG=warn "$bin" worker --config "$config" 2>"$work/$name-worker-$w.log" &
    wpids+=($!)
    pids+=($!)
  done
  start="$(now_ms)"
  RUST_LOG=warn "$bin" run --config "$config" >/dev/null 2>"$work/$name-owner.log" &
  owner=$!
  pids+=("$owner")
  until [ "$(processed "$port")" -ge "$N" ]; do
    kill -0 "$owner" 2>/dev/null || { tail -5 "$work/$name-owner.log" >&2; exit 1; }
    [ $(( $(now_ms) - start )) -lt $((TIMEOUT * 1000)) ] || { echo "round $name timed out" >&2; exit 1; }
    sleep 0.25
  done
  seconds="$(awk -v a="$start" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }')"
  local owner_cpu workers_cpu=0
  owner_cpu="$(cpu_seconds "$owner")"
  for w in "${wpids[@]+"${wpids[@]}"}"; do
    workers_cpu="$(awk -v a="$workers_cpu" -v b="$(cpu_seconds "$w")" 'BEGIN { printf "%.2f", a + b }')"
  done
  for w in "${wpids[@]+"${wpids[@]}"}" "$owner" "$standins"; do kill -TERM "$w" 2>/dev/null || true; wait "$w" 2>/dev/null || true; done
  "$bin" events --data "$work/$name-data" >"$work/$name-events.jsonl"
  python3 - "$work/$name-events.jsonl" "$N" "$seconds" "$owner_cpu" "$workers_cpu" "$name" "$delay" "$workers" <<'PY'
import json, sys
path, n, seconds, owner_cpu, workers_cpu, name, delay, workers = sys.argv[1:]
from datetime import datetime
def ms(text): return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
received, receipt_of, placed = {}, {}, {}
for line in open(path):
    e = json.loads(line)
    if e["type"] == "MessageReceived": received[e["stream"]] = ms(e["recorded_at"])
    elif e["type"] == "MessageParsed": receipt_of[e["stream"]] = e["summary"].rsplit(" of ", 1)[-1]
    elif e["type"] == "DocumentPlaced": placed[e["stream"]] = ms(e["recorded_at"])
lat = sorted(placed[m] - received[receipt_of[m]] for m in placed if receipt_of.get(m) in received)
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
n, seconds = int(n), float(seconds)
kind = "in-process (no [amqp])" if workers == "0" else f"owner + {workers} worker{'s' if workers != '1' else ''}"
print(f"| {kind}, Ons {delay} ms | {len(placed)} | {seconds:.1f} s | {n / seconds:.1f} | {q(0.5):.0f} ms | {q(0.99):.0f} ms "
      f"| {float(owner_cpu) * 1000 / n:.1f} ms | {float(workers_cpu) * 1000 / n:.1f} ms |")
PY
}

echo "| round | placed | time | messages/s | p50 | p99 | owner CPU/message | workers CPU/message |"
echo "|---|---|---|---|---|---|---|---|"
for workers in 1 2 4; do round "slow-$workers" "$DELAY" "$workers"; done
round "fast-inprocess" 0 0
round "fast-1" 0 1
