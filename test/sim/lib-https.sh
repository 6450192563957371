#!/bin/sh
# libonshi's HTTPS transport and codec against onshi-sim (test/sim/lib_https.c).
SIM=$1; CLIENT=$2
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'stop_pid $T/s.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$T/reg.db" >/dev/null
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null
"$SIM" serve --db "$T/reg.db" --listen 127.0.0.1:0 --cert "$T/pki/server.crt" \
    --key "$T/pki/server.key" --client-ca "$T/pki/tls-ca.crt" --pidfile "$T/s.pid" \
    >"$T/s.out" 2>"$T/s.log" &
wait_for "$T/s.pid"
n=100; while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
"$CLIENT" "https://localhost:$PORT" "$T/pki" || { cat "$T/s.log" >&2; exit 1; }
