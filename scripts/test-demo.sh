#!/usr/bin/env bash
# Runs the README's demo once (scripts/demo.sh --once) and checks what it shows a newcomer: it
# printed its counts only once the work was done (nothing in flight or waiting, no "still
# working" line) and every fixture message is accounted for: in a category, or named by the
# mailbox as one it cannot take in.
set -euo pipefail
cd "$(dirname "$0")/.."

output=$(bash scripts/demo.sh --once 2>&1) || { printf '%s\n' "$output" | tail -n 30 >&2; echo "demo: failed" >&2; exit 1; }
count() { printf '%s\n' "$output" | awk -v key="$1" 'NF >= 2 && $(NF-1) == key { print $NF }'; }
failures=0
check() { if "${@:2}"; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi; }

check "the demo did not give up waiting" sh -c "! printf '%s' \"\$1\" | grep -q 'still working'" _ "$output"
check "nothing is in flight when the counts are shown" test "$(count in_flight)" = 0
check "nothing waits for the record system" test "$(count awaiting_delivery)" = 0
check "letters were placed" test "$(count processed)" -gt 0
fixtures=$(find fixtures/messages -maxdepth 1 -type f | wc -l)
categorised=0
for key in processed unsupported missing_bsn unknown_bsn technical_error fallout; do
  categorised=$((categorised + $(count "$key")))
done
not_taken=$(printf '%s\n' "$output" | grep -c 'message "[^"]*": .*stays in the mailbox' || true)
# One interchange may hold several messages, so there are at least as many as fixture files.
check "every fixture is in a category or named as not taken ($categorised + $not_taken for $fixtures files)" \
  test $((categorised + not_taken)) -ge "$fixtures"
if [ "$failures" -gt 0 ]; then
  printf '%s\n' "$output" | grep -v ' WARN ' | tail -n 30 >&2
  exit 1
fi
echo "== the demo shows its counts once the work is done"
