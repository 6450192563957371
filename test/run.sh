#!/bin/sh
# Test runner used by `make check`. Appends "name passed failed" lines to a results file and
# prints a closing summary "N passed, N failed".
#   run.sh cmocka RESULTS BIN...        run cmocka programs, count their tests
#   run.sh script RESULTS NAME CMD...   run a command; it is one test, passed when it exits 0
#   run.sh summary RESULTS              print the totals; exit 1 if anything failed
# Environment: ONSHI_TEST_WRAP (e.g. "valgrind --error-exitcode=99 --leak-check=full")
# wraps cmocka programs. No wall-clock limits are asserted; a guard of 15 min per program
# only stops a hang from eating the CI budget.
set -u
mode=$1; results=$2; shift 2
mkdir -p "$(dirname "$results")"
guard="timeout --signal=KILL 900"

case "$mode" in
cmocka)
    for bin in "$@"; do
        log=$(mktemp)
        CMOCKA_MESSAGE_OUTPUT=stdout $guard ${ONSHI_TEST_WRAP:-} "$bin" >"$log" 2>&1
        rc=$?
        cat "$log"
        passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
        if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
            # Crashed, leaked under valgrind, or exited early: count the program as a failure.
            echo "[  FAILED  ] $bin exited with status $rc"
            failed=1
        fi
        echo "$bin $passed $failed" >>"$results"
        rm -f "$log"
    done
    ;;
script)
    name=$1; shift
    log=$(mktemp)
    $guard "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 0 ]; then
        echo "[       OK ] $name"
        printf 'script:%s 1 0\n' "$(echo "$name" | tr ' ' '_')" >>"$results"
    else
        cat "$log"
        echo "[  FAILED  ] $name (exit $rc)"
        printf 'script:%s 0 1\n' "$(echo "$name" | tr ' ' '_')" >>"$results"
    fi
    rm -f "$log"
    [ "$rc" -eq 0 ]
    ;;
summary)
    [ -f "$results" ] || { echo "no results"; exit 1; }
    failed_list=$(awk '$3 > 0 {print "  " $1}' "$results")
    if [ -n "$failed_list" ]; then
        echo "failed:"
        echo "$failed_list"
    fi
    awk '{p+=$2; f+=$3} END {printf "%d passed, %d failed\n", p, f; exit (f > 0)}' "$results"
    ;;
*)
    echo "usage: run.sh cmocka|script|summary RESULTS ..." >&2
    exit 2
    ;;
esac
