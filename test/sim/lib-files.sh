#!/bin/sh
# libonshi's file transport and codec against onshi-sim's linkage mode (test/sim/lib_files.c).
SIM=$1; CLIENT=$2
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'stop_pid $T/l.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$T/reg.db" >/dev/null
"$SIM" linkage --db "$T/reg.db" --dir "$T/oqs" --encoding cp932 --poll-ms 50 \
    --pidfile "$T/l.pid" 2>"$T/l.log" &
wait_for "$T/l.pid"; wait_for "$T/oqs/face"
"$CLIENT" "$T/oqs" "$SIM" "$T/reg.db" || { cat "$T/l.log" >&2; exit 1; }
stop_pid "$T/l.pid"; sanitizer_clean "$T/l.log"
