#!/bin/sh
# make fuzz: run each libFuzzer target for SECONDS from its corpus folders.
# usage: run-fuzz.sh BUILD_DIR SECONDS "target:dir1 dir2" …
# New inputs are kept in BUILD_DIR/corpus/TARGET (not in the repository); findings (crash,
# leak, timeout, out-of-memory) in BUILD_DIR/findings/. Prints one line per target.
set -u
B=$1; SECS=$2; shift 2
mkdir -p "$B/findings"
status=0
for spec in "$@"; do
    t=${spec%%:*}; dirs=${spec#*:}
    mkdir -p "$B/corpus/$t"
    log="$B/findings/$t.log"
    # -rss_limit_mb / -timeout: a blow-up or a hang is a finding, not a stuck run
    "$B/test/fuzz/$t" -max_total_time="$SECS" -rss_limit_mb=1024 -timeout=10 -max_len=65536 \
        -artifact_prefix="$B/findings/$t-" -print_final_stats=1 "$B/corpus/$t" $dirs >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "$t: ${execs:-?} executions (${secs:-?}/s), $cov, no finding"
    else
        echo "$t: FINDING after ${execs:-?} executions (see $log)"
        status=1
    fi
done
exit $status
