#!/usr/bin/env bash
# How the daemon's start and memory grow with the log (issue 18): on a data folder built by
# daemon/examples/portal_log.rs (as scripts/bench-portal.sh builds it), starts `ketenpost run`
# with the portal, measures the time from the start until /readyz answers, the resident memory
# then and BENCH_SETTLE seconds later (the chunks verified in the background by then), and
# stops it. Several binaries (to compare two builds) take turns, BENCH_ROUNDS rounds.
#
#   cargo build --release -p ketenpost --example portal_log --bins
#   cargo build --release -p ketenpost-fixtures --bins
#   target/release/examples/portal_log /tmp/log-300k 300000 >/dev/null
#   scripts/bench-start-scale.sh /tmp/log-300k [BINARY...]
#
# The folder is used in place (not copied): the first start records the configuration as
# version 1, every start after it only reads. BENCH_LOG=debug keeps the daemon's log with
# timestamps in DATA.files/start-ROUND-N.log, to see where the time goes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/lib/standins-route.sh"

data="${1:?usage: scripts/bench-start-scale.sh DATA_FOLDER [BINARY...]}"
shift
binaries=("$@")
[ "${#binaries[@]}" -gt 0 ] || binaries=("$root/target/release/ketenpost")
ROUNDS="${BENCH_ROUNDS:-3}"
SETTLE="${BENCH_SETTLE:-20}"
standins="${BENCH_STANDINS:-$root/target/release/ketenpost-standins}"
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_mb() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

# The configuration names the stand-ins' certificates: at the same path every run, since
# version 1 (recorded at the first start) names them.
files="$data.files"
mkdir -p "$files/drop"
declare -a pids=()
cleanup() {
  local pid
  for pid in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]+"${pids[@]}"}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
KETENPOST_STANDINS_PASSWORD="bench-start-$$" "$standins" --cert-dir "$files/certs" \
  --account 500098765 --sender 500012345 >"$files/standins.out" 2>"$files/standins.err" &
pids+=("$!")
until grep -q '^READY=1' "$files/standins.out" 2>/dev/null; do sleep 0.2; done
api_port="$(free_port)"
portal_port="$(free_port)"
config="$files/ketenpost.toml"
{
  printf 'data_dir = "%s"\n[api]\nlisten = "127.0.0.1:%s"\ntoken = "bench-start-token-%s"\n' "$data" "$api_port" "$$"
  printf '[portal]\nlisten = "127.0.0.1:%s"\npublic_url = "http://localhost:%s"\n' "$portal_port" "$portal_port"
  printf '[[mailboxes]]\nname = "drop"\nkind = "folder"\npath = "%s"\nroute = "ons"\n' "$files/drop"
  standins_route_toml "$files/standins.out" 'retry = { attempts = 2, first_delay = "1s", max_delay = "2s" }'
} >"$config"
log "data folder $data: $(du -sh "$data" | cut -f1) on disk"

echo "| round | binary | ready after | resident at ready | resident ${SETTLE} s later | peak (VmHWM) |"
echo "|---:|---|---:|---:|---:|---:|"
for round in $(seq 1 "$ROUNDS"); do
  n=0
  for binary in "${binaries[@]}"; do
    n=$((n + 1))
    out="$files/start-$round-$n.log"
    sync
    started="$(date +%s%3N)"
    RUST_LOG="${BENCH_LOG:-warn}" "$binary" run --config "$config" >/dev/null 2>"$out" &
    pid=$!
    until curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || { tail -20 "$out" >&2; exit 1; }
      sleep 0.01
    done
    ready="$(date +%s%3N)"
    at_ready="$(rss_mb "$pid")"
    sleep "$SETTLE"
    later="$(rss_mb "$pid")"
    peak="$(awk '/^VmHWM/ { printf "%d", $2 / 1024 }' "/proc/$pid/status")"
    kill -TERM "$pid"
    wait "$pid" || true
    echo "| $round | $binary | $((ready - started)) ms | $at_ready MB | $later MB | $peak MB |"
  done
done
