#!/bin/bash
# onshi disaster-search against onshi-sim over HTTPS (disaster mode open for prefecture 13):
# a table unless --json, CSV with --csv (issue 16: it printed a heading and raw JSON).
# Usage: disaster-table.sh ONSHI SIM
set -u
ONSHI=$(readlink -f "$1"); SIM=$(readlink -f "$2")
T=$(mktemp -d /tmp/onshi-dis-XXXXXX)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
export LANG=C ONSHI_LANG=en
"$SIM" init-db "$T/reg.db" >/dev/null || exit 1
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null || exit 1
"$SIM" serve --db "$T/reg.db" --listen 127.0.0.1:0 --cert "$T/pki/server.crt" \
    --key "$T/pki/server.key" --client-ca "$T/pki/tls-ca.crt" --disaster 13:20000101-20991231 \
    >"$T/s.out" 2>"$T/s.log" &
SPID=$!
for _ in $(seq 100); do grep -q '^PORT=' "$T/s.out" && break; sleep 0.1; done
PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
[ -n "$PORT" ] || { cat "$T/s.log"; exit 1; }
cat >"$T/https.conf" <<CONF
medical_institution_code = 1311234569
transport = https
server_url = https://localhost:$PORT
tls_ca_file = $T/pki/tls-ca.crt
tls_client_cert = $T/pki/client-1311234569.crt
tls_client_key = $T/pki/client-1311234569.key
state_db = $T/state.db
operator_id = desk-1
CONF
export ONSHI_CONF=$T/https.conf
out=$("$ONSHI" disaster-search --name '見本　太郎' --birth 19800401 --sex 1 2>&1) ||
    fail "disaster-search: $out"
echo "$out" | grep -q '^drug information$' || fail "no table heading: $out"
echo "$out" | grep -q '^  20[0-9]*  .*アムロジピン' || fail "no table rows: $out"
echo "$out" | grep -q '"XmlMsg"' && fail "table mode printed JSON: $out"
out=$("$ONSHI" disaster-search --name '見本　太郎' --birth 19800401 --sex 1 --json 2>&1) ||
    fail "disaster-search --json: $out"
echo "$out" | grep -q '"_type"' || fail "--json: $out"
out=$("$ONSHI" disaster-search --name '見本　太郎' --birth 19800401 --sex 1 --csv 2>&1) ||
    fail "disaster-search --csv: $out"
echo "$out" | head -1 | grep -q '^month,institution,date,code,name' || fail "--csv: $out"
[ $fails -eq 0 ] && echo "disaster-search: table, --json, --csv"
exit $fails
