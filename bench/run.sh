#!/bin/sh
# `make bench`: every benchmark one after the other (never two at once), raw samples into one
# file, then bench/report.py writes bench/report.md and the PNG plots.
# Usage: run.sh BUILD_DIR   (BENCH_QUICK=1: reduced sizes, to prove the chain works;
# BENCH_BATCH="1000 10000 ..." overrides the batch sizes; BENCH_INSTR="1000 10000" (default):
# the sizes also counted in instructions under callgrind, "" none)
set -eu
B=$1
OUT=$B/bench/out
RAW=$OUT/raw.tsv
mkdir -p "$OUT"
: >"$RAW"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    SCALE=quick; FX=10; PAIRS=5; MAXU=100000; HN=300; HC=10; BATCH="1000 10000"
else
    SCALE=full; FX=30; PAIRS=11; MAXU=1000000; HN=1000; HC=30; BATCH="1000 10000 100000"
fi
{
    printf 'meta\tscale\t%s\n' "$SCALE"
    printf 'meta\tdate\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf 'meta\tcommit\t%s\n' "$(git rev-parse --short HEAD 2>/dev/null || echo '?')"
    printf 'meta\tcpus\t%s\n' "$(nproc)"
    printf 'meta\tcpu\t%s\n' "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
    printf 'meta\tload_start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$RAW"
step() { echo "== $1"; }

BATCH=${BENCH_BATCH:-$BATCH}
step "file transfer"
BENCH_FILEXFER_N=$FX "$B/bench/filexfer" "$RAW"
step "codec"
BENCH_PAIRS=$PAIRS BENCH_MAX_UNITS=$MAXU "$B/bench/codec" "$RAW"
step "HTTPS against onshi-sim"
BENCH_HTTPS_N=$HN BENCH_HTTPS_COLD=$HC sh bench/https/run.sh "$B/bin/onshi-sim" \
    "$B/bench/https/bench-https" "$B/bin/onshi" "$RAW"
step "batch against onshi-sim (no processing delay): $BATCH"
# shellcheck disable=SC2086
INSTR=${BENCH_INSTR-1000 10000} sh bench/batch/scale.sh "$B/bin/onshi-sim" "$B/bin/onshi" $BATCH |
    tee "$OUT/batch.txt"
sed 's/^/batch\t/; s/ /\t/g' "$OUT/batch.txt" >>"$RAW"
step "card (private pcscd + vpcd + onshi-vcard; OpenSC pkcs15-tool)"
if command -v pcscd >/dev/null && command -v pkcs15-tool >/dev/null; then
    BENCH_RAW=$(cd "$OUT" && pwd)/raw.tsv ONSHI_VCARD=$(cd "$B/bin" && pwd)/onshi-vcard \
        sh test/integration/pcsc/harness.sh "$(cd "$B/bench/card" && pwd)/bench_card" ||
        echo "card bench failed (see above); the report leaves it out"
else
    echo "pcscd or OpenSC missing: the card bench is left out"
fi
printf 'meta\tload_end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RAW"
step "report"
python3 bench/report.py "$RAW" bench/report.md "$OUT"
echo "bench/report.md written; plots in $OUT"
