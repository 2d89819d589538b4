#!/usr/bin/env bash
# The portal at scale: builds a data folder of N messages (default 1,000,000) written straight
# through the event-log adapter (daemon/examples/portal_log.rs: six categories, 300 senders,
# about 20,000 clients with valid BSNs and Dutch names), starts the daemon with the portal on
# it, and measures the daemon's own time (the Server-Timing header) for the counts, a tab's
# first and a deep page, BSN, name and sender searches (p50/p95 over BENCH_REQUESTS requests,
# default 200), and its resident memory before and after paging through BENCH_PAGES pages
# (default 1000). Prints a Markdown table (scripts/bench-portal.py).
#
#   scripts/bench-portal.sh [N]
#   BENCH_PORTAL_DATA=/tmp/kept scripts/bench-portal.sh N   # build once into /tmp/kept, reuse
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. "$root/scripts/lib/standins-route.sh"

N="${1:-1000000}"
case "$N" in '' | *[!0-9]*) echo "N must be a number, got $N" >&2; exit 2 ;; esac
PROFILE="${BENCH_PROFILE:-release}"
log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 1; }

flag=(); [ "$PROFILE" = release ] && flag=(--release)
log "building ($PROFILE)"
cargo build "${flag[@]}" --locked --quiet -p ketenpost -p ketenpost-fixtures --bins --example portal_log
bin="$root/target/$PROFILE"

work="$(mktemp -d "${TMPDIR:-/tmp}/ketenpost-portal-bench.XXXXXX")"
data="${BENCH_PORTAL_DATA:-$work/data}"
# The certificates and the drop folder the configuration names: beside a kept data folder, at
# the same paths each run, since its configuration version 1 (recorded at the first start)
# names them.
files="$work"
if [ -n "${BENCH_PORTAL_DATA:-}" ]; then files="$BENCH_PORTAL_DATA.files"; mkdir -p "$files"; fi
declare -a pids=()
cleanup() {
  local pid
  for pid in "${pids[@]+"${pids[@]}"}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]+"${pids[@]}"}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ -f "$data/searches.txt" ]; then
  log "reusing $data"
else
  log "writing $N messages into $data"
  start="$(date +%s)"
  "$bin/examples/portal_log" "$data" "$N" >"$work/searches.txt"
  cp "$work/searches.txt" "$data/searches.txt"
  log "built in $(( $(date +%s) - start )) s, $(du -sh "$data" | cut -f1) on disk"
fi

PASSWORD="bench-portal-pw-$$"
KETENPOST_STANDINS_PASSWORD="$PASSWORD" "$bin/ketenpost-standins" --cert-dir "$files/certs" \
  --account 500098765 --sender 500012345 >"$work/standins.out" 2>"$work/standins.err" &
pids+=("$!")
until grep -q '^READY=1' "$work/standins.out" 2>/dev/null; do sleep 0.2; done
api_port="$(free_port)"
portal_port="$(free_port)"
mkdir -p "$files/drop"
config="$work/ketenpost.toml"
{
  printf 'data_dir = "%s"\n[api]\nlisten = "127.0.0.1:%s"\ntoken = "bench-portal-token-%s"\n' "$data" "$api_port" "$$"
  printf '[portal]\nlisten = "127.0.0.1:%s"\npublic_url = "http://localhost:%s"\nserver_timing = true\n' \
    "$portal_port" "$portal_port"
  printf '[[mailboxes]]\nname = "drop"\nkind = "folder"\npath = "%s"\nroute = "ons"\n' "$files/drop"
  standins_route_toml "$work/standins.out" 'retry = { attempts = 2, first_delay = "1s", max_delay = "2s" }'
} >"$config"

link="$("$bin/ketenpost" user add "bench-$$@zorggroep.example" --name "Bench" --role secretariaat \
  --print-link --config "$config" | grep -o 'http://[^ ]*' | head -1)"
started="$(date +%s%3N)"
RUST_LOG=warn "$bin/ketenpost" run --config "$config" >"$work/daemon.out" 2>"$work/daemon.log" &
daemon_pid=$!
pids+=("$daemon_pid")
until curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; do
  kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$work/daemon.log" >&2; exit 1; }
  sleep 0.1
done
log "daemon ready after $(( $(date +%s%3N) - started )) ms, $(du -sh "$data" | cut -f1) on disk"
python3 "$root/scripts/bench-portal.py" "http://localhost:$portal_port" "$link" "$data/searches.txt" "$daemon_pid"
