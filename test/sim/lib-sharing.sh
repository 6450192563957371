#!/bin/sh
# Several processes (reception PCs) on one req/res folder pair, answered by onshi-sim's
# linkage mode (test/sim/lib_sharing.c): separate state stores, then one shared store, then a
# linkage app that answers with another patient's result (and a batch with another batch's).
# Sizes: SHARING_N processes x SHARING_M rounds each (default 4 x 30 = 120 concurrent rounds
# per store layout).
SIM=$1; CLIENT=$2
N=${SHARING_N:-4}; M=${SHARING_M:-30}
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
trap 'stop_pid $T/l.pid; stop_pid $T/w.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$T/reg.db" >/dev/null
for layout in separate shared; do
    D=$T/$layout
    "$SIM" linkage --db "$T/reg.db" --dir "$D" --poll-ms 20 --pidfile "$T/l.pid" \
        2>"$T/l-$layout.log" &
    wait_for "$T/l.pid"; wait_for "$D/res"
    "$CLIENT" "$D" "$T/reg.db" "$N" "$M" "$layout" || { tail -50 "$T/l-$layout.log" >&2; fail "$layout stores"; }
    # the linkage app saw each request name exactly once (no request replaced another)
    taken=$(grep -c ' -> ' "$T/l-$layout.log" || true)
    uniq=$(grep ' -> ' "$T/l-$layout.log" | sed 's/.*linkage: \([^ ]*\) -> .*/\1/' | sort -u | wc -l)
    [ "$taken" -eq $((N * M)) ] || fail "$layout: the linkage app took $taken requests, not $((N * M))"
    [ "$uniq" -eq "$taken" ] || fail "$layout: a request name was used twice ($uniq names for $taken requests)"
    stop_pid "$T/l.pid"; sanitizer_clean "$T/l-$layout.log"
done
"$SIM" linkage --db "$T/reg.db" --dir "$T/wrong" --poll-ms 20 --fault wrongpatient \
    --pidfile "$T/w.pid" 2>"$T/w.log" &
wait_for "$T/w.pid"; wait_for "$T/wrong/res"
"$CLIENT" "$T/wrong" "$T/reg.db" wrong || { cat "$T/w.log" >&2; fail "wrong patient"; }
stop_pid "$T/w.pid"; sanitizer_clean "$T/w.log"
# the same fault for batches: the second batch's upload gets the first one's upload result
"$SIM" linkage --db "$T/reg.db" --dir "$T/wrongbatch" --poll-ms 20 --bulk-delay-ms 0 \
    --fault wrongpatient --pidfile "$T/w.pid" 2>"$T/wb.log" &
wait_for "$T/w.pid"; wait_for "$T/wrongbatch/res"
"$CLIENT" "$T/wrongbatch" "$T/reg.db" wrongbatch || { cat "$T/wb.log" >&2; fail "another batch's result"; }
stop_pid "$T/w.pid"; sanitizer_clean "$T/wb.log"
