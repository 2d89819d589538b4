#!/usr/bin/env bash
# Installs the Debian package on this machine as an operator would, checks what it put where
# (files, modes, owners, the user, the unit), runs the binary and a configuration check, and
# purges it again. Needs root and dpkg; the package is built by scripts/package.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ] || ! command -v dpkg >/dev/null; then
  echo "== package test skipped: it needs root and dpkg"
  exit 0
fi
if dpkg -s ketenpost >/dev/null 2>&1; then
  echo "ketenpost is already installed on this machine; the package test would replace it" >&2
  exit 1
fi
if [ -e /etc/ketenpost/data.key ]; then
  echo "/etc/ketenpost/data.key is left from an earlier installation; the package test would use it" >&2
  exit 1
fi
deb=$(bash scripts/package.sh | tail -n 1)
failures=0
check() { # check DESCRIPTION COMMAND...
  if "${@:2}" >/dev/null 2>&1; then echo "ok   $1"; else echo "FAIL $1"; failures=$((failures + 1)); fi
}
mode_owner() { [ "$(stat -c '%a %U:%G' "$1")" = "$2" ]; }

echo "== dpkg -i $deb"
dpkg -i "$deb"
# The data key outlives a purge on purpose (postrm); this test's own key goes with it.
trap 'dpkg --purge ketenpost >/dev/null 2>&1 || true; rm -f /etc/ketenpost/data.key; rmdir /etc/ketenpost 2>/dev/null || true' EXIT

check "the binary is /usr/bin/ketenpost, 755 root" mode_owner /usr/bin/ketenpost "755 root:root"
check "ketenpost --version names the version" sh -c "ketenpost --version | grep -qx 'ketenpost $(sed -n 's/^version = \"\(.*\)\"/\1/p' Cargo.toml | head -1)'"
check "the system user ketenpost exists" sh -c "getent passwd ketenpost | grep -q nologin"
check "/etc/ketenpost is 750 root:ketenpost" mode_owner /etc/ketenpost "750 root:ketenpost"
check "the configuration is a conffile, 640 root:ketenpost" sh -c "mode_owner() { [ \"\$(stat -c '%a %U:%G' \"\$1\")\" = \"\$2\" ]; }; mode_owner /etc/ketenpost/ketenpost.toml '640 root:ketenpost' && dpkg-query -W -f='\${Conffiles}' ketenpost | grep -q /etc/ketenpost/ketenpost.toml"
check "/var/lib/ketenpost is 700 ketenpost:ketenpost" mode_owner /var/lib/ketenpost "700 ketenpost:ketenpost"
check "the drop folder /var/spool/ketenpost/in is 700 ketenpost" mode_owner /var/spool/ketenpost/in "700 ketenpost:ketenpost"
check "the backup folder /var/backups/ketenpost is 700 ketenpost" mode_owner /var/backups/ketenpost "700 ketenpost:ketenpost"
check "the data key the configuration names is made, 600 ketenpost" mode_owner /etc/ketenpost/data.key "600 ketenpost:ketenpost"
check "the data key holds 64 hex digits" grep -Eqx '[0-9a-f]{64}' /etc/ketenpost/data.key
key_before=$(cat /etc/ketenpost/data.key)
dpkg -i "$deb" >/dev/null
check "installing again keeps the data key" test "$(cat /etc/ketenpost/data.key)" = "$key_before"
check "the man pages are installed" sh -c "ls /usr/share/man/man1/ketenpost.1* /usr/share/man/man1/ketenpost-run.1*"
check "the man page documents run --check" sh -c "zcat -f /usr/share/man/man1/ketenpost-run.1* | grep -q -- 'check'"
check "bash, zsh and fish completions are installed" sh -c "test -s /usr/share/bash-completion/completions/ketenpost && test -s /usr/share/zsh/vendor-completions/_ketenpost && test -s /usr/share/fish/vendor_completions.d/ketenpost.fish"
unit=$(dpkg -L ketenpost | grep '/systemd/system/ketenpost.service$' || true)
check "the systemd unit is installed" test -n "$unit"
check "the unit starts /usr/bin/ketenpost" grep -q '^ExecStart=/usr/bin/ketenpost run' "${unit:-/nonexistent}"
check "the daemon may write the backups it is asked for" grep -q '^ReadWritePaths=.*/var/backups/ketenpost' "${unit:-/nonexistent}"
backup_unit=$(dpkg -L ketenpost | grep '/systemd/system/ketenpost-backup.service$' || true)
backup_timer=$(dpkg -L ketenpost | grep '/systemd/system/ketenpost-backup.timer$' || true)
check "the nightly backup's service and timer are installed" test -n "$backup_unit" -a -n "$backup_timer"
check "the backup timer is not enabled by the package" test ! -e /etc/systemd/system/timers.target.wants/ketenpost-backup.timer
if command -v systemd-analyze >/dev/null; then
  check "systemd-analyze verify accepts the units" systemd-analyze verify "$unit" "$backup_unit" "$backup_timer"
else
  echo "skip systemd-analyze verify: systemd-analyze is not installed here"
fi
# The backup service's command, run as its user: with no daemon to answer, it copies the data
# folder itself into a new folder of /var/backups/ketenpost.
letter=$(mktemp /tmp/ketenpost-package-letter.XXXXXX)
cp fixtures/messages/medvri_lf.edi "$letter" && chmod 644 "$letter"
runuser -u ketenpost -- ketenpost import "$letter" --config /etc/ketenpost/ketenpost.toml >/dev/null 2>&1 || true
backup_command=$(sed -n 's/^ExecStart=//p' "${backup_unit:-/nonexistent}")
# shellcheck disable=SC2086
backup_out=$(runuser -u ketenpost -- $backup_command 2>&1) && status=0 || status=$?
check "the backup service's command makes a backup as its user" test "$status" -eq 0
check "that backup is in /var/backups/ketenpost, 700 ketenpost" sh -c 'for b in /var/backups/ketenpost/backup-*; do [ "$(stat -c "%a %U" "$b")" = "700 ketenpost" ] && [ -f "$b/log.head" ] || exit 1; done'
echo "   ($backup_out)" | head -2
rm -f "$letter"
rm -rf /var/backups/ketenpost/backup-* /var/lib/ketenpost/*
# The shipped example names certificates that an operator still has to put in place: the check
# must say which, and exit 1.
out=$(ketenpost run --check --config /etc/ketenpost/ketenpost.toml 2>&1) && status=0 || status=$?
check "run --check on the unfilled example exits 1" test "$status" -eq 1
check "run --check names the record system whose files are missing" sh -c "printf '%s' \"\$1\" | grep -q 'record_systems.ons'" _ "$out"
echo "   ($out)" | head -3

echo "== dpkg --purge ketenpost"
dpkg --purge ketenpost
trap - EXIT
check "purge removes the binary" test ! -e /usr/bin/ketenpost
check "purge removes the configuration" test ! -e /etc/ketenpost/ketenpost.toml
check "purge keeps the data key (it opens the data and its backups)" test "$(cat /etc/ketenpost/data.key)" = "$key_before"
rm -f /etc/ketenpost/data.key
rmdir /etc/ketenpost 2>/dev/null || true
check "purge removes the empty data folder" test ! -e /var/lib/ketenpost
check "purge removes the empty backup folder" test ! -e /var/backups/ketenpost

if [ "$failures" -gt 0 ]; then
  echo "package: $failures check(s) failed" >&2
  exit 1
fi
echo "== the package installs, checks out and purges cleanly"
