#!/usr/bin/env bash
# Debian packages the tests use: Chromium for the staff and board pages (driven by Playwright),
# espeak-ng for the game's self-voicing, DejaVu fonts for readable text, and a PostgreSQL
# server for the storage contract tests (each test run starts its own throwaway cluster), and
# Xvfb with xprop for the test that reads the game window's class and title in a real X window.
# Idempotent: installs only what is missing.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v xprop >/dev/null 2>&1 || need+=(x11-utils)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${need[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "error: need root (or sudo) to install: ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
