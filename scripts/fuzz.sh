#!/usr/bin/env bash
# Runs the fuzz target `read_payload` (domain/fuzz) for a bounded time: any bytes through the
# whole read path, nothing may panic. Seeded with the fixtures and the shared sample corpus.
# Installs cargo-fuzz when missing. Uses the nightly toolchain when there is one, otherwise
# stable with RUSTC_BOOTSTRAP (cargo fuzz passes nightly-only flags) and no sanitizer: the
# domain forbids unsafe code, so the target looks for panics, endless loops and memory blow-ups.
#
#   scripts/fuzz.sh [SECONDS]      # default 180; FUZZ_SECONDS works too
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-${FUZZ_SECONDS:-180}}"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked --version 0.13.1
fi

corpus="target/fuzz-corpus/read_payload"
mkdir -p "$corpus"
for f in fixtures/messages/*; do cp "$f" "$corpus/fixture_$(basename "$f")"; done
if [ -d ../shared/samples ]; then
  for f in ../shared/samples/*; do cp "$f" "$corpus/sample_$(basename "$f")"; done
fi

cd domain/fuzz
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  run=(cargo +nightly fuzz run)
else
  export RUSTC_BOOTSTRAP=1
  run=(cargo fuzz run)
fi
# -rss_limit_mb: a payload that makes the reader hold more than 2 GiB is a finding too.
# -timeout: one input taking more than 10 s is a finding (an endless loop).
log="../../target/fuzz-read_payload.log"
if ! "${run[@]}" --sanitizer none read_payload "../../$corpus" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
  tail -n 60 "$log" >&2
  echo "fuzz target read_payload found a failing input (see above; the input is in domain/fuzz/artifacts/)" >&2
  exit 1
fi
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done )' "$log" || true
echo "== fuzzing ran ${seconds} s without a finding"
