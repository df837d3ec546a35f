#!/usr/bin/env bash
# Installs Debian's Chromium for the playground check of `make test`, when it
# is missing and this machine can install it. Where it cannot, the test that
# needs it says so and skips; nothing else depends on it.
set -uo pipefail
command -v chromium >/dev/null && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium: not installed and cannot install it here (needs root and apt-get): the playground check will skip" >&2
  exit 0
fi
echo "chromium: installing Debian's chromium for the playground check" >&2
export DEBIAN_FRONTEND=noninteractive
(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
  || echo "chromium: apt-get install chromium failed: the playground check will skip" >&2
exit 0
