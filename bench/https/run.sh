#!/bin/sh
# Start onshi-sim (HTTPS, its test PKI) on a free loopback port, run bench-https against it,
# stop it. Usage: run.sh ONSHI_SIM BENCH_HTTPS ONSHI [RAW_OUT]
set -eu
SIM=$1; BENCH=$2; ONSHI=$3; RAW=${4:-}
. "$(dirname "$0")/../../test/sim/lib.sh"
T=$(mktemp -d)
trap 'stop_pid $T/s.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$T/reg.db" >/dev/null
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null
"$SIM" serve --db "$T/reg.db" --listen 127.0.0.1:0 --cert "$T/pki/server.crt" \
    --key "$T/pki/server.key" --client-ca "$T/pki/tls-ca.crt" --pidfile "$T/s.pid" \
    >"$T/s.out" 2>"$T/s.log" &
wait_for "$T/s.pid"
n=300; while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
"$BENCH" "$T/pki" "$(sed -n 's/^PORT=//p' "$T/s.out")" "$ONSHI" $RAW
