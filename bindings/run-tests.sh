#!/bin/sh
# Run one binding's test suite and record its test counts in make check's results file.
#   run-tests.sh KIND RESULTS NAME COMMAND [ARG...]     KIND: pytest | nunit | junit
# The counts come from the runner's own summary; a skipped or ignored test counts as a
# failure (nothing is skipped silently), and so does a run that reports no test at all.
# SPDX-License-Identifier: Apache-2.0
set -u
kind=$1 results=$2 name=$3
shift 3
log=$(mktemp)
timeout --signal=KILL 900 "$@" >"$log" 2>&1
rc=$?
case "$kind" in
pytest)
    passed=$(grep -Eo '[0-9]+ passed' "$log" | tail -n 1 | awk '{print $1}')
    failed=$(grep -Eo '[0-9]+ (failed|error|errors)' "$log" | awk '{s+=$1} END {print s+0}')
    skipped=$(grep -Eo '[0-9]+ (skipped|xfailed|xpassed|deselected)' "$log" | awk '{s+=$1} END {print s+0}')
    ;;
nunit)
    run=$(sed -n 's/^Tests run: \([0-9]*\),.*/\1/p' "$log" | tail -n 1)
    failed=$(sed -n 's/^Tests run: [0-9]*, Errors: \([0-9]*\), Failures: \([0-9]*\).*/\1 \2/p' "$log" |
             tail -n 1 | awk '{print $1 + $2}')
    skipped=$(sed -n 's/.*Not run: \([0-9]*\), Invalid: \([0-9]*\), Ignored: \([0-9]*\), Skipped: \([0-9]*\).*/\1 \2 \3 \4/p' \
              "$log" | tail -n 1 | awk '{print $1 + $2 + $3 + $4}')
    passed=$(( ${run:-0} - ${failed:-0} ))
    ;;
junit)
    passed=$(sed -n 's/.*\[ *\([0-9]*\) tests successful *\].*/\1/p' "$log" | tail -n 1)
    failed=$(sed -n 's/.*\[ *\([0-9]*\) tests failed *\].*/\1/p' "$log" | tail -n 1)
    skipped=$(sed -n 's/.*\[ *\([0-9]*\) tests \(skipped\|aborted\) *\].*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    ;;
*)
    echo "run-tests.sh: unknown kind $kind" >&2
    exit 2
    ;;
esac
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}
failed=$((failed + skipped))
[ "$rc" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
[ "$passed" -eq 0 ] && [ "$failed" -eq 0 ] && failed=1
if [ "$failed" -eq 0 ]; then
    grep -o 'RSS .*' "$log" || true
    echo "[       OK ] $name: $passed tests"
else
    cat "$log"
    echo "[  FAILED  ] $name: $passed passed, $failed failed or skipped (exit $rc)"
fi
printf 'binding:%s %d %d\n' "$(echo "$name" | tr ' ' '_')" "$passed" "$failed" >>"$results"
rm -f "$log"
[ "$failed" -eq 0 ]
