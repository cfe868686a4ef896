#!/usr/bin/env bash
# make run: start convened alone with embedded defaults and print links that
# open a ready-made call between two demo users.
set -euo pipefail
build=${1:-build}
listen=${2:-127.0.0.1:8080}
data=${3:-var}
bin="$build/orchestrator/convened/convened"
web="$(cd "$(dirname "$0")/.." && pwd)/orchestrator/convened/web"

mkdir -p "$data"
for u in alice bob carol; do
  others=$(printf '%s\n' alice bob carol | grep -vx "$u" | paste -sd, -)
  "$bin" --data-dir "$data" user add "$u" --contacts "$others" >/dev/null 2>&1 || true
done
tok() { "$bin" --data-dir "$data" token --user "$1" --ttl 86400; }
base="http://$listen"
cat <<MSG

Convene is starting on $base/ (data in $data/). Open these in two browser windows:

  alice:               $base/?token=$(tok alice)
  bob (auto-answers):  $base/?token=$(tok bob)&autoaccept=1
  carol:               $base/?token=$(tok carol)

A gst-launch peer for bob (needs the plugin path: meson devenv -C $build …):
  meson devenv -C $build gst-launch-1.0 signalbridge name=s uri=ws://$listen/ws token=\$(
    $bin --data-dir $data token --user bob) answer=true videotestsrc is-live=true ! s. \\
    audiotestsrc is-live=true ! s.  s. ! video/x-raw ! queue ! videoconvert ! autovideosink

Press Ctrl-C to stop.
MSG
exec env CONVENE_WEB_DIR="$web" "$bin" --listen "$listen" --data-dir "$data"
