#!/bin/sh
# Batch scaling: `onshi batch` (whole process, CSV out) against onshi-sim over HTTPS with no
# processing delay, for each size given. Prints one line per size:
#   entries wall_s user_s sys_s maxrss_kb sim_download_ms sim_cpu_s client_instructions
# (client_instructions: with INSTR="N ...", the sizes also run once under callgrind; else -)
# (client: the whole `onshi batch` process; simulator: the download request as it logs it, and
# the CPU it used during the run)
# Usage: scale.sh ONSHI_SIM ONSHI N...   (not a test: nothing here asserts a time)
set -eu
SIM=$1; ONSHI=$2; shift 2
. "$(dirname "$0")/../../test/sim/lib.sh"
T=$(mktemp -d)
trap 'stop_pid $T/s.pid; rm -rf "$T"' EXIT
max=0
for n in "$@"; do [ "$n" -gt "$max" ] && max=$n; done
"$SIM" init-db "$T/reg.db" --persons "$max" >/dev/null
"$SIM" pki "$T/pki" --db "$T/reg.db" >/dev/null
"$SIM" serve --db "$T/reg.db" --listen 127.0.0.1:0 --bulk-delay-ms 0 --workers 2 \
    --cert "$T/pki/server.crt" --key "$T/pki/server.key" --client-ca "$T/pki/tls-ca.crt" \
    --pidfile "$T/s.pid" >"$T/s.out" 2>"$T/s.log" &
wait_for "$T/s.pid"
n=300; while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
HZ=$(getconf CLK_TCK)
# CPU seconds (user+sys, in clock ticks) the simulator has used so far
simcpu() { awk '{print $14 + $15}' "/proc/$(cat "$T/s.pid")/stat"; }
for n in "$@"; do
    {
        echo "patient_id,insurer_number,symbol,number,branch,birthdate,limit_consent"
        sqlite3 -csv "$T/reg.db" "SELECT id, insurer, symbol, number, branch, birth, 0 FROM persons
            WHERE scenario='synthetic' ORDER BY id LIMIT $n"
    } >"$T/list.csv"
    rm -f "$T/state.db"*
    : >"$T/s.log"
    c0=$(simcpu)
    /usr/bin/time -f '%e %U %S %M' -o "$T/time" "$ONSHI" batch "$T/list.csv" --quiet --csv \
        --set transport=https --set "server_url=https://localhost:$PORT" \
        --set "tls_ca_file=$T/pki/tls-ca.crt" --set "tls_client_cert=$T/pki/client-1311234569.crt" \
        --set "tls_client_key=$T/pki/client-1311234569.key" --set "state_db=$T/state.db" \
        --set medical_institution_code=1311234569 --set batch_poll_base_ms=10 \
        --set batch_poll_limit=1000 --set read_timeout_ms=3600000 \
        --set result_max_size=4294967296 --set xml_max_size=4294967296 >"$T/out.csv" 2>"$T/err" \
        || { cat "$T/err" "$T/s.log" >&2; fail "batch of $n"; }
    c1=$(simcpu)
    [ -z "${KEEPLOG:-}" ] || cp "$T/s.log" "$KEEPLOG.$n"
    rows=$(grep -c '^S' "$T/out.csv" || true)
    [ "$rows" -eq "$n" ] || fail "batch of $n: $rows rows"
    # the simulator logs each request with its duration in ms
    dl=$(sed -n "s/.*OQSmuquc02req -> 200 [0-9]* bytes \([0-9]*\) ms.*/\1/p" "$T/s.log" | tail -1)
    instr=-
    if [ -n "${INSTR:-}" ] && echo " $INSTR " | grep -q " $n "; then
        # the same process once more under callgrind: instructions executed, a count that does
        # not depend on what else runs on the machine (the simulator is not counted)
        rm -f "$T/state.db"*
        valgrind --tool=callgrind --callgrind-out-file="$T/cg.out" "$ONSHI" batch "$T/list.csv" \
            --quiet --csv --set transport=https --set "server_url=https://localhost:$PORT" \
            --set "tls_ca_file=$T/pki/tls-ca.crt" --set "tls_client_cert=$T/pki/client-1311234569.crt" \
            --set "tls_client_key=$T/pki/client-1311234569.key" --set "state_db=$T/state.db" \
            --set medical_institution_code=1311234569 --set batch_poll_base_ms=10 \
            --set batch_poll_limit=1000 --set read_timeout_ms=3600000 \
            --set result_max_size=4294967296 --set xml_max_size=4294967296 \
            >/dev/null 2>"$T/cg.err" && instr=$(sed -n 's/^totals: //p' "$T/cg.out")
    fi
    echo "$n $(cat "$T/time") ${dl:--} $(echo "$c0 $c1" | awk -v hz="$HZ" '{printf "%.2f", ($2-$1)/hz}') ${instr:--}"
done
