#!/bin/sh
# examples/verify_card against onshi-sim, with the card in the REAL pcscd + vpcd (onshi-vcard
# process), the way a vendor runs it: the example reads the PIN and then the consent answers
# from its standard input (a pipe here; echo is turned off only on a terminal).
#   example.sh SIM VCARD EXAMPLE HARNESS
# Runs itself inside harness.sh (root; prints "skipped" and exits 0 otherwise).
set -u
sim=$1 vcard=$2 example=$3 harness=$4
if [ -z "${ONSHI_PCSC_RUNDIR:-}" ]; then
    sh "$harness" sh "$0" "$@"
    rc=$?
    [ "$rc" -eq 77 ] && { echo "skipped (needs root)"; exit 0; }
    exit "$rc"
fi
d=$ONSHI_PCSC_RUNDIR/example
mkdir -p "$d" "$ONSHI_PCSC_RUNDIR/pids"
"$sim" init-db "$d/reg.db" >/dev/null 2>&1 && "$sim" pki "$d/pki" --db "$d/reg.db" >/dev/null 2>&1 ||
    { echo "FAIL: registry / PKI"; exit 1; }
TZ=UTC "$sim" serve --db "$d/reg.db" --listen 127.0.0.1:0 --cert "$d/pki/server.crt" \
    --key "$d/pki/server.key" --client-ca "$d/pki/tls-ca.crt" --jpki-ca "$d/pki/jpki-ca.crt" \
    >"$d/sim.out" 2>"$d/sim.log" &
echo $! >"$ONSHI_PCSC_RUNDIR/pids/sim.pid"
"$vcard" --vpcd 127.0.0.1:35963 --cert "$d/pki/card-P001.der" --key "$d/pki/card-persons.key" \
    --ca "$d/pki/jpki-ca.crt" >"$d/vcard.log" 2>&1 &
echo $! >"$ONSHI_PCSC_RUNDIR/pids/vcard.pid"
port=
n=0
while [ -z "$port" ] && [ $n -lt 200 ]; do
    port=$(sed -n 's/^PORT=\([0-9]*\).*/\1/p' "$d/sim.out" | head -n 1)
    sleep 0.05
    n=$((n + 1))
done
[ -n "$port" ] || { echo "FAIL: onshi-sim did not start"; cat "$d/sim.log"; exit 1; }
# the PIN first (the last-try question comes before anything else), then the three consent
# questions (limit, checkup, drug)
printf '1234\ny\nn\ny\n' | "$example" --url "https://localhost:$port" --ca "$d/pki/tls-ca.crt" \
    --cert "$d/pki/client-1311234569.crt" --key "$d/pki/client-1311234569.key" \
    --institution 1311234569 --reader "Virtual PCD 00 00" >"$d/out" 2>&1
rc=$?
cat "$d/out"
[ $rc -eq 0 ] || { echo "FAIL: verify_card exit $rc"; exit 1; }
grep -q '見本　太郎' "$d/out" || { echo "FAIL: not the registry person of card P001"; exit 1; }
grep -q 'qualification: ' "$d/out" || { echo "FAIL: no qualification line"; exit 1; }
echo "verify_card ok"
