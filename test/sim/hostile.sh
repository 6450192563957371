#!/bin/sh
# onshi-sim against hostile clients (test/sim/hostile.py): idle and slowloris connections,
# huge Content-Length and chunk sizes, an oversized body, a header that never ends.
SIM=$1
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
DB=$T/reg.db
P=$T/pki
trap 'stop_pid $T/s.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$DB" >/dev/null
"$SIM" pki "$P" --db "$DB" >/dev/null
"$SIM" serve --db "$DB" --listen 127.0.0.1:0 --cert "$P/server.crt" --key "$P/server.key" \
    --client-ca "$P/tls-ca.crt" --pidfile "$T/s.pid" >"$T/s.out" 2>"$T/s.log" &
wait_for "$T/s.pid"
n=100; while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
[ -n "$PORT" ] || fail "no port printed"
qreq_for "$T/q.xml" P001 H-1
python3 "$(dirname "$0")/hostile.py" "$PORT" "$P" "$T/q.xml" || { cat "$T/s.log" >&2; fail "hostile clients"; }
has "$T/s.log" '-> 413'
has "$T/s.log" '-> 408'
has "$T/s.log" 'handshake not finished'
stop_pid "$T/s.pid"; sanitizer_clean "$T/s.log"
echo "hostile ok"
