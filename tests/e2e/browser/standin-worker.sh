#!/bin/sh
# Stands in for convene-worker ([meetings] worker-command) in browser tests that
# check the client's SFU path before, or apart from, the real worker: it hands its
# arguments (pipeline, MEETING_ID=, SIGNALING_URI=, WORKER_TOKEN=, DATA_DIR=) to the
# test through a file, and the test plays the worker in a Chromium page
# (standin-sfu.mjs). It lives until convened terminates it, as a worker would.
set -eu
out="${CONVENE_STANDIN_DIR:?set by the test}/worker-$$.args"
printf '%s\n' "$@" > "$out.tmp"
mv "$out.tmp" "$out"
exec tail -f /dev/null
