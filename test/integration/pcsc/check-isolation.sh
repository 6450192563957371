#!/bin/sh
# Checks the harness's own promises from the outside (the host side):
#   - while a run is up (pcscd, vpcd listening, a card inserted), nothing listens on the
#     host's 35963 and the host's /run/pcscd gets no socket from it;
#   - afterwards no process of the run is left and its folder is gone.
#   check-isolation.sh VCARD_BIN
set -u
vcard=$1
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "needs root; skipped"; exit 0; }
sync=$(mktemp -d "${TMPDIR:-/tmp}/onshi-iso.XXXXXX") || exit 1
trap 'touch "$sync/go"; rm -rf "$sync"' EXIT

listening() { grep -q ':8C7B .* 0A ' /proc/net/tcp 2>/dev/null; }
host_listened=0; listening && host_listened=1
host_sock=0; [ -S /run/pcscd/pcscd.comm ] && host_sock=1

ONSHI_TEST_SYNC=$sync sh "$here/harness.sh" sh -c '
    "$0" --apdu-log "$ONSHI_PCSC_RUNDIR/iso.apdu" & echo $! >"$ONSHI_PCSC_RUNDIR/pids/iso.pid"
    n=0
    until grep -q "power on" "$ONSHI_PCSC_RUNDIR/iso.apdu" 2>/dev/null || [ $n -gt 400 ]; do
        sleep 0.05; n=$((n + 1)); done
    echo "$ONSHI_PCSC_RUNDIR" >"$ONSHI_TEST_SYNC/rundir"
    ss -ltn >"$ONSHI_TEST_SYNC/inside" 2>&1 || cat /proc/net/tcp >"$ONSHI_TEST_SYNC/inside"
    touch "$ONSHI_TEST_SYNC/up"
    n=0
    until [ -e "$ONSHI_TEST_SYNC/go" ] || [ $n -gt 600 ]; do sleep 0.05; n=$((n + 1)); done
' "$vcard" &
hpid=$!

n=0
until [ -e "$sync/up" ]; do
    n=$((n + 1))
    if [ "$n" -gt 600 ] || ! kill -0 "$hpid" 2>/dev/null; then
        echo "FAIL: the run never came up"; exit 1
    fi
    sleep 0.05
done
rc=0
grep -q ':35963' "$sync/inside" || { echo "FAIL: vpcd not listening inside the namespace"; rc=1; }
if [ "$host_listened" = 0 ] && listening; then
    echo "FAIL: something listens on the host's 35963 during the run"; rc=1
fi
if [ "$host_sock" = 0 ] && [ -e /run/pcscd/pcscd.comm ]; then
    echo "FAIL: the run's pcscd socket appeared on the host"; rc=1
fi
rundir=$(cat "$sync/rundir")
touch "$sync/go"
wait "$hpid" || { echo "FAIL: harness exit status $?"; rc=1; }
[ -e "$rundir" ] && { echo "FAIL: $rundir left behind"; rc=1; }
for c in /proc/[0-9]*/cmdline; do
    if tr '\0' ' ' <"$c" 2>/dev/null | grep -q "$rundir"; then
        echo "FAIL: a process of the run survived: $(tr '\0' ' ' <"$c")"; rc=1
    fi
done
[ "$rc" = 0 ] && echo "isolation ok"
exit "$rc"
