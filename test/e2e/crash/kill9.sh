#!/bin/bash
# kill -9 trials: the never-resend promise seen from outside (docs/reliability.md).
#
# Against onshi-sim's linkage mode, each trial starts one exchange with the onshi CLI — a
# single 資格確認 (`onshi verify`) or a batch before the visit (`onshi batch FILE.csv`) —
# kills it with SIGKILL after a random delay, and restarts the way staff would: the same
# command again (single: an identical open request is joined, not sent again) or
# `onshi batch --resume ID` (the id the killed run printed, else `--list`). Then it checks:
#   answered  the restart printed the answer of the right patient(s), exactly once each;
#   lost      no request left open (`onshi pending`), no request or temporary file left in
#             req/, no result left in res/, every request the linkage app took is consumed;
#   duplicated no request was sent while an identical one was still open (from the state
#             store: a second request of a trial was recorded only after the first had been
#             consumed by the killed process, or was never published); a batch's list was
#             uploaded exactly once.
# Usage: kill9.sh SIM ONSHI TRIALS [SEED]   (prints the figures; exit 1 on any lost/duplicate)
set -u
TRIALS=${3:-200}; SEED=${4:-$$}
RANDOM=$SEED
T=$(mktemp -d /tmp/onshi-kill9-XXXXXX)
# copies: a rebuild during a long run must not change the programs under test
cp "$1" "$T/onshi-sim" && cp "$2" "$T/onshi" || exit 1
SIM=$T/onshi-sim; ONSHI=$T/onshi
LPID=
cleanup() {
    [ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
"$SIM" init-db "$T/reg.db" >/dev/null || exit 1
"$SIM" linkage --db "$T/reg.db" --dir "$T/oqs" --poll-ms 20 --bulk-delay-ms 100 2>"$T/l.log" &
LPID=$!
for _ in $(seq 100); do [ -d "$T/oqs/face" ] && break; sleep 0.05; done
cat >"$T/onshi.conf" <<CONF
medical_institution_code = 1311234569
transport = file
req_dir = $T/oqs/req
res_dir = $T/oqs/res
state_db = $T/state.db
poll_interval_ms = 20
result_timeout_ms = 30000
batch_poll_base_ms = 50
batch_poll_max_ms = 200
batch_poll_limit = 1000
CONF
export ONSHI_CONF=$T/onshi.conf LANG=C ONSHI_LANG=en
# Patients of the simulator's registry: insurer symbol number branch birth name
PEOPLE=(
    "01130111 101-01 0001037 01 19800401 見本　太郎"
    "01130129 102-02 0001074 03 19820715 見本　花子"
    "01130137 103-03 0001111 04 20220510 見本　小太郎"
)
cat >"$T/list.csv" <<CSV
patient_id,insurer_number,symbol,number,branch,birthdate,limit_consent
E001,01130111,101-01,0001037,01,19800401,0
E002,01130129,102-02,0001074,03,19820715,0
E003,01130137,103-03,0001111,04,20220510,0
CSV
q() { sqlite3 "$T/state.db" "$1" 2>/dev/null; }

single=0; batch=0; answered=0; lost=0; dup=0
declare -A at   # where the kill landed
problem() { echo "trial $1: $2" >>"$T/problems"; }

for i in $(seq "$TRIALS"); do
    before=$(q "SELECT count(*) FROM pending" || echo 0); before=${before:-0}
    taken0=$(grep -c 'linkage: OQS.*req_' "$T/l.log")
    # uniform over most of the run: a single exchange takes about 200 ms here, a batch about 1 s
    delay_ms=$((RANDOM % 200))
    if [ $((i % 3)) -ne 0 ]; then
        single=$((single + 1))
        read -r ins sym num br birth name <<<"${PEOPLE[$((RANDOM % ${#PEOPLE[@]}))]}"
        args=(verify --insurer "$ins" --symbol "$sym" --number "$num" --branch "$br" --birth "$birth")
        "$ONSHI" "${args[@]}" >"$T/k.out" 2>"$T/k.err" &
        k=$!
        sleep "$(printf '0.%03d' "$delay_ms")"
        if kill -9 "$k" 2>/dev/null; then wait "$k" 2>/dev/null; done_before=0; else wait "$k"; done_before=1; fi
        # where it stopped: the state of this trial's first request, if any
        st=$(q "SELECT state FROM pending ORDER BY id LIMIT 1 OFFSET $before")
        case ${st:-0} in
        0) where=before-recording ;; 1) where=recorded ;; 2) where=published ;; 3) where=taken ;;
        4) where=answered ;; 5) where=consumed ;; 6) where=abandoned ;; *) where=state-$st ;;
        esac
        [ "$done_before" = 1 ] && where=exited
        at[$where]=$((${at[$where]:-0} + 1))
        if ! "$ONSHI" "${args[@]}" >"$T/r.out" 2>"$T/r.err"; then
            problem "$i" "restart failed: $(cat "$T/r.err")"; lost=$((lost + 1)); continue
        fi
        if ! grep -q "$name" "$T/r.out" || [ "$(grep -c "^\[[0-9]\]" "$T/r.out")" -ne 1 ]; then
            problem "$i" "restart did not print $name once"; lost=$((lost + 1)); continue
        fi
        # every request of this trial: id, state, created, consumed
        rows=$(q "SELECT id||' '||state||' '||created_ms||' '||coalesce(consumed_ms,0)||' '||coalesce(published_ms,0) FROM pending ORDER BY id LIMIT -1 OFFSET $before")
        n=$(printf '%s\n' "$rows" | grep -c .)
        taken=$(( $(grep -c 'linkage: OQS.*req_' "$T/l.log") - taken0 ))
        open=$(printf '%s\n' "$rows" | awk '$2 < 5' | wc -l)
        if [ "$open" -ne 0 ]; then problem "$i" "open requests left: $rows"; lost=$((lost + 1)); continue; fi
        consumed=$(printf '%s\n' "$rows" | awk '$2 == 5' | wc -l)
        if [ "$taken" -ne "$consumed" ]; then
            problem "$i" "linkage took $taken, $consumed consumed: $rows"; lost=$((lost + 1)); continue
        fi
        if [ "$n" -ge 2 ]; then
            # a later request is legitimate only when every earlier one was finished (consumed
            # or abandoned: never published) before it was recorded
            if ! printf '%s\n' "$rows" | awk 'NR == 1 { c = $4; next }
                  { if ($3 < c || c == 0) bad = 1; c = $4 } END { exit bad }'; then
                problem "$i" "sent again while an identical request was open: $rows"; dup=$((dup + 1)); continue
            fi
        fi
    else
        batch=$((batch + 1))
        up0=$(grep -c 'linkage: OQSmuquc01req_' "$T/l.log")
        "$ONSHI" batch "$T/list.csv" --csv >"$T/k.out" 2>"$T/k.err" &
        k=$!
        delay_ms=$((RANDOM % 1000))
        sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
        if kill -9 "$k" 2>/dev/null; then wait "$k" 2>/dev/null; where=batch-killed; else wait "$k"; where=batch-finished; fi
        at[$where]=$((${at[$where]:-0} + 1))
        id=$(sed -n 's/.*--resume \(B[0-9A-Za-z-]*\).*/\1/p' "$T/k.err" | head -1)
        [ -z "$id" ] && id=$("$ONSHI" batch --list | awk 'NR == 1 { print $1 }')
        if [ -n "$id" ]; then
            "$ONSHI" batch --resume "$id" --csv >"$T/r.out" 2>"$T/r.err"
        else
            "$ONSHI" batch "$T/list.csv" --csv >"$T/r.out" 2>"$T/r.err"
        fi || { problem "$i" "batch restart failed: $(cat "$T/r.err")"; lost=$((lost + 1)); continue; }
        for e in E001 E002 E003; do
            if [ "$(grep -c "^$e,1,valid," "$T/r.out")" -ne 1 ]; then
                problem "$i" "batch: $e not answered exactly once"; lost=$((lost + 1)); continue 2
            fi
        done
        if [ -n "$("$ONSHI" batch --list)" ]; then problem "$i" "batch left unfinished"; lost=$((lost + 1)); continue; fi
        ups=$(( $(grep -c 'linkage: OQSmuquc01req_' "$T/l.log") - up0 ))
        if [ "$ups" -ne 1 ]; then problem "$i" "batch list uploaded $ups times"; dup=$((dup + 1)); continue; fi
    fi
    # nothing left behind in the folders, nothing open
    if [ -n "$(ls -A "$T/oqs/req")" ] || [ -n "$(ls -A "$T/oqs/res")" ]; then
        problem "$i" "left in req/res: $(ls -A "$T/oqs/req" "$T/oqs/res" | tr '\n' ' ')"; lost=$((lost + 1)); continue
    fi
    if "$ONSHI" pending | grep -q '^[0-9]\{16\}'; then problem "$i" "pending list not empty"; lost=$((lost + 1)); continue; fi
    answered=$((answered + 1))
done
echo "kill -9 trials: $TRIALS ($single single, $batch batch), seed $SEED"
echo "answered exactly once: $answered, lost: $lost, duplicated: $dup"
printf 'kill landed at:'; for w in "${!at[@]}"; do printf ' %s=%s' "$w" "${at[$w]}"; done; echo
[ -s "$T/problems" ] && head -20 "$T/problems"
[ "$lost" -eq 0 ] && [ "$dup" -eq 0 ] && [ "$answered" -eq "$TRIALS" ]
