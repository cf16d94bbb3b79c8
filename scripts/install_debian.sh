#!/usr/bin/env bash
# Install the given Debian packages (as root or through sudo), keeping their system services from starting
# (policy-rc.d): the tests and the demo start their own servers on free loopback ports. No arguments: nothing.
set -euo pipefail
[ $# -gt 0 ] || exit 0
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod +x "$policy"
  trap '$SUDO rm -f "$policy"' EXIT
fi
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
