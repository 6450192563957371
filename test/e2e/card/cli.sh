#!/bin/sh
# The card-area subcommands of `onshi` without a server: limit (known ceilings, ja/en,
# JSON), cert-info on the test PKI's card and client certificates, and the refusals
# (a PIN on the command line, verify-card with the file transport, disaster-search without
# its fields).
set -u
onshi=$1
pki=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

# 高額療養費 (July 2026 care, the 2018 table): ウ (A03) 80,100 + (1,000,000 - 267,000) x 1% =
# 87,430; 多数回 44,400
out=$(LANG=C "$onshi" limit A03 1000000 --month 202607 --json) || bad "limit exit"
echo "$out" | grep -q '"ceiling":87430' && ok "limit A03" || bad "limit A03: $out"
out=$(LANG=C "$onshi" limit A03 1000000 --many --month 202607 --json)
echo "$out" | grep -q '"ceiling":44400' && ok "limit A03 many" || bad "limit many: $out"
out=$(LANG=C "$onshi" limit B04 300000 --outpatient --ratio 10 --month 202607 --json)
echo "$out" | grep -q '"ceiling":18000,"copay":18000' && ok "limit B04 outpatient" || bad "B04: $out"
out=$(LANG=ja_JP.UTF-8 "$onshi" limit A03 1000000 --month 202607)
echo "$out" | grep -q '限度額（円）.*87430' && ok "limit table ja" || bad "limit ja: $out"
out=$(LANG=C "$onshi" limit A03 1000000 --month 202607)
echo "$out" | grep -q 'ceiling (yen) .*87430' && ok "limit table en" || bad "limit en: $out"
# August 2026 - July 2027: the revision as MHLW and 協会けんぽ publish it; 後期高齢者 一般Ⅱ/Ⅰ
# unconfirmed → explicit status unless --provisional; August 2027 on: no table
out=$(LANG=C "$onshi" limit A03 1000000 --month 202608 --json)
echo "$out" | grep -q '"ceiling":92940,.*"provisional":false' && ok "limit 202608" || bad "202608: $out"
LANG=C "$onshi" limit B09 300000 --outpatient --month 202608 >/dev/null 2>"$tmp/err" && bad "B09 202608 answered" ||
    { grep -q "ONSHI_E_LIMIT_NO_TABLE" "$tmp/err" && ok "limit B09 202608 unconfirmed" || bad "B09 202608: $(cat "$tmp/err")"; }
out=$(LANG=C "$onshi" limit B09 300000 --outpatient --ratio 20 --month 202608 --provisional --json)
echo "$out" | grep -q '"ceiling":22000,.*"provisional":true' && ok "limit provisional" || bad "provisional: $out"
LANG=C "$onshi" limit A03 1000000 --month 202708 --provisional >/dev/null 2>"$tmp/err" && bad "202708 answered" ||
    { grep -q "ONSHI_E_LIMIT_NO_TABLE" "$tmp/err" && ok "limit 202708 no table" || bad "202708: $(cat "$tmp/err")"; }
LANG=C "$onshi" limit Z99 1000 >/dev/null 2>"$tmp/err" && bad "limit Z99 accepted" ||
    { grep -q "ONSHI_E_CODE_VALUE" "$tmp/err" && ok "limit unknown class" || bad "Z99: $(cat "$tmp/err")"; }

# cert-info: the card certificate file (DER and PEM) and the client certificate
"$pki" "$tmp/pki" >/dev/null || bad "onshi-pki"
out=$(LANG=C "$onshi" cert-info --card-cert "$tmp/pki/card-auth.der") || bad "cert-info der exit"
echo "$out" | grep -q 'key .*RSA 2048' && ok "cert-info card DER" || bad "cert-info: $out"
out=$(LANG=C "$onshi" cert-info --card-cert "$tmp/pki/card-auth.crt" --json)
echo "$out" | grep -q '"key_bits":2048' && ok "cert-info card PEM json" || bad "cert-info pem: $out"
LANG=C "$onshi" cert-info --card-cert "$tmp/pki/card-expired.der" >/dev/null &&
    bad "expired card certificate exits 0" || ok "expired card certificate exits 1"
out=$(LANG=C "$onshi" cert-info --set tls_client_cert="$tmp/pki/client.crt" \
      --set tls_client_key="$tmp/pki/client.key" --json) || bad "cert-info client exit"
echo "$out" | grep -q '"client_cert_days_left":[0-9]' && ok "cert-info client" || bad "client: $out"
LANG=C "$onshi" cert-info --set tls_client_cert="$tmp/pki/client-expired.crt" \
    --set tls_client_key="$tmp/pki/client.key" >"$tmp/out" 2>&1 &&
    bad "expired client certificate exits 0" || ok "expired client certificate refused"

# refusals
LANG=C "$onshi" verify-card --pin 1234 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "never taken from the command line" "$tmp/err" && ok "no PIN in argv" ||
    bad "--pin: rc=$rc $(cat "$tmp/err")"
LANG=C "$onshi" verify-card --set transport=1 --consent none </dev/null >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] && grep -q "HTTPS" "$tmp/err" && ok "verify-card needs HTTPS" ||
    bad "verify-card file: rc=$rc $(cat "$tmp/err")"
LANG=C "$onshi" disaster-search --name x >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && ok "disaster-search usage" || bad "disaster-search usage rc=$rc"
exit $fail
