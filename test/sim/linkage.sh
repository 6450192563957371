#!/bin/sh
# Linkage-app mode driven by a plain shell client writing request files: real names, UTF-8
# and CP932 results, .err files, stay-time purge, face results and every file-side fault.
SIM=$1
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d)
DB=$T/reg.db
D=$T/oqs
trap 'stop_pid $T/l.pid; stop_pid $T/l2.pid; rm -rf "$T"' EXIT
"$SIM" init-db "$DB" >/dev/null
"$SIM" linkage --db "$DB" --dir "$D" --poll-ms 50 --pidfile "$T/l.pid" --bulk-delay-ms 300 \
    2>"$T/l.log" &
wait_for "$T/l.pid"; wait_for "$D/req"

# 1. single inquiry → res/OQSsiquc01res_<id>.xml, request taken
qreq_for "$T/q1.xml" P001 A-1
put "$D" OQSsiquc01req_202611250001.xml "$T/q1.xml"
wait_for "$D/res/OQSsiquc01res_202611250001.xml"
R=$D/res/OQSsiquc01res_202611250001.xml
[ ! -e "$D/req/OQSsiquc01req_202611250001.xml" ] || fail "request not taken"
has "$R" '<SegmentOfResult>1</SegmentOfResult>'
has "$R" '<QualificationValidity>1</QualificationValidity>'
has "$R" '<Name>見本　太郎</Name>'
has "$R" '<ReferenceNumber>24434</ReferenceNumber>'
has "$R" '<CharacterCodeIdentifier>0</CharacterCodeIdentifier>'
has "$R" '<ArbitraryFileIdentifier>A-1</ArbitraryFileIdentifier>'

# 2. validity 3 (new qualification), 2 (lost), 4 (none), 5 (twins without branch), 国保 spaces
qreq_for "$T/q.xml" P039; put "$D" OQSsiquc01req_202611250002.xml "$T/q.xml"
qreq_for "$T/q.xml" P038; put "$D" OQSsiquc01req_202611250003.xml "$T/q.xml"
qreq "$T/q.xml" 01130012 X 999 01 19990101; put "$D" OQSsiquc01req_202611250004.xml "$T/q.xml"
qreq "$T/q.xml" 01130525 142-00 0002554 "" 20150707; put "$D" OQSsiquc01req_202611250005.xml "$T/q.xml"
qreq "$T/q.xml" "  130179" 107-00 0001259 01 19900303; put "$D" OQSsiquc01req_202611250006.xml "$T/q.xml"
for i in 2 3 4 5 6; do wait_for "$D/res/OQSsiquc01res_20261125000$i.xml"; done
has "$D/res/OQSsiquc01res_202611250002.xml" '<QualificationValidity>3</QualificationValidity>'
has "$D/res/OQSsiquc01res_202611250003.xml" '<QualificationValidity>2</QualificationValidity>'
has "$D/res/OQSsiquc01res_202611250004.xml" '<QualificationValidity>4</QualificationValidity>'
# no match is an outcome (OQSCD006 4), not a processing error
has "$D/res/OQSsiquc01res_202611250004.xml" '<ProcessingResultStatus>1</ProcessingResultStatus>'
grep -q 'ProcessingResultCode' "$D/res/OQSsiquc01res_202611250004.xml" && fail "validity 4 carries an error code"
has "$D/res/OQSsiquc01res_202611250005.xml" '<QualificationValidity>5</QualificationValidity>'
[ "$(grep -c '<ResultOfQualificationConfirmation>' "$D/res/OQSsiquc01res_202611250005.xml")" = 2 ] || fail "twins"
has "$D/res/OQSsiquc01res_202611250006.xml" '<InsurerNumber>  130179</InsurerNumber>'

# 3. non-JIS names come back as ●; CP932-only characters survive
qreq_for "$T/q.xml" P047; put "$D" OQSsiquc01req_202611250007.xml "$T/q.xml"
qreq_for "$T/q.xml" P044; put "$D" OQSsiquc01req_202611250008.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250007.xml"; wait_for "$D/res/OQSsiquc01res_202611250008.xml"
has "$D/res/OQSsiquc01res_202611250007.xml" '<Name>●田　太郎</Name>'
has "$D/res/OQSsiquc01res_202611250008.xml" '<Name>髙橋　一郎</Name>'

# 4. a Shift_JIS (CP932) request with 髙 in the symbol field is read (no match, validity 4)
qreq "$T/u.xml" 01130541 "髙-1" 0002628 01 19770707 SJ Shift_JIS
iconv -f UTF-8 -t CP932 "$T/u.xml" >"$T/s.xml"
put "$D" OQSsiquc01req_202611250009.xml "$T/s.xml"
wait_for "$D/res/OQSsiquc01res_202611250009.xml"
has "$D/res/OQSsiquc01res_202611250009.xml" '<InsuredCardSymbol>髙-1</InsuredCardSymbol>'

# 5. not well-formed request → the request back in res plus .err
printf '<?xml version="1.0"?><XmlMsg><MessageHeader>' >"$T/bad.xml"
put "$D" OQSsiquc01req_202611250010.xml "$T/bad.xml"
wait_for "$D/res/OQSsiquc01req_202611250010.err"
has "$D/res/OQSsiquc01req_202611250010.err" 'well-formed'
[ -e "$D/res/OQSsiquc01req_202611250010.xml" ] || fail "request not returned with .err"

# 6. 照会番号 registration, then the inquiry carries it
cat >"$T/rn.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
<ArbitraryFileIdentifier>RN</ArbitraryFileIdentifier></MessageHeader><MessageBody>
<ReferenceNumberRegistrationInfo><ReferenceNumber>KARTE-777</ReferenceNumber>
<InsurerNumber>01130129</InsurerNumber><InsuredCardSymbol>102-02</InsuredCardSymbol>
<InsuredIdentificationNumber>0001074</InsuredIdentificationNumber>
<InsuredBranchNumber>03</InsuredBranchNumber></ReferenceNumberRegistrationInfo>
</MessageBody></XmlMsg>
XML
put "$D" OQSsiimm01req_202611250011.xml "$T/rn.xml"
wait_for "$D/res/OQSsiimm01res_202611250011.xml"
has "$D/res/OQSsiimm01res_202611250011.xml" '<ProcessingResultStatus>1</ProcessingResultStatus>'
qreq_for "$T/q.xml" P002; put "$D" OQSsiquc01req_202611250012.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250012.xml"
has "$D/res/OQSsiquc01res_202611250012.xml" '<ReferenceNumber>KARTE-777</ReferenceNumber>'

# 7. bulk: upload → ReceptionNumber; download answers 2 until ready, then the units
cat >"$T/bu.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><QualificationConfirmationDate>$QDATE</QualificationConfirmationDate>
<MedicalInstitutionCode>1311234569</MedicalInstitutionCode><ArbitraryFileIdentifier>BULK1</ArbitraryFileIdentifier>
</MessageHeader><MessageBody>
<QualificationConfirmSearchInfo><InsurerNumber>01130111</InsurerNumber><InsuredCardSymbol>101-01</InsuredCardSymbol>
<InsuredIdentificationNumber>0001037</InsuredIdentificationNumber><InsuredBranchNumber>01</InsuredBranchNumber>
<Birthdate>19800401</Birthdate></QualificationConfirmSearchInfo>
<QualificationConfirmSearchInfo><InsurerNumber>01130012</InsurerNumber><InsuredIdentificationNumber>1</InsuredIdentificationNumber>
<Birthdate>19800401</Birthdate></QualificationConfirmSearchInfo>
</MessageBody></XmlMsg>
XML
put "$D" OQSmuquc01req_202611250013.xml "$T/bu.xml"
wait_for "$D/res/OQSmuquc01res_202611250013.xml"
rec=$(sed -n 's/.*<ReceptionNumber>\(.*\)<\/ReceptionNumber>.*/\1/p' "$D/res/OQSmuquc01res_202611250013.xml")
[ -n "$rec" ] || fail "no ReceptionNumber"
dl() {
    cat >"$T/bd.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode></MessageHeader>
<MessageBody><ReceptionNumber>$rec</ReceptionNumber></MessageBody></XmlMsg>
XML
    put "$D" "OQSmuquc02req_$1.xml" "$T/bd.xml"
    wait_for "$D/res/OQSmuquc02res_$1.xml"
}
i=20; seg=2
while [ "$seg" = 2 ] && [ "$i" -lt 90 ]; do
    i=$((i + 1)); dl "2026112500$i"
    seg=$(sed -n 's/.*<SegmentOfResult>\(.*\)<\/SegmentOfResult>.*/\1/p' "$D/res/OQSmuquc02res_2026112500$i.xml")
    [ "$seg" = 2 ] && sleep 0.1
done
[ "$seg" = 1 ] || fail "bulk never finished"
B=$D/res/OQSmuquc02res_2026112500$i.xml
has "$B" '<NumberOfProcessingResult>2</NumberOfProcessingResult>'
has "$B" '<NumberOfNormalProcessing>1</NumberOfNormalProcessing>'
has "$B" '<NumberOfError>1</NumberOfError>'
[ "$(grep -c '<BulkConfirmUnit>' "$B")" = 2 ] || fail "units"

# 8. per-request faults through ArbitraryFileIdentifier SIMFAULT:…
qreq_for "$T/q.xml" P004 "SIMFAULT:err"; put "$D" OQSsiquc01req_202611250101.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01req_202611250101.err"
[ ! -e "$D/res/OQSsiquc01res_202611250101.xml" ] || fail ".err fault wrote a result"
qreq_for "$T/q.xml" P004 "SIMFAULT:untaken"; put "$D" OQSsiquc01req_202611250102.xml "$T/q.xml"
qreq_for "$T/q.xml" P004 "after-untaken"; put "$D" OQSsiquc01req_202611250103.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250103.xml"
[ -e "$D/req/OQSsiquc01req_202611250102.xml" ] || fail "untaken request was taken"
[ ! -e "$D/res/OQSsiquc01res_202611250102.xml" ] || fail "untaken request answered"
qreq_for "$T/q.xml" P004 "SIMFAULT:seg9=EOQS1234"; put "$D" OQSsiquc01req_202611250104.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250104.xml"
has "$D/res/OQSsiquc01res_202611250104.xml" '<SegmentOfResult>9</SegmentOfResult>'
has "$D/res/OQSsiquc01res_202611250104.xml" '<ErrorCode>EOQS1234</ErrorCode>'
qreq_for "$T/q.xml" P004 "SIMFAULT:malformed"; put "$D" OQSsiquc01req_202611250105.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250105.xml"
! xmllint --noout "$D/res/OQSsiquc01res_202611250105.xml" 2>/dev/null || fail "malformed result parses"
qreq_for "$T/q.xml" P004 "SIMFAULT:wrongenc"; put "$D" OQSsiquc01req_202611250106.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250106.xml"
has "$D/res/OQSsiquc01res_202611250106.xml" 'encoding="Shift_JIS"'
has "$D/res/OQSsiquc01res_202611250106.xml" '試験　一郎'   # bytes are UTF-8
qreq_for "$T/q.xml" P004 "SIMFAULT:half=1500"; put "$D" OQSsiquc01req_202611250107.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250107.xml"
hasnt "$D/res/OQSsiquc01res_202611250107.xml" '</XmlMsg>'     # first step only
n=100; while ! grep -q '</XmlMsg>' "$D/res/OQSsiquc01res_202611250107.xml" && [ $n -gt 0 ]; do sleep 0.1; n=$((n-1)); done
has "$D/res/OQSsiquc01res_202611250107.xml" '</XmlMsg>'
qreq_for "$T/q.xml" P004 "SIMFAULT:duplicate=300"; put "$D" OQSsiquc01req_202611250108.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250108.xml"
rm -f "$D/res/OQSsiquc01res_202611250108.xml"     # the client consumed it ...
wait_for "$D/res/OQSsiquc01res_202611250108.xml"   # ... and it comes again
qreq_for "$T/q.xml" P004 "SIMFAULT:latency=200"; put "$D" OQSsiquc01req_202611250109.xml "$T/q.xml"
wait_for "$D/res/OQSsiquc01res_202611250109.xml"
has "$T/l.log" 'fault latency'
# endless processing on a bulk download
cat >"$T/bd.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
<ArbitraryFileIdentifier>SIMFAULT:processing</ArbitraryFileIdentifier></MessageHeader>
<MessageBody><ReceptionNumber>$rec</ReceptionNumber></MessageBody></XmlMsg>
XML
put "$D" OQSmuquc02req_202611250110.xml "$T/bd.xml"
wait_for "$D/res/OQSmuquc02res_202611250110.xml"
has "$D/res/OQSmuquc02res_202611250110.xml" '<SegmentOfResult>2</SegmentOfResult>'

# 9. face-reader result with consents, then drug info through YZK (consent-gated) as PDF
out=$("$SIM" face --db "$DB" --dir "$D" --person P054 --consent drug,limit)
case "$out" in "$D"/face/OQSsiquc01res_face_1311234569*_[0-9]*.xml) ;; *) fail "face name $out";; esac
has "$out" '<ReferenceClassification>1</ReferenceClassification>'
has "$out" '<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg>'
echo "$out" | grep -Eq '_face_1311234569[0-9a-f]{20}_[0-9]{14}\.xml$' || fail "face id/timestamp $out"
yzk() {
    cat >"$T/y.xml" <<XML
<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
<InsurerNumber>$2</InsurerNumber><InsuranceCardSymbol>$3</InsuranceCardSymbol>
<InsuredPersonIdentificationNumber>$4</InsuredPersonIdentificationNumber><BranchNumber>01</BranchNumber>
<ArbitraryFileIdentifier>Y</ArbitraryFileIdentifier></MessageHeader>
<MessageBody><StartDate>202501</StartDate><EndDate>202612</EndDate><FileCategory>$5</FileCategory>
<PrDiInfClassification>1</PrDiInfClassification><MedicalTreatmentFlag>1</MedicalTreatmentFlag></MessageBody></XmlMsg>
XML
    put "$D" "$1" "$T/y.xml"
}
yzk YZKsiquc01req_202611250201.xml 01130145 154-05 0002998 2      # P054: consent just given
yzk YZKsiquc01req_202611250202.xml 01130111 151-02 0002887 2      # P051: consent expired
yzk TKKsiquc01req_202611250203.xml 01130111 101-01 0001037 1      # P001: checkup as PDF
wait_for "$D/res/YZKsiquc01res_202611250201.xml"
has "$D/res/YZKsiquc01res_202611250201.xml" '<ResultCode>1</ResultCode>'
wait_for "$D/res/YZKsiquc01res_202611250202.xml"
has "$D/res/YZKsiquc01res_202611250202.xml" '<ResultCode>2</ResultCode>'
wait_for "$D/res/TKKsiquc01res_202611250203.pdf"
head -c 5 "$D/res/TKKsiquc01res_202611250203.pdf" | grep -q '%PDF-' || fail "pdf"
# every result went through the codec without a dropped element or value
hasnt "$T/l.log" "sim: codec"
hasnt "$T/l.log" "sim: the codec"
stop_pid "$T/l.pid"

# 10. CP932 terminal setting, and purge after the stay time
D2=$T/oqs2
"$SIM" linkage --db "$DB" --dir "$D2" --poll-ms 50 --pidfile "$T/l2.pid" --encoding cp932 \
    --stay-seconds 1 2>"$T/l2.log" &
wait_for "$T/l2.pid"; wait_for "$D2/req"
qreq_for "$T/q.xml" P045; put "$D2" OQSsiquc01req_202611250301.xml "$T/q.xml"
wait_for "$D2/res/OQSsiquc01res_202611250301.xml"
cp "$D2/res/OQSsiquc01res_202611250301.xml" "$T/sj.xml"
has "$T/sj.xml" 'encoding="Shift_JIS"'
iconv -f CP932 -t UTF-8 "$T/sj.xml" >"$T/sj8.xml" || fail "not CP932"
has "$T/sj8.xml" '<Name>山﨑　花</Name>'
has "$T/sj8.xml" '<CharacterCodeIdentifier>1</CharacterCodeIdentifier>'
wait_gone "$D2/res/OQSsiquc01res_202611250301.xml"
has "$T/l2.log" 'purged OQSsiquc01res_202611250301.xml'
stop_pid "$T/l2.pid"; sanitizer_clean "$T/l.log"; sanitizer_clean "$T/l2.log"
echo "linkage ok"
