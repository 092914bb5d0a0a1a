#!/usr/bin/env bash
# Debian's Chromium, for the report page's browser test (tests/test_report_html.py drives it through
# Playwright, which then downloads no browser of its own). Does nothing, quietly, when it is there.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
[ -x "$CHROMIUM" ] && exit 0

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "error: $CHROMIUM is missing and installing it needs root (no sudo here): apt-get install chromium" >&2
        exit 1
    fi
}

echo "Installing Debian's chromium package for the report browser test ..." >&2
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
    echo "error: apt-get installed chromium but $CHROMIUM is not there" >&2
    exit 1
fi
