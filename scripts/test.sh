#!/usr/bin/env bash
# Runs every test of ketenpost: formatting, lints, unit, integration, property and conformance
# tests. On a fresh Debian machine it first installs what the tests need (poppler-utils for
# pdftotext and pdfinfo, strace for the fsync-before-acknowledge test in daemon/tests/crash_fsync.rs,
# e2fsprogs for the full-disk test, a C compiler for the TLS crypto library, and the independent
# PDF/A checker: qpdf and Python with pikepdf in a venv under target/), then builds the Debian
# package and installs, checks and purges it (cargo-deb is installed when missing), and runs the
# fuzz target for a bounded time (FUZZ_SECONDS, default 180; cargo-fuzz is installed when
# missing). Run it as root in CI: the full-disk test mounts a loop filesystem and the package
# test installs the package.
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
# The portal's tests: a real SMTP server (scripts/smtp-sink.py on aiosmtpd, Debian's Python).
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || missing+=(python3-aiosmtpd)
# The portal's browser test (daemon/tests/portal_browser.rs): headless chromium and its driver.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}"
fi

# --- PDF/A check (adapters/tests/pdfa.rs runs scripts/pdfa_check.py) ---------------------------
# qpdf and pdffonts (poppler-utils) from Debian; pikepdf from PyPI into a venv under target/, so
# nothing is installed into the system Python.
pdfa_missing=()
command -v qpdf >/dev/null 2>&1 || pdfa_missing+=(qpdf)
command -v python3 >/dev/null 2>&1 || pdfa_missing+=(python3)
python3 -c 'import ensurepip' >/dev/null 2>&1 || pdfa_missing+=(python3-venv)
if [ ${#pdfa_missing[@]} -gt 0 ]; then
  echo "== installing ${pdfa_missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${pdfa_missing[@]}"
fi
pdfa_venv=target/pdfa-venv
if ! "$pdfa_venv/bin/python" -c 'import pikepdf' >/dev/null 2>&1; then
  echo "== installing pikepdf into $pdfa_venv"
  python3 -m venv "$pdfa_venv"
  "$pdfa_venv/bin/pip" install --quiet --disable-pip-version-check 'pikepdf==10.18.0'
fi
export KETENPOST_PDFA_PYTHON="$PWD/$pdfa_venv/bin/python"
# -----------------------------------------------------------------------------------------------

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is needed: install Rust $(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml) or newer with rustup (https://rustup.rs)" >&2
  exit 1
fi

# --- RabbitMQ (daemon/tests/amqp_*.rs: the owner and workers over a real broker) ---------------
# Debian's rabbitmq-server, started once for all tests (each test uses queue names of its own)
# and stopped at the end when this script started it.
if ! command -v rabbitmq-server >/dev/null 2>&1; then
  echo "== installing rabbitmq-server"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq rabbitmq-server
fi
# Every broker command has a time limit: a wedged broker must fail the run, not hang it.
broker_ctl() { as_root env RABBITMQ_PID_FILE="${RABBITMQ_PID_FILE:-}" timeout "$1" rabbitmqctl "${@:2}"; }
if [ -z "${KETENPOST_TEST_AMQP_URL:-}" ]; then
  if [ "${CI:-}" = true ] && broker_ctl 30 -q status >/dev/null 2>&1; then
    # A broker the package's installation started has its own data and limits: in CI the
    # tests use one of their own, as below.
    echo "== stopping the rabbitmq-server that was running"
    broker_ctl 120 -q stop >/dev/null 2>&1 || as_root pkill -KILL -u rabbitmq || true
  fi
  if ! broker_ctl 30 -q status >/dev/null 2>&1; then
    # A broker still stopping holds the node's ports: a second one started now would fail.
    for _ in $(seq 60); do pgrep -u rabbitmq beam.smp >/dev/null 2>&1 || break; sleep 1; done
    echo "== starting rabbitmq-server"
    # The broker runs as the rabbitmq user, which writes its pid file, data and configuration:
    # in its own home, not in this (root's) checkout. Its data starts empty on every run, so no
    # queue of an earlier run weighs on it.
    broker_home=/var/lib/rabbitmq/ketenpost-test
    export RABBITMQ_PID_FILE="$broker_home/broker.pid"
    as_root rm -rf "$broker_home"
    as_root install -d -o rabbitmq -g rabbitmq "$broker_home"
    # The disk alarm blocks every publisher while less than its limit is free (50 MB by
    # default). A CI machine's disk fills with build output, and the tests are not about the
    # broker's own disk: the limit is the least there is.
    echo 'disk_free_limit.absolute = 1' | as_root tee "$broker_home/rabbitmq.conf" >/dev/null
    as_root env RABBITMQ_PID_FILE="$RABBITMQ_PID_FILE" RABBITMQ_MNESIA_BASE="$broker_home/mnesia" \
      RABBITMQ_CONFIG_FILE="$broker_home/rabbitmq.conf" rabbitmq-server -detached
    # `await_startup` right after the start fails: wait on the pid file instead.
    broker_ctl 180 wait "$RABBITMQ_PID_FILE" --timeout 120
    trap 'broker_ctl 120 -q stop >/dev/null 2>&1 || as_root pkill -KILL -u rabbitmq || true' EXIT
  fi
  export KETENPOST_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:5672/%2f"
fi
df -h . /var/lib/rabbitmq | sed 's/^/   /'
# -----------------------------------------------------------------------------------------------

echo "== rust-version is the real minimum"
bash scripts/check-msrv.sh
echo "== rustfmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
if ! cargo test --workspace --locked --no-fail-fast; then
  if [ -n "${RABBITMQ_PID_FILE:-}" ]; then
    echo "== the test broker's alarms and the warnings and errors it logged last"
    as_root timeout 30 rabbitmq-diagnostics -q alarms || true
    grep -h -E '\[(warning|error)\]' /var/log/rabbitmq/rabbit@*.log 2>/dev/null | tail -n 20 || true
  fi
  exit 1
fi
echo "== Debian package: build, install, check, purge"
bash scripts/test-package.sh
echo "== the README's demo, once"
bash scripts/test-demo.sh
echo "== fuzz (read_payload, ${FUZZ_SECONDS:-180} s)"
bash scripts/fuzz.sh "${FUZZ_SECONDS:-180}"
echo "== all tests passed"
