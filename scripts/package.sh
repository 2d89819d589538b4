#!/usr/bin/env bash
# Builds the Debian package target/debian/ketenpost_<version>-1_<arch>.deb: the release binary,
# its man pages and shell completions (generated from the command line), the systemd unit and
# the example configuration. Installs cargo-deb when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo deb --version >/dev/null 2>&1; then
  echo "== installing cargo-deb"
  cargo install cargo-deb --locked --version 3.8.0
fi
cargo build --release --locked -p ketenpost
rm -rf target/package-assets
target/release/ketenpost generate man --out target/package-assets/man >/dev/null
target/release/ketenpost generate completions --out target/package-assets/completions >/dev/null
cargo deb -p ketenpost --no-build --locked --output target/debian/ >/dev/null
ls target/debian/ketenpost_*.deb
