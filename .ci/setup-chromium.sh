#!/usr/bin/env bash
# Install Debian's chromium (and the fonts Playwright's screenshots need) when it is missing.
# Idempotent and quiet: does nothing when /usr/bin/chromium already exists. Never downloads a browser
# build of its own (no `playwright install`): Playwright drives this system chromium.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-chromium: /usr/bin/chromium is missing and apt-get is not available; install chromium by hand" >&2
    exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup-chromium: installing Debian's chromium with apt-get" >&2
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-liberation >/dev/null

if [ ! -x /usr/bin/chromium ]; then
    echo "setup-chromium: apt-get finished but /usr/bin/chromium is still missing" >&2
    exit 1
fi
