#!/bin/sh
# End-to-end: `onshi batch` (libonshi's batch engine) against onshi-sim, through the linkage
# mode (files) and the HTTPS server, with the simulator's processing delay and its "endless
# still processing" fault; the batch is interrupted there and resumed after a simulator
# restart, and the list is uploaded exactly once; examples/batch_reservations.c does its job.
# Usage: batch.sh ONSHI_SIM ONSHI EXAMPLE
SIM=$1; ONSHI=$2; EXAMPLE=$3
. "$(dirname "$0")/../../sim/lib.sh"
T=$(mktemp -d)
trap 'stop_pid $T/l.pid; stop_pid $T/s.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$T/reg.db" >/dev/null
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null

cat >"$T/list.csv" <<'CSV'
patient_id,insurer_number,symbol,number,branch,birthdate,limit_consent
E001,01130111,101-01,0001037,01,19800401,1
E002,01130129,102-02,0001074,03,19820715,0
E038,01130483,138-03,0002406,01,19881010,0
E039,06131395,139-04,0002443,01,19920202,0
E042,01130525,142-00,0002554,,20150707,0
E099,01130012,,9999999,,19700101,0
E007,130179,107-00,0001259,01,19900303,0
CSV

# expect_results OUT.csv: every reserved patient answered once, with the registry's answer
expect_results() {
    has "$1" '^E001,1,valid,'
    has "$1" '見本　太郎'
    has "$1" '^E002,1,valid,'
    has "$1" '^E038,2,invalid,'
    has "$1" '^E039,2,invalid,'
    has "$1" '^E042,4,several matches,'
    has "$1" '^E099,3,not found,'
    has "$1" '^E007,1,valid,'
    [ "$(grep -c '^E' "$1")" -eq 7 ] || fail "$1: not 7 rows"
}
# the batch id printed by the first run
batch_id() { sed -n 's/.*--resume \(B[0-9A-Za-z-]*\).*/\1/p' "$1" | head -1; }

FILES="--set transport=file --set req_dir=$T/oqs/req --set res_dir=$T/oqs/res
       --set state_db=$T/state.db --set medical_institution_code=1311234569
       --set poll_interval_ms=20 --set batch_poll_base_ms=50 --set batch_poll_max_ms=200"

# ---- linkage mode: processing delay, several "still processing" answers ----------------------
start_linkage() {
    "$SIM" linkage --db "$T/reg.db" --dir "$T/oqs" --poll-ms 20 --bulk-delay-ms 300 "$@" \
        --pidfile "$T/l.pid" 2>>"$T/l.log" &
    wait_for "$T/l.pid"; wait_for "$T/oqs/req"
}
start_linkage
# shellcheck disable=SC2086
"$ONSHI" batch "$T/list.csv" $FILES --set batch_poll_limit=1000 --csv >"$T/f1.csv" 2>"$T/f1.err" \
    || { cat "$T/f1.err" "$T/l.log" >&2; fail "file batch"; }
expect_results "$T/f1.csv"
[ -z "$(ls "$T/oqs/res")" ] || fail "results left in res/"

# examples/batch_reservations.c against the same linkage app
"$EXAMPLE" transport=1 "req_dir=$T/oqs/req" "res_dir=$T/oqs/res" "state_db=$T/state.db" \
    medical_institution_code=1311234569 poll_interval_ms=20 batch_poll_base_ms=50 \
    >"$T/ex.out" 2>"$T/ex.err" || { cat "$T/ex.err" >&2; fail "example"; }
has "$T/ex.out" '^K-0001   valid *見本　太郎'
has "$T/ex.out" '^K-0002   invalid'
has "$T/ex.out" '^K-0003   several matches'
# one line per update (issue 16): never a line rewritten with a carriage return
! grep -q "$(printf '\r')" "$T/ex.err" || fail "example progress rewrites lines"
[ "$(grep -c '^results [0-9]*/3$' "$T/ex.err")" -eq 3 ] || { cat "$T/ex.err" >&2; fail "example: not one line per result"; }
has "$T/ex.err" '^waiting for the linkage app and the system$'

# ---- linkage mode: the system never finishes; interrupt, restart, resume -------------------------
stop_pid "$T/l.pid"; : >"$T/l.log"
start_linkage --fault processing
# shellcheck disable=SC2086
if "$ONSHI" batch "$T/list.csv" $FILES --set batch_poll_limit=2 --csv >"$T/f2.csv" 2>"$T/f2.err"; then
    fail "endless processing did not stop the run"
fi
has "$T/f2.err" 'still processing'
ID=$(batch_id "$T/f2.err"); [ -n "$ID" ] || fail "no batch id in $T/f2.err"
# shellcheck disable=SC2086
"$ONSHI" batch --list $FILES >"$T/list.out" || fail "batch --list"
has "$T/list.out" "^$ID poll 7 R"
stop_pid "$T/l.pid"
start_linkage
# shellcheck disable=SC2086
"$ONSHI" batch --resume "$ID" $FILES --csv >"$T/f3.csv" 2>"$T/f3.err" \
    || { cat "$T/f3.err" "$T/l.log" >&2; fail "file resume"; }
expect_results "$T/f3.csv"
# shellcheck disable=SC2086
"$ONSHI" batch --list $FILES >"$T/list.out" || fail "batch --list"
[ ! -s "$T/list.out" ] || fail "a finished batch is still listed"
[ "$(grep -c 'OQSmuquc01req' "$T/l.log")" -eq 1 ] || { cat "$T/l.log" >&2; fail "upload not exactly once"; }
stop_pid "$T/l.pid"

# ---- HTTPS ---------------------------------------------------------------------------------
start_server() {
    rm -f "$T/s.out"
    "$SIM" serve --db "$T/reg.db" --listen 127.0.0.1:0 --cert "$T/pki/server.crt" \
        --key "$T/pki/server.key" --client-ca "$T/pki/tls-ca.crt" --bulk-delay-ms 300 "$@" \
        --pidfile "$T/s.pid" >"$T/s.out" 2>>"$T/s.log" &
    wait_for "$T/s.pid"
    n=100; while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
    PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
    [ -n "$PORT" ] || fail "no port"
}
https_opts() {
    echo "--set transport=https --set server_url=https://localhost:$PORT
          --set tls_ca_file=$T/pki/tls-ca.crt --set tls_client_cert=$T/pki/client-1311234569.crt
          --set tls_client_key=$T/pki/client-1311234569.key --set state_db=$T/state.db
          --set medical_institution_code=1311234569 --set batch_poll_base_ms=50
          --set batch_poll_max_ms=200"
}
start_server
# shellcheck disable=SC2046
"$ONSHI" batch "$T/list.csv" $(https_opts) --set batch_poll_limit=1000 --json >"$T/h1.json" \
    2>"$T/h1.err" || { cat "$T/h1.err" "$T/s.log" >&2; fail "https batch"; }
has "$T/h1.json" '"patient_id":"E042","outcome":4'
has "$T/h1.json" '"patient_id":"E099","outcome":3'
has "$T/h1.json" '"reception_number":"R'
stop_pid "$T/s.pid"; : >"$T/s.log"

start_server --fault processing
# shellcheck disable=SC2046
if "$ONSHI" batch "$T/list.csv" $(https_opts) --set batch_poll_limit=2 --csv >"$T/h2.csv" \
    2>"$T/h2.err"; then
    fail "endless processing did not stop the HTTPS run"
fi
has "$T/h2.err" 'still processing'
ID=$(batch_id "$T/h2.err"); [ -n "$ID" ] || fail "no batch id in $T/h2.err"
stop_pid "$T/s.pid"
start_server
# shellcheck disable=SC2046
"$ONSHI" batch --resume "$ID" $(https_opts) --csv >"$T/h3.csv" 2>"$T/h3.err" \
    || { cat "$T/h3.err" "$T/s.log" >&2; fail "https resume"; }
expect_results "$T/h3.csv"
[ "$(grep -c 'OQSmuquc01req' "$T/s.log" | head -1)" -ge 1 ] || fail "no upload logged"
ups=$(grep 'OQSmuquc01req' "$T/s.log" | grep -vc 'OQSmuquc02' || true)
[ "$ups" -eq 1 ] || { cat "$T/s.log" >&2; fail "HTTPS upload not exactly once ($ups)"; }
stop_pid "$T/s.pid"
sanitizer_clean "$T/l.log"; sanitizer_clean "$T/s.log"
echo "ok"
