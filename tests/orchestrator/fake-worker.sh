#!/bin/sh
# Stands in for convene-worker in the daemon tests:
#   fake-worker.sh OUTDIR PIPELINE VAR=VALUE...
# Records its arguments (after OUTDIR) in OUTDIR/argv.PID, one per line,
# then waits; SIGTERM is recorded in OUTDIR/term.PID before it exits, as the
# real worker turns SIGTERM into EOS and exits.
out="$1"
shift
for a in "$@"; do printf '%s\n' "$a"; done > "$out/argv.tmp.$$"
mv "$out/argv.tmp.$$" "$out/argv.$$"
trap 'echo term > "$out/term.$$"; exit 0' TERM
# A real worker loses its WebSocket when convened dies; this one watches
# its parent instead, so that a failed test leaves nothing behind.
while kill -0 "$PPID" 2>/dev/null; do sleep 0.05; done
