#!/usr/bin/env bash
# Makes sure Debian's faketime is on PATH: the scheduler's replica tests start replicas whose clock is off by ±40 s.
# Installs it with apt-get when running as root; otherwise says how.
set -euo pipefail
command -v faketime >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing faketime (missing)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends faketime >/dev/null
  exit 0
fi
echo "Missing faketime. Install it (Debian/Ubuntu: sudo apt-get install -y faketime; macOS: brew install libfaketime)." >&2
exit 1
