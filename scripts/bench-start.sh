#!/usr/bin/env bash
# How long the daemon takes to start on a long log: time from `ketenpost run` until /readyz
# answers, and the memory it holds then. The log comes from a kept run of the end-to-end bench:
#
#   BENCH_KEEP=1 BENCH_SKIP_FOLDER=1 BENCH_SKIP_NODE_RED=1 scripts/bench-daemon.sh 20000
#   scripts/bench-start.sh /tmp/ketenpost-bench.XXXXXX [BINARY...]
#
# Each start runs on a fresh copy of the kept data folder; with several binaries (to compare two
# builds) they take turns, three rounds. The mailbox of the kept configuration is gone, so the
# daemon only reports a mailbox problem once it runs; that does not delay readiness.
set -euo pipefail
cd "$(dirname "$0")/.."
kept="${1:?usage: scripts/bench-start.sh KEPT_BENCH_FOLDER [BINARY...]}"
shift
binaries=("$@")
[ "${#binaries[@]}" -gt 0 ] || binaries=("$(pwd)/target/release/ketenpost")
[ -f "$kept/zorgmail.toml" ] || { echo "$kept holds no zorgmail.toml from scripts/bench-daemon.sh" >&2; exit 1; }
port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
copy="$kept/start-data"
config="$kept/start.toml"
sed "s|^listen = .*|listen = \"127.0.0.1:$port\"|; s|^data_dir = .*|data_dir = \"$copy\"|" \
  "$kept/zorgmail.toml" >"$config"
events="$("${binaries[0]}" events --data "$kept/zorgmail-data" | wc -l)"
echo "log of $events events ($(du -sh "$kept/zorgmail-data" | cut -f1) on disk)"

for round in 1 2 3; do
  for binary in "${binaries[@]}"; do
    rm -rf "$copy"
    cp -r "$kept/zorgmail-data" "$copy"
    sync
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
