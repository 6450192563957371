#!/bin/sh
# Run a command against a private, real pcscd with the vpcd virtual reader, and stop
# everything afterwards.
#   harness.sh CMD [ARG...]
# Isolation (virtual-pcsc.md): vpcd listens on 0.0.0.0:35963/35964 and pcscd's socket path
# (/run/pcscd/pcscd.comm) is fixed, so everything runs in private namespaces:
#   -n  network: vpcd's listener exists only on this namespace's loopback;
#   -m  mount:   a tmpfs over /run/pcscd gives this pcscd its own socket and pid file,
#                so a host pcscd (or another test run) is neither seen nor disturbed;
#   -p  pid:     if anything goes wrong, the kernel kills every process of the run when the
#                namespace's first process exits — nothing outlives the test.
# Inside, CMD gets ONSHI_PCSC_RUNDIR (a private folder for logs and pid files) and
# PCSCLITE_CSOCK_NAME (the daemon socket, for clients that want it spelled out).
# Needs root (CI is root). Without root it says so and exits 77 ("skipped").
set -u
here=$(cd "$(dirname "$0")" && pwd)

if [ "${ONSHI_PCSC_INNER:-}" != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "pcsc harness: needs root for unshare and pcscd; skipped" >&2
        exit 77
    fi
    for tool in pcscd unshare ip; do
        command -v "$tool" >/dev/null 2>&1 || { echo "pcsc harness: $tool missing (make deps)" >&2; exit 1; }
    done
    [ -f /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] ||
        { echo "pcsc harness: vsmartcard-vpcd missing (make deps)" >&2; exit 1; }
    rundir=$(mktemp -d "${TMPDIR:-/tmp}/onshi-pcsc.XXXXXX") || exit 1
    trap 'rm -rf "$rundir"' EXIT
    trap 'exit 130' INT TERM
    ONSHI_PCSC_INNER=1 ONSHI_PCSC_RUNDIR=$rundir \
        unshare --net --mount --pid --fork --kill-child --mount-proc sh "$here/harness.sh" "$@"
    rc=$?
    if [ "$rc" -ne 0 ] && [ "${ONSHI_PCSC_KEEP_LOGS:-}" = 1 ]; then
        cp -r "$rundir" "$rundir.kept" && echo "pcsc harness: logs kept in $rundir.kept" >&2
    fi
    exit "$rc"
fi

# ---- inside the namespaces (pid 1 of the private pid namespace) ---------------------------
rundir=$ONSHI_PCSC_RUNDIR
pcscd_pid=""
cleanup() {
    # Stop what the test started (pid files under $rundir/pids), then pcscd, each by PID.
    for f in "$rundir"/pids/*.pid; do
        [ -f "$f" ] || continue
        p=$(cat "$f")
        kill -TERM "$p" 2>/dev/null
    done
    if [ -n "$pcscd_pid" ]; then
        kill -TERM "$pcscd_pid" 2>/dev/null
        wait "$pcscd_pid" 2>/dev/null
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip link set lo up || exit 1
mkdir -p /run/pcscd "$rundir/pids" "$rundir/reader.conf.d" || exit 1
mount -t tmpfs -o mode=0755 onshi-pcscd /run/pcscd || exit 1
# Our own copy of vpcd's reader entry: 2 slots, 'Virtual PCD 00 00' on 35963 and
# 'Virtual PCD 00 01' on 35964; DEVICENAME /dev/null = server mode (the card connects).
cat >"$rundir/reader.conf.d/vpcd" <<'CONF'
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7B
CONF

pcscd --foreground --config "$rundir/reader.conf.d" >"$rundir/pcscd.log" 2>&1 &
pcscd_pid=$!
# Wait for the daemon socket and for vpcd's listener (polling, bounded at 20 s).
n=0
until [ -S /run/pcscd/pcscd.comm ] && ip -o addr show lo >/dev/null 2>&1 &&
      grep -q ':8C7B ' /proc/net/tcp 2>/dev/null; do
    n=$((n + 1))
    if [ "$n" -gt 400 ] || ! kill -0 "$pcscd_pid" 2>/dev/null; then
        echo "pcsc harness: pcscd did not come up" >&2
        cat "$rundir/pcscd.log" >&2
        exit 1
    fi
    sleep 0.05
done

export ONSHI_PCSC_RUNDIR="$rundir"
export PCSCLITE_CSOCK_NAME=/run/pcscd/pcscd.comm
"$@"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "---- pcscd log (tail) ----" >&2
    tail -n 30 "$rundir/pcscd.log" >&2
fi
exit "$rc"
