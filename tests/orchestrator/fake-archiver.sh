#!/bin/sh
# Stands in for convene-archiver in the daemon tests:
#   fake-archiver.sh OUTDIR --data-dir D [--config F] [--set K=V]... CMD [ID]
# Writes OUTDIR/CMD.PID with its arguments (after OUTDIR), one per line,
# and a last line "CONVENE_URL=<value>", then exits 0.
out="$1"
shift
cmd=""
for a in "$@"; do
  case "$a" in assemble|recover|consume) cmd="$a" ;; esac
done
{ for a in "$@"; do printf '%s\n' "$a"; done; printf 'CONVENE_URL=%s\n' "$CONVENE_URL"; } > "$out/tmp.$$"
mv "$out/tmp.$$" "$out/${cmd:-none}.$$"
