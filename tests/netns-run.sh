#!/usr/bin/env bash
# Runs a command in a network namespace of its own with only loopback up, so no
# packet a media test sends can reach an address outside 127.0.0.0/8.
set -euo pipefail
if [ "${CONVENE_IN_NETNS:-}" = 1 ]; then exec "$@"; fi
if [ "$(id -u)" -eq 0 ]; then
  exec unshare --net -- env CONVENE_IN_NETNS=1 bash -c 'ip link set lo up && exec "$@"' netns-run "$@"
else
  exec unshare --map-root-user --net -- env CONVENE_IN_NETNS=1 bash -c 'ip link set lo up && exec "$@"' netns-run "$@"
fi
