#!/usr/bin/env bash
# The main job, on this machine: starts local stand-ins for a ZorgMail mailbox and the Nedap Ons
# API (mutual TLS), puts the project's fixture messages in the mailbox, and runs the ketenpost
# daemon against them with its embedded defaults (an event log in out/demo/data, processing
# in-process). It prints the API address and what to try, and runs until ctrl-c (which stops
# the daemon the way SIGTERM does: the work in hand finishes first).
#
#   scripts/demo.sh            run until ctrl-c
#   scripts/demo.sh --once     show the outcome and stop (for a quick check)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/standins-route.sh
. scripts/lib/standins-route.sh
once=false
[ "${1:-}" = "--once" ] && once=true
out="$PWD/out/demo"  # absolute: paths in a configuration file are relative to the file

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is needed: install Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) or newer with rustup (https://rustup.rs)" >&2
  exit 1
fi

echo "== building"
cargo build --release --locked --quiet -p ketenpost -p ketenpost-fixtures
bin=target/release/ketenpost
rm -rf "$out"
mkdir -p "$out/drop" "$out/certs"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "== starting the stand-ins (ZorgMail mailbox with every fixture, Ons with one client)"
password="demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
messages=()
for file in fixtures/messages/*; do messages+=(--message "$file"); done
KETENPOST_STANDINS_PASSWORD="$password" target/release/ketenpost-standins \
  --cert-dir "$out/certs" --account 500098765 "${messages[@]}" \
  --client "999990019,Jan,de Wolf,1988-06-21" >"$out/standins.txt" 2>"$out/standins.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^READY=1' "$out/standins.txt" 2>/dev/null && break; sleep 0.1; done
grep -q '^READY=1' "$out/standins.txt" || { echo "the stand-ins did not start; see $out/standins.log" >&2; exit 1; }

port=8080
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
token="$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
config="$out/ketenpost.toml"
cat >"$config" <<TOML
# Written by scripts/demo.sh: the daemon against the local stand-ins.
data_dir = "$out/data"
[api]
listen = "127.0.0.1:$port"
token = "$token"
[[mailboxes]]
name = "lab-noordwest"
kind = "zorgmail"
endpoint = "$(standins_value ZORGMAIL_URL "$out/standins.txt")"
account_id = "500098765"
username = "ketenpost"
password = "$password"
poll_interval = "2s"
route = "ons"
[[mailboxes]]
name = "drop"
kind = "folder"
path = "$out/drop"
poll_interval = "1s"
route = "ons"
TOML
standins_route_toml "$out/standins.txt" 'retry = { attempts = 3, first_delay = "1s", max_delay = "10s" }' >>"$config"
chmod 600 "$config"

echo "== starting ketenpost run"
"$bin" run --config "$config" 2>"$out/ketenpost.log" &
daemon=$!
pids=("$daemon" "${pids[@]}")
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "the daemon did not start; see $out/ketenpost.log" >&2; exit 1; }
# Done when the mailbox has taken in (or named as not taken) every message it held and none is
# waiting or being worked on.
expected=$(( ${#messages[@]} / 2 ))  # --message FILE pairs
done_yet() {
  curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/counts" | python3 -c '
import json, sys
body = json.load(sys.stdin)
counts, expected = body["counts"], int(sys.argv[1])
# Every message accounted for: taken in, or named as one the mailbox cannot take in.
received = sum(
    m.get("received", 0) + m.get("not_taken_count", 0) for m in body.get("mailboxes", {}).values()
)
busy = counts.get("awaiting_delivery", 0) + counts.get("in_flight", 0)
sys.exit(0 if received >= expected and busy == 0 else 1)
' "$expected"
}
waited=0
until done_yet; do
  if [ "$waited" -ge 600 ]; then
    echo "still working after 60 s; the counts below are not final (see $out/ketenpost.log)" >&2
    break
  fi
  sleep 0.1
  waited=$((waited + 1))
done

echo
echo "== ketenpost status --config $config"
"$bin" status --config "$config"
unknown=$("$bin" list unknown_bsn --json --config "$config" --limit 1 2>/dev/null | sed -n 's/.*"stream":"\([^"]*\)".*/\1/p' | head -1)
processed=$("$bin" list processed --json --config "$config" --limit 1 2>/dev/null | sed -n 's/.*"stream":"\([^"]*\)".*/\1/p' | head -1)
echo
echo "The API listens at http://127.0.0.1:$port (token in $config). Try, in another terminal:"
echo "  $bin status --config $config"
echo "  $bin list missing_bsn --config $config"
[ -n "$processed" ] && echo "  $bin show $processed --config $config      # placed, with labels and visibility"
[ -n "$unknown" ] && echo "  $bin show $unknown --config $config      # unknown BSN"
[ -n "$unknown" ] && echo "  $bin resend $unknown --config $config    # herzenden: still unknown, so back in unknown_bsn"
echo "  curl -H \"Authorization: Bearer \$(sed -n 's/^token = \"\\(.*\\)\"/\\1/p' $config)\" http://127.0.0.1:$port/api/v1/counts"
echo "  curl http://127.0.0.1:$port/metrics"
echo "  cp fixtures/messages/medlab_full.edi $out/drop/    # the folder mailbox takes it in"
echo "Logs: $out/ketenpost.log; data: $out/data."
if $once; then exit 0; fi
echo "Press ctrl-c to stop."
wait "$daemon"
