#!/usr/bin/env bash
# Make Debian's headless Chromium available for the browser tests (tests/test_web_browser.py drives
# /usr/bin/chromium with Playwright; no browser is ever downloaded by Playwright itself).
#
#   bash scripts/chromium.sh || echo "warning: no Chromium; the browser tests will be skipped" >&2
#
# Idempotent: does nothing when /usr/bin/chromium exists. Otherwise, as root, installs the `chromium`
# package with apt-get (Debian's registry is the only one CI reaches). Prints nothing on stdout;
# progress and errors go to stderr; exits non-zero when Chromium is still missing afterwards.
set -Eeuo pipefail

CHROMIUM=/usr/bin/chromium

log() { printf 'chromium.sh: %s\n' "$*" >&2; }

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "error: $CHROMIUM is missing and installing it needs root: run 'sudo bash $0' (or apt-get install chromium)"
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "error: $CHROMIUM is missing and there is no apt-get here: install Chromium so that $CHROMIUM exists"
  exit 1
fi
log "installing chromium with apt-get (about 110 MB)"
export DEBIAN_FRONTEND=noninteractive
apt-get -qq update >&2
apt-get -qq install -y --no-install-recommends chromium >&2
if [ ! -x "$CHROMIUM" ]; then
  log "error: apt-get installed chromium but $CHROMIUM is still missing"
  exit 1
fi
log "installed: $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
