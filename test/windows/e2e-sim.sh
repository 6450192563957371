#!/bin/bash
# End to end of the Windows build under Wine against the Linux onshi-sim (docs/windows.md):
# the x64 example programs (linked with libonshi-N.dll) exchange files with onshi-sim's
# linkage mode in folders with Japanese names, given as Windows paths (Z:\...), and talk HTTPS
# to onshi-sim on 127.0.0.1. A request whose linkage app is down stays pending and is picked
# up later, never written twice.
# Usage: e2e-sim.sh onshi-sim WIN_BUILD_DIR WINEPREFIX
set -u
SIM=$(readlink -f "$1")
WB=$(readlink -f "$2")
export WINEPREFIX=$(readlink -f "$3") WINEDEBUG=-all
WINE=${WINE64:-/usr/lib/wine/wine64}
T=$(mktemp -d /tmp/onshi-win-e2e-XXXXXX)
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
export LANG=C.UTF-8 LC_ALL=C.UTF-8
unset ONSHI_LANG ONSHI_CONF
# The examples next to their DLL, as a vendor ships them.
cp "$WB"/examples/*.exe "$WB"/lib/libonshi-*.dll "$WB"/bin/onshi.exe "$T/" ||
    { echo "no Windows build in $WB"; exit 1; }
winpath() { echo "Z:$1" | tr '/' '\\'; }
run() {
    (cd "$T" && "$WINE" "$@" >"$T/run.out" 2>&1)
    rc=$?
    tr -d '\r' <"$T/run.out"
    return $rc
}
# the id of a request that stays pending: "--pickup ID" (result late) or "(id ID)" (not taken)
pending_id() { sed -n -e 's/.*--pickup \([0-9]\{16\}\).*/\1/p' -e 's/.*(id \([0-9]\{16\}\)).*/\1/p' | head -1; }

"$SIM" init-db "$T/reg.db" >/dev/null || { echo "init-db failed"; exit 1; }
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null || { echo "pki failed"; exit 1; }
P=$T/pki

# ---- files: onshi-sim's linkage mode in a Japanese folder (資格確認端末/OQS) -------------------
D="$T/資格確認端末/OQS"
mkdir -p "$D"
start_linkage() {
    "$SIM" linkage --db "$T/reg.db" --dir "$D" --poll-ms 50 --pidfile "$T/l.pid" 2>>"$T/l.log" &
    wait_for "$T/l.pid"
    wait_for "$D/req"
}
start_linkage
cat >"$T/files.conf" <<CONF
medical_institution_code = 1311234569
transport = file
req_dir = $(winpath "$D/req")
res_dir = $(winpath "$D/res")
face_dir = $(winpath "$D/face")
state_db = $(winpath "$T/状態.db")
poll_interval_ms = 50
result_timeout_ms = 30000
CONF
out=$(run ./verify_insurance_card.exe files.conf 01130111 101-01 0001037 01 19800401) ||
    fail "files verify P001: $out"
echo "$out" | grep -q "qualification: valid" || fail "files P001 validity: $out"
echo "$out" | grep -q "drug information: consented" || fail "files P001 consent: $out"
[ -f "$T/状態.db" ] || fail "state store with a Japanese name not created"
# the CLI (onshi.exe) over the same folders; a decode of a result with a Japanese name
out=$(ONSHI_CONF=files.conf run ./onshi.exe verify --insurer 01130111 --symbol 101-01 \
    --number 0001037 --branch 01 --birth 19800401 --limit-consent) || fail "onshi.exe verify: $out"
echo "$out" | grep -q "qualification: valid" || fail "onshi.exe verify output: $out"
# Linkage app down: the request is not taken (ONSHI_E_LINKAGE_NOT_RUNNING), stays pending, is
# picked up after the restart, and the simulator saw it exactly once.
stop_pid "$T/l.pid"
out=$(ONSHI_LINKAGE_TAKE_TIMEOUT_MS=300 ONSHI_RESULT_TIMEOUT_MS=300 \
    run ./verify_insurance_card.exe files.conf 01130111 101-01 0001037 01 19800401)
id=$(echo "$out" | pending_id)
[ -n "$id" ] || fail "files: not pending: $out"
[ "$(ls "$D/req" | grep -c "_$id")" -eq 1 ] || fail "files: pending request not in req/ once: $(ls "$D/req")"
start_linkage
out=$(run ./verify_insurance_card.exe files.conf --pickup "$id") || fail "files pickup: $out"
echo "$out" | grep -q "qualification: valid" || fail "files pickup result: $out"
[ "$(grep -c "$id" "$T/l.log")" -ge 1 ] || fail "files: the simulator did not log $id"
out=$(run ./verify_insurance_card.exe files.conf --pickup "$id")
[ $? -ne 0 ] || fail "files: a consumed result was delivered twice: $out"
[ -z "$(ls "$D/req")" ] || fail "files: a request was written again: $(ls "$D/req")"
# A half-written result (no closing tag yet) is never taken as complete: written in two
# parts by a slow writer on the Linux side while the Windows client waits.
stop_pid "$T/l.pid"
out=$(ONSHI_LINKAGE_TAKE_TIMEOUT_MS=300 ONSHI_RESULT_TIMEOUT_MS=300 \
    run ./verify_insurance_card.exe files.conf 01130111 101-01 0001037 01 19800401)
id=$(echo "$out" | pending_id)
req=$(ls "$D/req" | grep "_$id" | head -1)
if [ -n "$id" ] && [ -n "$req" ]; then
    # answer it with the simulator's own result, the way the real app does, but in pieces
    start_linkage
    n=200
    while [ -z "$(ls "$D/res" 2>/dev/null)" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    stop_pid "$T/l.pid"
    res=$(ls "$D/res" | head -1)
    if [ -n "$res" ]; then
        mv "$D/res/$res" "$T/full.xml"
        len=$(wc -c <"$T/full.xml")
        # cut where the first part does not end like a whole document ('>' and blanks)
        cut=$((len / 2))
        while case "$(head -c $cut "$T/full.xml" | tail -c 1 | od -An -c | tr -d ' ')" in
              '>'|'\n'|'\r'|'\t'|'') true ;; *) false ;; esac; do cut=$((cut - 1)); done
        head -c $cut "$T/full.xml" >"$D/res/$res"
        ( sleep 2; tail -c +$((cut + 1)) "$T/full.xml" >>"$D/res/$res" ) &
        writer=$!
        out=$(run ./verify_insurance_card.exe files.conf --pickup "$id")
        wait $writer
        echo "$out" | grep -q "qualification: valid" || fail "files: half-written result: $out"
    else
        fail "files: no result to cut in half"
    fi
else
    fail "files: second pending request: $out"
fi

# ---- HTTPS against onshi-sim on 127.0.0.1 ----------------------------------------------------
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
tls_ca_file = $(winpath "$P/tls-ca.crt")
tls_client_cert = $(winpath "$P/client-1311234569.crt")
tls_client_key = $(winpath "$P/client-1311234569.key")
state_db = $(winpath "$T/https.db")
CONF
out=$(run ./verify_insurance_card.exe https.conf 39130216 "" 0001407 "" 19400101) ||
    fail "https verify (後期高齢者): $out"
echo "$out" | grep -q "qualification: valid" || fail "https output: $out"
# the server's certificate is checked: another CA is refused
sed "s|^tls_ca_file = .*|tls_ca_file = $(winpath "$P/client-1311234569.crt" | sed 's/\\/\\\\/g')|" \
    "$T/https.conf" >"$T/bad.conf"
out=$(run ./verify_insurance_card.exe bad.conf 39130216 "" 0001407 "" 19400101)
[ $? -eq 1 ] || fail "https: an untrusted server was accepted: $out"

[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
