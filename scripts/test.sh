#!/usr/bin/env bash
# Everything the tests need on a fresh machine, then the tests (arguments go to pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
# The browser tests drive Debian's Chromium; the BitTorrent interop test, Debian's aria2.
if ! command -v chromium >/dev/null 2>&1 || ! command -v aria2c >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium aria2 >/dev/null
fi
python3 -m pip install -q -e '.[test]'
python3 -m pytest "$@"
