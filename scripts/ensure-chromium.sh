#!/usr/bin/env bash
# Makes sure Debian's Chromium is there for the browser-demo test (headless, driven by playwright-core).
# Installs it with apt-get when it is missing and we may (root, or passwordless sudo); otherwise says
# so, and that test skips with a message. Part of `pnpm check`, so a fresh machine needs nothing else.
set -uo pipefail
if [ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1; then exit 0; fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: no chromium and no apt-get; the browser test will be skipped" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then SUDO=; elif sudo -n true 2>/dev/null; then SUDO=sudo; else
  echo "ensure-chromium: no chromium, and not root: install it with 'apt-get install chromium' to run the browser test" >&2
  exit 0
fi
echo "ensure-chromium: installing Debian's chromium (browser-demo test)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null \
  || echo "ensure-chromium: apt-get could not install chromium; the browser test will be skipped" >&2
exit 0
