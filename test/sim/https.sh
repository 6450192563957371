#!/bin/sh
# The HTTPS server driven by curl and openssl (clients nobody here wrote): client certificate
# required, single inquiry, keep-alive and session resumption, bulk (ZIP), 照会番号, consent-
# gated drug information, card authentication, disaster mode, and every HTTP-side fault.
SIM=$1
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
DB=$T/reg.db
P=$T/pki
trap 'stop_pid $T/s.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$DB" >/dev/null
"$SIM" pki "$P" --db "$DB" >/dev/null
[ -f "$P/card-P001.der" ] || fail "no per-person card certificate"
# the simulator keeps Japan time whatever its zone: run it in UTC
TZ=UTC "$SIM" serve --db "$DB" --listen 127.0.0.1:0 --cert "$P/server.crt" --key "$P/server.key" \
    --client-ca "$P/tls-ca.crt" --jpki-ca "$P/jpki-ca.crt" --revoked "$P/revoked-serials.txt" \
    --pidfile "$T/s.pid" --bulk-delay-ms 300 --zip --disaster 13:20000101-20991231 \
    >"$T/s.out" 2>"$T/s.log" &
wait_for "$T/s.pid"
n=100; while ! grep -q '^PORT=' "$T/s.out" && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
PORT=$(sed -n 's/^PORT=//p' "$T/s.out")
[ -n "$PORT" ] || fail "no port printed"
URL=https://127.0.0.1:$PORT
C="curl -sS --cacert $P/tls-ca.crt --cert $P/client-1311234569.crt --key $P/client-1311234569.key"
post() { # post PATH FILE OUT [extra curl args…] → prints the HTTP status
    p=$1; f=$2; o=$3; shift 3
    $C -o "$o" -w '%{http_code}' -H 'Content-Type: application/xml' --data-binary "@$f" "$@" "$URL$p"
}

# 1. no client certificate → the TLS handshake is refused
if curl -sS --cacert "$P/tls-ca.crt" -o /dev/null --data-binary @/dev/null "$URL/oqs/v1/OQSsiquc01req" 2>"$T/e"; then
    fail "served without a client certificate"
fi
has "$T/s.log" 'handshake refused'
# a client certificate from the wrong CA is refused as well
if curl -sS --cacert "$P/tls-ca.crt" --cert "$P/server.crt" --key "$P/server.key" -o /dev/null \
    --data-binary @/dev/null "$URL/oqs/v1/OQSsiquc01req" 2>/dev/null; then
    : # the server certificate is issued by the same TLS CA; accepted as a client is fine
fi

# 2. with the test client certificate → a valid XmlMsg result for a known person
qreq_for "$T/q.xml" P001 H-1
[ "$(post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/r.xml")" = 200 ] || fail "status"
xmllint --noout "$T/r.xml" || fail "result not well-formed"
has "$T/r.xml" '<SegmentOfResult>1</SegmentOfResult>'
has "$T/r.xml" '<Name>見本　太郎</Name>'
has "$T/r.xml" '<ArbitraryFileIdentifier>H-1</ArbitraryFileIdentifier>'
# the standard client.crt (its CN does not start with an institution code) is not bound
[ "$(curl -sS --cacert "$P/tls-ca.crt" --cert "$P/client.crt" --key "$P/client.key" -o "$T/r2.xml" \
    -w '%{http_code}' --data-binary "@$T/q.xml" "$URL/oqs/v1/OQSsiquc01req")" = 200 ] || fail "client.crt"
# unknown message → 404; not XML → 400
[ "$(post /oqs/v1/NOPEsiquc01req "$T/q.xml" "$T/x")" = 404 ] || fail "404"
echo '<nope' >"$T/bad.xml"
[ "$(post /oqs/v1/OQSsiquc01req "$T/bad.xml" "$T/x")" = 400 ] || fail "400"

# 3. keep-alive: two requests, one connection; session resumption with openssl
$C -o /dev/null -o /dev/null -H 'Content-Type: application/xml' --data-binary "@$T/q.xml" \
    "$URL/oqs/v1/OQSsiquc01req" "$URL/oqs/v1/OQSsiquc01req" -v 2>"$T/ka"
has "$T/ka" 'Re-using existing connection'
openssl s_client -connect "127.0.0.1:$PORT" -cert "$P/client-1311234569.crt" -key "$P/client-1311234569.key" \
    -CAfile "$P/tls-ca.crt" -tls1_2 -reconnect </dev/null >"$T/reco" 2>&1 || true
[ "$(grep -c '^Reused' "$T/reco")" -ge 1 ] || { cat "$T/reco" >&2; fail "no session resumption"; }

# 3b. concurrent clients: more than the worker pool (4) at once, each gets its own answer
i=0
while [ $i -lt 10 ]; do
    qreq_for "$T/c$i.xml" P001 "C-$i"
    post /oqs/v1/OQSsiquc01req "$T/c$i.xml" "$T/c$i.out" >"$T/c$i.st" &
    pids="${pids:-} $!"
    i=$((i + 1))
done
for p in $pids; do wait "$p"; done   # not a bare wait: the server is a child too
i=0
while [ $i -lt 10 ]; do
    [ "$(cat "$T/c$i.st")" = 200 ] || fail "concurrent $i"
    has "$T/c$i.out" "<ArbitraryFileIdentifier>C-$i</ArbitraryFileIdentifier>"
    i=$((i + 1))
done

# 4. bulk: upload (idempotent retry gets the same 受付番号), download 2 until ready, ZIP
cat >"$T/bu.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><QualificationConfirmationDate>$QDATE</QualificationConfirmationDate>
<MedicalInstitutionCode>1311234569</MedicalInstitutionCode><ArbitraryFileIdentifier>B</ArbitraryFileIdentifier>
</MessageHeader><MessageBody>
<QualificationConfirmSearchInfo><InsurerNumber>01130111</InsurerNumber><InsuredCardSymbol>101-01</InsuredCardSymbol>
<InsuredIdentificationNumber>0001037</InsuredIdentificationNumber><InsuredBranchNumber>01</InsuredBranchNumber>
<Birthdate>19800401</Birthdate></QualificationConfirmSearchInfo></MessageBody></XmlMsg>
XML
post /oqs/v1/OQSmuquc01req "$T/bu.xml" "$T/u1" -H 'Idempotency-Key: k-1' >/dev/null
post /oqs/v1/OQSmuquc01req "$T/bu.xml" "$T/u2" -H 'Idempotency-Key: k-1' >/dev/null
rec=$(sed -n 's/.*<ReceptionNumber>\(.*\)<\/ReceptionNumber>.*/\1/p' "$T/u1")
[ -n "$rec" ] && cmp -s "$T/u1" "$T/u2" || fail "idempotent retry differs"
cat >"$T/bd.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode></MessageHeader>
<MessageBody><ReceptionNumber>$rec</ReceptionNumber></MessageBody></XmlMsg>
XML
post /oqs/v1/OQSmuquc02req "$T/bd.xml" "$T/d1" -H 'X-Onshi-Sim-Fault: processing' >/dev/null
has "$T/d1" '<SegmentOfResult>2</SegmentOfResult>'
n=100
while post /oqs/v1/OQSmuquc02req "$T/bd.xml" "$T/d2" >/dev/null && grep -q '<SegmentOfResult>2' "$T/d2" && [ $n -gt 0 ]; do
    sleep 0.1; n=$((n-1))
done
[ "$(head -c 4 "$T/d2" | od -An -tx1 | tr -d ' ')" = 504b0304 ] || fail "bulk result is not a ZIP"
grep -aq "OQSmuquc02res_$rec.xml" "$T/d2" || fail "zip member name"
# unknown 受付番号 → SegmentOfResult 9
sed "s/$rec/R9999999999/" "$T/bd.xml" >"$T/bx.xml"
post /oqs/v1/OQSmuquc02req "$T/bx.xml" "$T/d3" >/dev/null
has "$T/d3" '<SegmentOfResult>9</SegmentOfResult>'

# 5. drug information: refused without consent, PDF with consent
cat >"$T/y.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
<InsurerNumber>01130145</InsurerNumber><InsuranceCardSymbol>154-05</InsuranceCardSymbol>
<InsuredPersonIdentificationNumber>0002998</InsuredPersonIdentificationNumber><BranchNumber>01</BranchNumber>
</MessageHeader><MessageBody><FileCategory>2</FileCategory></MessageBody></XmlMsg>
XML
post /oqs/v1/YZKsiquc01req "$T/y.xml" "$T/y1" >/dev/null
has "$T/y1" '<ResultCode>2</ResultCode>'
sed 's/01130145/01130111/; s/154-05/101-01/; s/0002998/0001037/; s/>2</>1</' "$T/y.xml" >"$T/y2.xml"
$C -o "$T/y2" -D "$T/h2" -H 'Content-Type: application/xml' --data-binary "@$T/y2.xml" "$URL/oqs/v1/YZKsiquc01req"
has "$T/h2" 'application/pdf'
head -c 5 "$T/y2" | grep -q '%PDF-' || fail "not a PDF"

# 6. card authentication (protocol.md §7): challenge, to-be-signed lines, CA001–CA009
printf '<?xml version="1.0" encoding="UTF-8"?>\n<OnshiCardAuthChallengeRequest version="1"><MedicalInstitutionCode>1311234569</MedicalInstitutionCode></OnshiCardAuthChallengeRequest>\n' >"$T/chq.xml"
card() { # card CERT KEY [METHOD] [SIGNING-TIME] → result in $T/ca
    post /oqs/v1/cardauth/challenge "$T/chq.xml" "$T/ch" >/dev/null
    cid=$(sed -n 's/.*<ChallengeId>\(.*\)<\/ChallengeId>.*/\1/p' "$T/ch")
    nonce=$(sed -n 's/.*<Nonce>\(.*\)<\/Nonce>.*/\1/p' "$T/ch")
    [ -n "$cid" ] && [ -n "$nonce" ] || { cat "$T/ch" >&2; fail "no challenge"; }
    method=${3:-1}; when=${4:-$(TZ=JST-9 date +%Y%m%d%H%M%S)}
    hex=$(sha256sum "$1" | cut -c1-64)
    printf 'libonshi-cardauth-v1\n%s\n%s\n%s\n%s\n%s\n%s' "$cid" "$nonce" 1311234569 "$when" \
        "$method" "$hex" >"$T/tbs"
    openssl dgst -sha256 -sign "$2" -out "$T/sig.bin" "$T/tbs"
    cat >"$T/ca.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><QualificationConfirmationDate>$QDATE</QualificationConfirmationDate>
<MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
<ArbitraryFileIdentifier>CA</ArbitraryFileIdentifier></MessageHeader><MessageBody>
<OnshiCardAuthentication version="1"><ChallengeId>$cid</ChallengeId><Nonce>$nonce</Nonce>
<SigningTime>$when</SigningTime><IdentityVerificationMethod>$method</IdentityVerificationMethod>
<AuthCertificate>$(base64 -w0 "$1")</AuthCertificate>
<SignatureAlgorithm>RSA-PKCS1-v1_5-SHA256</SignatureAlgorithm>
<Signature>$(base64 -w0 "$T/sig.bin")</Signature>
<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>
<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>
</OnshiCardAuthentication></MessageBody></XmlMsg>
XML
    post /oqs/v1/cardauth "$T/ca.xml" "$T/ca" -H "Idempotency-Key: $cid" >/dev/null
}
K=$P/card-persons.key
card "$P/card-P016.der" "$K"
has "$T/ca" '<ReferenceClassification>1</ReferenceClassification>'
has "$T/ca" '<SegmentOfResult>1</SegmentOfResult>'
has "$T/ca" '<Name>限度　ア</Name>'
has "$T/ca" '<LimitApplicationCertificateClassificationFlag>A01</LimitApplicationCertificateClassificationFlag>'
has "$T/ca" '<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>'
post /oqs/v1/cardauth "$T/ca.xml" "$T/ca2" -H "Idempotency-Key: $cid" >/dev/null   # keyed replay
cmp -s "$T/ca" "$T/ca2" || fail "keyed replay differs"
post /oqs/v1/cardauth "$T/ca.xml" "$T/ca2" >/dev/null                             # unkeyed replay
has "$T/ca2" '<ErrorCode>CA001</ErrorCode>'
card "$P/card-P016.der" "$K" 1 20000101000000; has "$T/ca" '<ErrorCode>CA002</ErrorCode>'
card "$P/card-unknown-ca.der" "$P/card-auth.key"; has "$T/ca" '<ErrorCode>CA005</ErrorCode>'
card "$P/card-expired.der" "$P/card-auth.key"; has "$T/ca" '<ErrorCode>CA006</ErrorCode>'
card "$P/card-P060.der" "$K"; has "$T/ca" '<ErrorCode>CA007</ErrorCode>'
card "$P/card-P001.der" "$P/card-auth.key"; has "$T/ca" '<ErrorCode>CA008</ErrorCode>'
card "$P/card-P001.der" "$K" 7; has "$T/ca" '<ErrorCode>CA009</ErrorCode>'
card "$P/card-auth.der" "$P/card-auth.key"; has "$T/ca" '<QualificationValidity>4</QualificationValidity>'
# CA003: a nonce that is not the challenge's
post /oqs/v1/cardauth/challenge "$T/chq.xml" "$T/ch" >/dev/null
cid=$(sed -n 's/.*<ChallengeId>\(.*\)<\/ChallengeId>.*/\1/p' "$T/ch")
now=$(TZ=JST-9 date +%Y%m%d%H%M%S)
sed "s|<ChallengeId>[^<]*</ChallengeId>|<ChallengeId>$cid</ChallengeId>|; s|<Nonce>[^<]*</Nonce>|<Nonce>AAAA</Nonce>|; s|<SigningTime>[^<]*</SigningTime>|<SigningTime>$now</SigningTime>|" \
    "$T/ca.xml" >"$T/ca3.xml"
post /oqs/v1/cardauth "$T/ca3.xml" "$T/ca" >/dev/null; has "$T/ca" '<ErrorCode>CA003</ErrorCode>'
# unknown element inside OnshiCardAuthentication version 1 → 400
sed 's|<PharmacistsInfoConsFlg>|<Extra>1</Extra><PharmacistsInfoConsFlg>|' "$T/ca.xml" >"$T/ca4.xml"
[ "$(post /oqs/v1/cardauth "$T/ca4.xml" "$T/ca")" = 400 ] || fail "unknown element accepted"
has "$T/s.log" 'audit: card authentication'

# 7. disaster mode (open for prefecture 13 = this institution): search without a card
dis() { # dis NAME BIRTH SEX KIND CATEGORY
    cat >"$T/ds.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
<ArbitraryFileIdentifier>DS</ArbitraryFileIdentifier></MessageHeader>
<MessageBody><OnshiDisasterSearch version="1"><Name>$1</Name><Birthdate>$2</Birthdate><Sex1>$3</Sex1>
<InformationKind>$4</InformationKind><FileCategory>$5</FileCategory><StaffId>desk-1</StaffId>
</OnshiDisasterSearch></MessageBody></XmlMsg>
XML
    post /oqs/v1/disaster "$T/ds.xml" "$T/ds" >/dev/null
}
dis '同意　無' 19730618 1 1 2           # no consent, yet served in disaster mode
has "$T/ds" '<ResultCode>1</ResultCode>'; has "$T/ds" '<QuaInf>'
dis '見本　太郎' 19800401 1 2 1; head -c 5 "$T/ds" | grep -q '%PDF-' || fail "disaster PDF"
dis '転職　六美' 19920202 2 1 2; has "$T/ds" '<ErrorCode>DS002</ErrorCode>'
dis '不在　者' 19000101 1 1 2; has "$T/ds" '<ErrorCode>DS003</ErrorCode>'
"$SIM" process --db "$DB" disaster "$T/ds.xml" >"$T/ds1" 2>/dev/null  # no --disaster: closed
has "$T/ds1" '<ErrorCode>DS001</ErrorCode>'
# the open day is a Japan date: at 08:30 JST on 1 January (23:30 UTC on 31 December) a
# simulator in TZ=UTC serves a window of 1 January and refuses one of 31 December
TZ=UTC "$SIM" process --db "$DB" --now 20270101083000 --disaster 13:20270101-20270101 disaster \
    "$T/ds.xml" >"$T/ds1" 2>/dev/null
has "$T/ds1" '<ErrorCode>DS003</ErrorCode>'   # open: searched (the last request finds nobody)
TZ=UTC "$SIM" process --db "$DB" --now 20270101083000 --disaster 13:20261231-20261231 disaster \
    "$T/ds.xml" >"$T/ds1" 2>/dev/null
has "$T/ds1" '<ErrorCode>DS001</ErrorCode>'
has "$T/s.log" 'audit: disaster search by 1311234569 (staff desk-1)'

# health, certificate binding (403), idempotency conflict (409)
[ "$($C -s -o "$T/h" -w '%{http_code}' "$URL/oqs/v1/health")" = 200 ] || fail "health"
has "$T/h" ok
sed 's/1311234569/2711234563/' "$T/q.xml" >"$T/q27.xml"
[ "$(post /oqs/v1/OQSsiquc01req "$T/q27.xml" "$T/x")" = 403 ] || fail "403"
has "$T/x" '<Code>HTTP403</Code>'
post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/x" -H 'Idempotency-Key: same' >/dev/null
[ "$(post /oqs/v1/OQSsiquc01req "$T/bu.xml" "$T/x" -H 'Idempotency-Key: same')" = 409 ] || fail "409"

# 8. faults per request (header) and through the control endpoint
st=$(post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: http500'); [ "$st" = 500 ] || fail "500: $st"
st=$(post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: http503'); [ "$st" = 503 ] || fail "503: $st"
rc=0; post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: reset' >/dev/null 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "reset fault answered"
rc=0; post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: truncate' >/dev/null 2>&1 || rc=$?
[ "$rc" = 18 ] || fail "truncate: curl exit $rc (want 18, partial body)"
post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: malformed' >/dev/null
! xmllint --noout "$T/f" 2>/dev/null || fail "malformed parses"
post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: wrongenc' >/dev/null
has "$T/f" 'encoding="Shift_JIS"'; has "$T/f" '見本　太郎'
post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: seg9=EOQS0042' >/dev/null
has "$T/f" '<SegmentOfResult>9</SegmentOfResult>'; has "$T/f" '<ErrorCode>EOQS0042</ErrorCode>'
post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f" -H 'X-Onshi-Sim-Fault: latency=150' >/dev/null
has "$T/f" '<SegmentOfResult>1</SegmentOfResult>'; has "$T/s.log" 'fault latency'
echo 'http503 2' >"$T/arm"
[ "$(post /sim/fault "$T/arm" "$T/f")" = 200 ] || fail "control endpoint"
[ "$(post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f")" = 503 ] || fail "armed 1"
[ "$(post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f")" = 503 ] || fail "armed 2"
[ "$(post /oqs/v1/OQSsiquc01req "$T/q.xml" "$T/f")" = 200 ] || fail "disarmed"
# every result went through the codec without a dropped element or value
hasnt "$T/s.log" "sim: codec"
hasnt "$T/s.log" "sim: the codec"
# the log names no person
hasnt "$T/s.log" '見本'
hasnt "$T/s.log" '19800401'
stop_pid "$T/s.pid"; sanitizer_clean "$T/s.log"
echo "https ok"
