#!/usr/bin/env bash
# Checks that `rust-version` in Cargo.toml is the real minimum: no locked dependency (of any
# platform, normal, build or dev) declares a newer `rust-version` than the workspace does.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, re, sys

def version(text):
    return tuple(int(part) for part in (text.split(".") + ["0", "0"])[:3])

meta = json.load(sys.stdin)
declared = re.search(r"^rust-version = \"([0-9.]+)\"", open("Cargo.toml").read(), re.M).group(1)
newer = sorted(
    (version(p["rust_version"]), p["name"], p["version"], p["rust_version"])
    for p in meta["packages"]
    if p.get("rust_version") and version(p["rust_version"]) > version(declared)
)
if newer:
    for _, name, ver, needs in newer:
        print(f"{name} {ver} needs Rust {needs}, but Cargo.toml declares rust-version = {declared}")
    sys.exit(1)
print(f"rust-version {declared} covers every locked dependency")
'
