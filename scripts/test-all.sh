#!/usr/bin/env bash
# Runs every test of kommo-sandbox on a fresh machine: installs what the tests
# need (Debian's chromium for the browser tests), then the whole cargo suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# A Chromium whose test process died without ending it would hold this
# script's output open; end any such orphan when the script exits.
trap 'pkill -9 -P 1 -f rust-headless-chrome-profile 2>/dev/null || true' EXIT

cargo test --locked --all-targets "$@"
