#!/usr/bin/env bash
# How long the daemon takes to start on a long log: time from `ketenpost run` until /readyz
# answers, and the memory it holds then. The log comes from a kept run of the end-to-end bench
# or of the long run; a long run ended with LONG_RUN_STOP=kill leaves a folder as a crash does,
# so the starts are starts after a crash:
#
#   BENCH_KEEP=1 BENCH_SKIP_FOLDER=1 BENCH_SKIP_NODE_RED=1 scripts/bench-daemon.sh 20000
#   scripts/bench-start.sh /tmp/ketenpost-bench.XXXXXX [BINARY...]
#
#   LONG_RUN_KEEP=1 LONG_RUN_STOP=kill scripts/long-run.sh 100000
#   scripts/bench-start.sh /tmp/ketenpost-long-run.XXXXXX [BINARY...]
#
# Each start runs on a fresh copy of the kept data folder (the kept one is never opened); with
# several binaries (to compare two builds) they take turns, three rounds. The mailboxes of the
# kept configuration are gone, so the daemon only reports a mailbox problem once it runs; that
# does not delay readiness.
set -euo pipefail
cd "$(dirname "$0")/.."
kept="${1:?usage: scripts/bench-start.sh KEPT_FOLDER [BINARY...]}"
shift
binaries=("$@")
[ "${#binaries[@]}" -gt 0 ] || binaries=("$(pwd)/target/release/ketenpost")
if [ -f "$kept/zorgmail.toml" ]; then
  kept_config="$kept/zorgmail.toml" kept_data="$kept/zorgmail-data"
elif [ -f "$kept/ketenpost.toml" ]; then
  kept_config="$kept/ketenpost.toml" kept_data="$kept/data"
else
  echo "$kept holds no zorgmail.toml (scripts/bench-daemon.sh) or ketenpost.toml (scripts/long-run.sh)" >&2
  exit 1
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
copy="$kept/start-data"
config="$kept/start.toml"
sed "s|^listen = .*|listen = \"127.0.0.1:$port\"|; s|^data_dir = .*|data_dir = \"$copy\"|" \
  "$kept_config" >"$config"
fresh_copy() {
  rm -rf "$copy"
  cp -r "$kept_data" "$copy"
  rm -f "$copy/admin.sock"
  sync
}
fresh_copy
events="$("${binaries[0]}" events --data "$copy" | wc -l)"
echo "log of $events events ($(du -sh "$kept_data" | cut -f1) on disk)"

for round in 1 2 3; do
  for binary in "${binaries[@]}"; do
    fresh_copy
    start="$(date +%s%3N)"
    RUST_LOG=warn "$binary" run --config "$config" >"$kept/start.out" 2>"$kept/start.log" &
    pid=$!
    until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
      kill -0 "$pid" 2>/dev/null || { tail -5 "$kept/start.log" >&2; exit 1; }
      sleep 0.01
    done
    ready="$(date +%s%3N)"
    rss="$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")"
    kill -TERM "$pid"
    wait "$pid" || true
    echo "round $round, $binary: ready after $((ready - start)) ms, RSS $((rss / 1024)) MB"
  done
done
rm -rf "$copy" "$config"
