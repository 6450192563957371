#!/bin/bash
# End to end through onshi-sim: the onshi CLI's verify / refnum / info / face-watch and the
# examples, over the linkage mode (files) and over HTTPS, against the seed registry
# (docs/simulator.md). Servers listen on 127.0.0.1 port 0 and are stopped by PID.
# Usage: sim.sh onshi-sim onshi examples-dir
set -u
SIM=$(readlink -f "$1")
ONSHI=$(readlink -f "$2")
EX=$(readlink -f "$3")
T=$(mktemp -d /tmp/onshi-e2e-sim-XXXXXX)
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
stop_pid() {
    [ -f "$1" ] || return 0
    p=$(cat "$1")
    kill "$p" 2>/dev/null
    n=100
    while kill -0 "$p" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    kill -9 "$p" 2>/dev/null
    rm -f "$1"
}
wait_for() {
    n=300
    while [ ! -e "$1" ] && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
}
cleanup() {
    stop_pid "$T/l.pid"
    stop_pid "$T/s.pid"
    rm -rf "$T"
}
trap cleanup EXIT
export LANG=C LC_ALL=C
unset ONSHI_LANG

"$SIM" init-db "$T/reg.db" >/dev/null || { echo "init-db failed"; exit 1; }
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null || { echo "pki failed"; exit 1; }
P=$T/pki

# ---- linkage mode (files) ----------------------------------------------------------------
mkdir -p "$T/oqs"
start_linkage() {
    "$SIM" linkage --db "$T/reg.db" --dir "$T/oqs" --poll-ms 50 --pidfile "$T/l.pid" \
        2>>"$T/l.log" &
    wait_for "$T/l.pid"
    wait_for "$T/oqs/req"
}
start_linkage
cat >"$T/files.conf" <<CONF
medical_institution_code = 1311234569
transport = file
req_dir = $T/oqs/req
res_dir = $T/oqs/res
face_dir = $T/oqs/face
state_db = $T/state.db
poll_interval_ms = 50
result_timeout_ms = 30000
CONF
export ONSHI_CONF=$T/files.conf

# P001: 社保 本人, all consents
out=$("$ONSHI" verify --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 \
    --birth 19800401 --limit-consent 2>&1) || fail "files verify P001: $out"
echo "$out" | grep -q "qualification: valid" || fail "files P001 validity: $out"
echo "$out" | grep -q "drug info *consented" || fail "files P001 consent: $out"
# P042: twins without branch → several
out=$("$ONSHI" verify --insurer 01130525 --symbol 142-00 --number 0002554 --birth 20150707 \
    --csv 2>&1) || fail "files verify P042: $out"
[ "$(echo "$out" | grep -c '^5,')" -eq 2 ] || fail "files P042 several: $out"
# a wrong check digit never reaches the linkage app
before=$(wc -l <"$T/l.log")
out=$("$ONSHI" verify --insurer 01130112 --number 0001037 --branch 01 --birth 19800401 2>&1)
[ $? -eq 1 ] || fail "files: check digit accepted"
sleep 0.3
[ "$(wc -l <"$T/l.log")" -eq "$before" ] || fail "files: a request reached the simulator"
# drug information under consent (verify first, then YZK)
NOW=$(TZ=JST-9 date +%Y%m)
out=$("$ONSHI" info drug --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 \
    --birth 19800401 --from 202001 --to "$NOW" 2>&1) || fail "files drug P001: $out"
echo "$out" | grep -q "アムロジピン" || fail "files drug output: $out"
# the default window (the last six months up to now) finds the registry's drug history
# (issue 16: it printed only a heading)
out=$("$ONSHI" info drug --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 \
    --birth 19800401 2>&1) || fail "files drug P001, default window: $out"
echo "$out" | grep -q "ロキソプロフェン" || fail "files drug, default window: $out"
out=$("$ONSHI" info checkup --insurer 130633 --symbol 153-04 --number 0002961 --branch 01 \
    --birth 19720517 --csv 2>&1) || fail "files checkup P053: $out"
# P051: expired consent → refused locally, no YZK request
yzk=$(grep -c "YZKsiquc01" "$T/l.log")
out=$("$ONSHI" info drug --insurer 01130111 --symbol 151-02 --number 0002887 --branch 01 \
    --birth 19700315 2>&1)
[ $? -eq 1 ] || fail "files: expired consent not refused"
echo "$out" | grep -q "consent" || fail "files refusal message: $out"
sleep 0.3
[ "$(grep -c "YZKsiquc01" "$T/l.log")" -eq "$yzk" ] || fail "files: a drug request was sent without consent"
# 照会番号, then seen in the next inquiry
out=$("$ONSHI" refnum --ref KARTE-4242 --insurer 01130145 --symbol 154-05 --number 0002998 \
    --branch 01 2>&1) || fail "files refnum P054: $out"
out=$("$ONSHI" verify --insurer 01130145 --symbol 154-05 --number 0002998 --branch 01 \
    --birth 19730618 2>&1) || fail "files verify P054: $out"
echo "$out" | grep -q "KARTE-4242" || fail "files refnum not returned: $out"
# face-reader result
"$SIM" face --db "$T/reg.db" --dir "$T/oqs" --person P001 --consent drug,checkup >/dev/null ||
    fail "sim face"
out=$("$ONSHI" face-watch --existing --count 1 --timeout-ms 20000 2>&1) || fail "face-watch: $out"
echo "$out" | grep -q "見本　太郎" || fail "face-watch output: $out"
[ "$(ls "$T/oqs/face" | wc -l)" -eq 1 ] || fail "face file moved"
cp "$T"/oqs/face/OQSsiquc01res_face_*.xml "$T/face-P001.xml"
# pending then pickup: the linkage app is down, the request is kept and never resent
stop_pid "$T/l.pid"
out=$(ONSHI_LINKAGE_TAKE_TIMEOUT_MS=300 ONSHI_RESULT_TIMEOUT_MS=300 "$ONSHI" verify \
    --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 --birth 19800401 2>&1)
[ $? -eq 3 ] || fail "files: not pending: $out"
id=$(echo "$out" | sed -n 's/.*--pickup \([0-9]\{16\}\).*/\1/p' | head -1)
[ -n "$id" ] || fail "files: no pending id: $out"
start_linkage
out=$("$ONSHI" verify --pickup "$id" --wait-ms 20000 2>&1) || fail "files pickup: $out"
echo "$out" | grep -q "qualification: valid" || fail "files pickup result: $out"
out=$("$ONSHI" verify --pickup "$id" --wait-ms 0 2>&1)
[ $? -eq 1 ] || fail "files: second pickup: $out"
# the examples over files
out=$("$EX/verify_insurance_card" "$T/files.conf" 01130111 101-01 0001037 01 19800401 2>&1) ||
    fail "example verify (files): $out"
echo "$out" | grep -q "drug information: consented" || fail "example verify output: $out"
out=$("$EX/drug_info" "$T/files.conf" "$T/face-P001.xml" 202001 "$NOW" 2>"$T/audit.log") ||
    fail "example drug_info (files): $out $(cat "$T/audit.log")"
echo "$out" | grep -q "アムロジピン" || fail "example drug_info output: $out"
grep -q "after outcome=0" "$T/audit.log" || fail "example drug_info audit"
# ... and from what the onshi command saves (issue 16): `onshi verify --json`, default months
"$ONSHI" verify --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 \
    --birth 19800401 --json >"$T/p001.json" 2>&1 || fail "verify --json: $(cat "$T/p001.json")"
out=$("$EX/drug_info" "$T/files.conf" "$T/p001.json" 2>"$T/audit2.log") ||
    fail "example drug_info on the CLI's JSON: $out $(cat "$T/audit2.log")"
echo "$out" | grep -q "ロキソプロフェン" || fail "example drug_info (CLI JSON) output: $out"
stop_pid "$T/l.pid"

# ---- HTTPS ----------------------------------------------------------------------------------
"$SIM" serve --db "$T/reg.db" --listen 127.0.0.1:0 --cert "$P/server.crt" --key "$P/server.key" \
    --client-ca "$P/tls-ca.crt" --pidfile "$T/s.pid" >"$T/s.out" 2>"$T/s.log" &
wait_for "$T/s.pid"
n=100
while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
cat >"$T/https.conf" <<CONF
medical_institution_code = 1311234569
transport = https
server_url = https://localhost:$PORT
tls_ca_file = $P/tls-ca.crt
tls_client_cert = $P/client-1311234569.crt
tls_client_key = $P/client-1311234569.key
state_db = $T/state.db
CONF
export ONSHI_CONF=$T/https.conf
out=$("$ONSHI" verify --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 \
    --birth 19800401 --json 2>&1) || fail "https verify P001: $out"
echo "$out" | grep -q '"QualificationValidity"' || fail "https json: $out"
echo "$out" >"$T/p001.json"
out=$("$ONSHI" verify --insurer 130179 --symbol 107-00 --number 0001259 --branch 01 \
    --birth 19900303 2>&1) || fail "https verify P007 (国保): $out"
echo "$out" | grep -q "qualification: valid" || fail "https P007: $out"
out=$("$ONSHI" info drug --result "$T/p001.json" --from 202001 --to "$NOW" --csv 2>&1) ||
    fail "https drug via saved JSON: $out"
echo "$out" | grep -q "アムロジピン" || fail "https drug csv: $out"
out=$("$ONSHI" info drug --result "$T/p001.json" --pdf -o "$T/drug.pdf" 2>&1) ||
    fail "https drug PDF: $out"
head -c 5 "$T/drug.pdf" | grep -q "%PDF-" || fail "https PDF bytes"
# P052: drug consent only → checkup refused locally
out=$("$ONSHI" info checkup --insurer 01130129 --symbol 152-03 --number 0002924 --branch 01 \
    --birth 19710416 2>&1)
[ $? -eq 1 ] || fail "https: checkup without consent not refused"
grep -q "TKKsiquc01req" "$T/s.log" && fail "https: a checkup request reached the server"
# a system error answered by the server (armed fault): the code reaches staff
echo 'seg9=EOQS0042 1' >"$T/arm"
curl -sS --cacert "$P/tls-ca.crt" --cert "$P/client-1311234569.crt" \
    --key "$P/client-1311234569.key" -o /dev/null --data-binary "@$T/arm" \
    "https://127.0.0.1:$PORT/sim/fault" || fail "arming the fault"
out=$("$ONSHI" verify --insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 \
    --birth 19800401 2>&1)
[ $? -eq 1 ] || fail "https seg9 not reported"
echo "$out" | grep -q "EOQS0042" || fail "https seg9 message: $out"
# the example over HTTPS
out=$("$EX/verify_insurance_card" "$T/https.conf" 39130216 "" 0001407 "" 19400101 2>&1) ||
    fail "example verify (https, 後期高齢者): $out"
echo "$out" | grep -q "qualification: valid" || fail "example https output: $out"

[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
