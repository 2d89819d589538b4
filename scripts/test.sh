#!/usr/bin/env bash
# Runs every test of ketenpost: formatting, lints, unit, integration, property and conformance
# tests. On a fresh Debian machine it first installs what the tests need (poppler-utils for
# pdftotext and pdfinfo, strace for the fsync-before-acknowledge test in daemon/tests/crash_fsync.rs,
# e2fsprogs for the full-disk test, a C compiler for the TLS crypto library), then builds the
# Debian package and installs, checks and purges it (cargo-deb is installed when missing), and
# runs the fuzz target for a bounded time (FUZZ_SECONDS, default 180; cargo-fuzz is installed
# when missing). Run it as root in CI: the full-disk test mounts a loop filesystem and the
# package test installs the package.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || missing+=(poppler-utils)
command -v strace >/dev/null 2>&1 || missing+=(strace)
# daemon/tests/disk_full.rs mounts a small ext4 filesystem on a loop device: it needs root
# (under CI=true it fails rather than skips without it) and mkfs.ext4.
command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is needed: install Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) or newer with rustup (https://rustup.rs)" >&2
  exit 1
fi

echo "== rust-version is the real minimum"
bash scripts/check-msrv.sh
echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
echo "== Debian package: build, install, check, purge"
bash scripts/test-package.sh
echo "== fuzz (read_payload, ${FUZZ_SECONDS:-180} s)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-180}"
echo "== all tests passed"
