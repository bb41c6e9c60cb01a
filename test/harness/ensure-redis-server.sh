#!/usr/bin/env bash
# Makes sure Debian's redis-server, redis-sentinel and redis-cli are on PATH (no npm package ships them).
# Installs them with apt-get when running as root; otherwise says how.
set -euo pipefail
missing=()
for tool in redis-server redis-sentinel redis-cli openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing redis-server, redis-sentinel, redis-tools and openssl (missing: ${missing[*]})" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server redis-sentinel redis-tools openssl >/dev/null
  exit 0
fi
echo "Missing ${missing[*]}. Install Redis 7 (Debian/Ubuntu: sudo apt-get install -y redis-server redis-sentinel redis-tools openssl; macOS: brew install redis openssl)." >&2
exit 1
