#!/usr/bin/env bash
# Shows ketenpost's main job on the project's own fixtures: builds it, reads every fixture
# (parse), renders every letter and lab report to PDF (render), records every fixture in an
# event log (import) with its counts per category (status), and says where everything is.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-out}"

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is needed: install Rust with rustup (https://rustup.rs)" >&2
  exit 1
fi
cargo build --release --locked --quiet
bin=target/release/ketenpost
mkdir -p "$out/pdf"

echo "== what is in each fixture (ketenpost parse)"
"$bin" parse fixtures/messages/* 2>&1 | sed 's|^fixtures/messages/||' || true
"$bin" parse --json fixtures/messages/* >"$out/parse.jsonl" 2>"$out/parse-errors.txt" || true

echo
echo "== rendering letters and lab reports (ketenpost render)"
count=0
for file in fixtures/messages/*.edi; do
  case "$(basename "$file")" in malformed_*) continue ;; esac
  while IFS= read -r pdf; do
    [ -n "$pdf" ] && count=$((count + 1))
  done < <("$bin" render "$file" --out "$out/pdf" 2>/dev/null || true)
done

echo
echo "== recording every fixture in the event log (ketenpost import, status)"
rm -rf "$out/data"
"$bin" import --data "$out/data" fixtures/messages/* >"$out/imported.txt"
"$bin" status --data "$out/data"

echo
echo "Rendered $count PDF documents into $(cd "$out/pdf" && pwd)"
echo "The JSON of every message is in $(cd "$out" && pwd)/parse.jsonl; malformed files are listed in $out/parse-errors.txt"
echo "The event log is in $(cd "$out/data" && pwd); try:"
echo "  $bin list missing_bsn --data $out/data"
echo "  $bin show \$(head -1 $out/imported.txt | cut -d' ' -f2) --data $out/data"
echo "  $bin events --data $out/data | head"
