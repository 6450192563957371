#!/bin/sh
# `onshi card status|cert|sign-test` through the REAL pcscd + vpcd with onshi-vcard (a card,
# then an Android phone): reader / card / JPKI AP / tries, the certificate and its chain, a
# test signature with the PIN from --pin-fd, a wrong PIN counted down, the last try not spent
# without --confirm-last-try, the prompt timeout, no PIN from argv or the environment, ja/en,
# and the card's APDU log: nothing outside the JPKI allowlist, the PIN never in clear.
#   card-cli.sh ONSHI VCARD ONSHI_PKI HARNESS
# Runs itself inside harness.sh (root; prints "skipped" and exits 0 otherwise).
set -u
onshi=$1 vcard=$2 pkitool=$3 harness=$4
if [ -z "${ONSHI_PCSC_RUNDIR:-}" ]; then
    sh "$harness" sh "$0" "$@"
    rc=$?
    [ "$rc" -eq 77 ] && { echo "skipped (needs root)"; exit 0; }
    exit "$rc"
fi
d=$ONSHI_PCSC_RUNDIR/card-cli
mkdir -p "$d" "$ONSHI_PCSC_RUNDIR/pids"
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
"$pkitool" "$d/pki" >/dev/null || { echo "FAIL onshi-pki"; exit 1; }
R="Virtual PCD 00 00"
card() { LANG=${L:-C} "$onshi" card "$@" --set card_reader="$R" --set card_wait_timeout_ms=15000 \
         --set jpki_ca_files="$d/pki/jpki-ca.crt"; }
start() { # start [extra args]: a card with the test PKI, APDU log $d/apdu-$n.log
    n=$((${n:-0} + 1))
    "$vcard" --cert "$d/pki/card-auth.der" --key "$d/pki/card-auth.key" --ca "$d/pki/jpki-ca.crt" \
        --apdu-log "$d/apdu-$n.log" "$@" >"$d/vcard-$n.log" 2>&1 &
    echo $! >"$ONSHI_PCSC_RUNDIR/pids/vcard.pid"
}
stop() {
    p=$(cat "$ONSHI_PCSC_RUNDIR/pids/vcard.pid")
    kill -TERM "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    rm -f "$ONSHI_PCSC_RUNDIR/pids/vcard.pid"
    # until pcscd has seen the reader empty (it polls every 400 ms; bounded)
    i=0
    while [ $i -lt 100 ] && LANG=C "$onshi" card status --json --set card_reader="$R" \
            --set card_wait_timeout_ms=0 2>/dev/null | grep -q '"card_present":true'; do
        sleep 0.1
        i=$((i + 1))
    done
}
pinfile() { printf '%s\n' "$1" >"$d/pin"; chmod 600 "$d/pin"; }

# no card in the reader
out=$(LANG=C "$onshi" card status --json --set card_reader="$R" --set card_wait_timeout_ms=0); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q '"card_present":false' && ok "status: no card" ||
    bad "status without card: rc=$rc $out"

start
out=$(card status --json); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '"card_present":true,"jpki":true,"pin_tries_left":3' &&
    echo "$out" | grep -q "\"reader\":\"$R\"" && ok "status: card, JPKI, 3 tries" ||
    bad "status: rc=$rc $out"
out=$(L=ja_JP.UTF-8 card status); rc=$?
echo "$out" | grep -q '暗証番号の残り回数 *3' && ok "status: table in Japanese" || bad "status ja: $out"
out=$(card cert --json); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '"expired":false,"key_bits":2048,"chain":"ONSHI_OK"' &&
    ok "cert: read, chain OK" || bad "cert: rc=$rc $out"
out=$(card cert); echo "$out" | grep -q 'days left' && ok "cert: expiry shown" || bad "cert table: $out"

pinfile 1234
out=$(card sign-test --json --pin-fd 3 3<"$d/pin"); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '"ok":true,"signature_bytes":256' && ok "sign-test: PIN from fd" ||
    bad "sign-test: rc=$rc $out"
pinfile 9999
out=$(card sign-test --json --pin-fd 3 3<"$d/pin" 2>/dev/null); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q '"status":"ONSHI_E_JPKI_PIN_WRONG","tries_left":2' &&
    ok "sign-test: wrong PIN, 2 left, not retried" || bad "wrong PIN: rc=$rc $out"
out=$(card sign-test --json --pin-fd 3 3<"$d/pin" 2>/dev/null)
out=$(card status --json)
echo "$out" | grep -q '"pin_tries_left":1' && ok "status: 1 try left" || bad "tries 1: $out"
# the last try is not spent without an explicit confirmation
out=$(card sign-test --json --pin-fd 3 3<"$d/pin" 2>/dev/null); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q 'ONSHI_E_JPKI_PIN_LAST_TRY' && ok "last try refused" ||
    bad "last try: rc=$rc $out"
out=$(card status --json)
echo "$out" | grep -q '"pin_tries_left":1' && ok "last try not spent" || bad "after last: $out"
pinfile 1234
out=$(card sign-test --json --pin-fd 3 --confirm-last-try 3<"$d/pin"); rc=$?
[ $rc -eq 0 ] && ok "confirmed last try, right PIN" || bad "confirmed: rc=$rc $out"
out=$(card status --json)
echo "$out" | grep -q '"pin_tries_left":3' && ok "tries back to 3" || bad "tries 3: $out"

# never from argv or the environment; no terminal and no --pin-fd: nothing to sign with
card sign-test --pin 1234 >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q "never taken from the command line" "$d/err" && ok "no PIN in argv" ||
    bad "--pin: rc=$rc $(cat "$d/err")"
ONSHI_PIN=1234 PIN=1234 setsid sh -c "LANG=C '$onshi' card sign-test --set card_reader='$R' \
    --set card_wait_timeout_ms=15000 </dev/null" >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q "ONSHI_E_CANCELLED" "$d/err" && ok "no PIN from the environment" ||
    bad "env: rc=$rc $(cat "$d/err")"
# the prompt times out (a descriptor that never delivers a line)
(sleep 8) | card sign-test --pin-fd 0 --pin-timeout 1 >/dev/null 2>"$d/err"; rc=$?
[ $rc -eq 1 ] && grep -q "ONSHI_E_CANCELLED" "$d/err" && ok "PIN prompt timeout" ||
    bad "timeout: rc=$rc $(cat "$d/err")"
out=$(card status --json)
echo "$out" | grep -q '"pin_tries_left":3' && ok "timeout spent no try" || bad "after timeout: $out"
stop
grep -q FORBIDDEN "$d/apdu-1.log" && bad "APDU outside the allowlist" || ok "allowlist kept"
grep -q '^0020008004\*\*\*\*\*\*\*\*' "$d/apdu-1.log" && ! grep -q '^002000800431323334' "$d/apdu-1.log" &&
    ok "PIN masked in the card log" || bad "PIN in the card log"

# an Android phone: its certificate only after the PIN
start --smartphone android
out=$(card cert --json --pin-fd 3 3<"$d/pin"); rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q '"chain":"ONSHI_OK"' && ok "phone: cert after the PIN" ||
    bad "phone cert: rc=$rc $out"
out=$(card sign-test --json --pin-fd 3 3<"$d/pin"); rc=$?
[ $rc -eq 0 ] && ok "phone: sign-test" || bad "phone sign: rc=$rc $out"
stop
start --smartphone iphone
out=$(card cert --json --pin-fd 3 3<"$d/pin" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "iPhone" && ok "iPhone: clear status" || bad "iphone: rc=$rc $out"
stop
exit $fail
