#!/bin/sh
# Run a binding's test command next to a fresh onshi-sim (HTTPS on 127.0.0.1, port chosen by
# the kernel; stopped by its PID) with the simulator's test PKI and seed registry.
#   with-sim.sh ONSHI-SIM TESTCARD-LIB COMMAND [ARG...]
# The command sees (and every binding test reads):
#   ONSHI_TEST_URL ONSHI_TEST_CA ONSHI_TEST_CLIENT_CERT ONSHI_TEST_CLIENT_KEY
#   ONSHI_TEST_INSTITUTION ONSHI_TEST_CARD_CERT ONSHI_TEST_CARD_KEY ONSHI_TEST_JPKI_CA
#   ONSHI_TEST_TMP (a private folder, removed afterwards) ONSHI_TESTCARD_LIB (the in-process
#   virtual card, bindings/common/testcard.c) ONSHI_TEST_PERSONS (CSV of 8 seed persons with insurance
#   card numbers: id,insurer,symbol,number,branch,birth; the first, P001, holds the card)
#   ONSHI_TEST_SIM (onshi-sim itself) ONSHI_TEST_SIM_DB (a copy of the registry for the tests'
#   own linkage-mode simulators: `$ONSHI_TEST_SIM linkage --db $ONSHI_TEST_SIM_DB --dir D
#   --pidfile F`, started and stopped by PID by the test that needs one)
# SPDX-License-Identifier: Apache-2.0
set -u
sim=$1 testcard=$2
shift 2
T=$(mktemp -d "${TMPDIR:-/tmp}/onshi-bindings.XXXXXX")
chmod 700 "$T"
pidfile=$T/sim.pid
stop() {
    if [ -f "$pidfile" ]; then
        p=$(cat "$pidfile")
        kill "$p" 2>/dev/null
        n=100
        while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
        kill -9 "$p" 2>/dev/null
    fi
    rm -rf "$T"
}
trap stop EXIT
trap 'exit 130' INT TERM
"$sim" init-db "$T/reg.db" >/dev/null 2>"$T/init.log" || { cat "$T/init.log"; exit 1; }
"$sim" pki "$T/pki" --db "$T/reg.db" >/dev/null 2>"$T/pki.log" || { cat "$T/pki.log"; exit 1; }
# the linkage-mode tests' own registry, copied before the HTTPS simulator opens this one
cp "$T/reg.db" "$T/linkage-reg.db" || exit 1
# The disaster window is a Japan date (the simulator and the SDK keep Japan time).
today=$(TZ=JST-9 date +%Y%m%d)
"$sim" serve --db "$T/reg.db" --listen 127.0.0.1:0 \
    --cert "$T/pki/server.crt" --key "$T/pki/server.key" --client-ca "$T/pki/tls-ca.crt" \
    --jpki-ca "$T/pki/jpki-ca.crt" --revoked "$T/pki/revoked-serials.txt" \
    --disaster "13:$today-$today" --bulk-delay-ms 200 \
    --pidfile "$pidfile" >"$T/sim.out" 2>"$T/sim.log" &
n=300
port=
while [ $n -gt 0 ]; do
    port=$(sed -n 's/^PORT=\([0-9]*\).*/\1/p' "$T/sim.out" 2>/dev/null | head -n 1)
    [ -n "$port" ] && [ -f "$pidfile" ] && break
    sleep 0.1
    n=$((n - 1))
done
if [ -z "$port" ]; then
    echo "with-sim: onshi-sim did not start:"
    cat "$T/sim.log"
    exit 1
fi
mkdir -m 700 "$T/work"
sqlite3 -csv "$T/reg.db" "SELECT id, insurer, symbol, number, branch, birth FROM persons \
    WHERE insurer <> '' ORDER BY id LIMIT 8" >"$T/work/persons.csv" || exit 1
export ONSHI_TEST_URL="https://localhost:$port" ONSHI_TEST_CA="$T/pki/tls-ca.crt" \
    ONSHI_TEST_CLIENT_CERT="$T/pki/client-1311234569.crt" \
    ONSHI_TEST_CLIENT_KEY="$T/pki/client-1311234569.key" ONSHI_TEST_INSTITUTION=1311234569 \
    ONSHI_TEST_CARD_CERT="$T/pki/card-P001.der" ONSHI_TEST_CARD_KEY="$T/pki/card-persons.key" \
    ONSHI_TEST_JPKI_CA="$T/pki/jpki-ca.crt" ONSHI_TEST_TMP="$T/work" \
    ONSHI_TESTCARD_LIB="$testcard" ONSHI_TEST_PERSONS="$T/work/persons.csv" \
    ONSHI_TEST_SIM="$sim" ONSHI_TEST_SIM_DB="$T/linkage-reg.db"
"$@"
rc=$?
[ $rc -eq 0 ] || { echo "with-sim: the simulator's log:"; tail -n 20 "$T/sim.log"; }
exit $rc
