#!/bin/bash
# The onshi CLI's reception workflows against a scripted linkage app: a background loop that
# takes each request from req/ and answers in res/ with the golden result of its type.
# Usage: cli-linkage.sh path/to/onshi path/to/examples-dir
set -u
ONSHI=$(readlink -f "$1")
EX=$(readlink -f "$2")
G=$(readlink -f test/data/codec)
T=$(mktemp -d /tmp/onshi-e2e-verify-XXXXXX)
FAKE=
cleanup() {
    touch "$T/stop"
    [ -n "$FAKE" ] && kill "$FAKE" 2>/dev/null && wait "$FAKE" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/req" "$T/res" "$T/face" "$T/work"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# consents that run until 2999 (the golden ones are from 2025)
sed 's/20250215093004/29990215093004/g' "$G/OQSsiquc01res_202501150001.xml" >"$T/qual-future.xml"
cp "$T/qual-future.xml" "$T/answer-qual.xml"

fake_linkage() {
    while [ ! -e "$T/stop" ]; do
        for f in "$T"/req/*req_*.xml; do
            [ -e "$f" ] || continue
            b=$(basename "$f" .xml)
            pre=${b%%_*}
            id=${b#*_}
            rm -f "$f" || continue
            case $pre in
            OQSsiquc01req) ans="$T/answer-qual.xml" ;;
            OQSsiimm01req) ans="$G/OQSsiimm01res_202501150002.xml" ;;
            YZKsiquc01req) ans="$G/YZKsiquc01res_202501150005.xml" ;;
            TKKsiquc01req) ans="$G/TKKsiquc01res_202501150006.xml" ;;
            *) continue ;;
            esac
            cp "$ans" "$T/res/~part"
            mv "$T/res/~part" "$T/res/${pre%req}res_$id.xml"
            echo "$b" >>"$T/taken"
        done
        sleep 0.05
    done
}
fake_linkage &
FAKE=$!

cat >"$T/onshi.conf" <<CONF
# test configuration
medical_institution_code = 1311234569
transport = file
req_dir = $T/req
res_dir = $T/res
face_dir = $T/face
state_db = $T/state.db
poll_interval_ms = 20
result_timeout_ms = 20000
request_encoding = utf-8
CONF
export ONSHI_CONF="$T/onshi.conf"
cd "$T/work" || exit 1
taken() { [ -e "$T/taken" ] && wc -l <"$T/taken" || echo 0; }

# 1. an invalid check digit is refused before anything is written
out=$(LANG=C "$ONSHI" verify --insurer 06130018 --number 561 --branch 01 --birth 19800401 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "check digit: exit $rc"
echo "$out" | grep -q "insurer number" || fail "check digit message: $out"
[ "$(taken)" -eq 0 ] || fail "a request was sent for an invalid number"
out=$(LANG=ja_JP.UTF-8 ONSHI_LANG=ja "$ONSHI" verify --insurer 06130018 --number 561 --birth 19800401 2>&1)
echo "$out" | grep -q "保険者番号" || fail "Japanese field name: $out"

# 2. a verification: table (ja / en), JSON, CSV
out=$(LANG=ja_JP.UTF-8 "$ONSHI" verify --insurer 138016 --symbol "１２－３４" --number 561 \
    --branch 01 --birth 19800401 --limit-consent 2>&1) || fail "verify ja: $out"
echo "$out" | grep -q "資格有効性: 複数該当" || fail "ja table: $out"
echo "$out" | grep -q "見本　花子" || fail "ja table name: $out"
echo "$out" | grep -q "薬剤情報 *同意あり" || fail "ja consent: $out"
out=$(LANG=C "$ONSHI" verify --insurer 138016 --number 561 --branch 01 --birth 19800401 2>&1) ||
    fail "verify en: $out"
echo "$out" | grep -q "qualification: several matches" || fail "en table: $out"
out=$(LANG=C "$ONSHI" verify --insurer 138016 --number 561 --branch 01 --birth 19800401 --json) ||
    fail "verify json"
echo "$out" | grep -q '"_type"' || fail "json: $out"
out=$(LANG=C "$ONSHI" verify --insurer 138016 --number 561 --branch 01 --birth 19800401 --csv) ||
    fail "verify csv"
[ "$(echo "$out" | wc -l)" -eq 4 ] || fail "csv rows: $out"
echo "$out" | head -1 | grep -q "^validity,Name," || fail "csv header: $out"

# 3. what changed since the previous visit
sed 's/<InsuredPartialContributionRatio>030/<InsuredPartialContributionRatio>020/' \
    "$T/qual-future.xml" >"$T/previous.xml"
out=$(LANG=C "$ONSHI" verify --insurer 138016 --number 561 --branch 01 --birth 19800401 \
    --previous "$T/previous.xml") || fail "verify --previous"
echo "$out" | grep -q "co-payment ratio *20 % -> 30 %" || fail "changes: $out"

# 4. drug information under consent, refused locally without it
n=$(taken)
out=$(LANG=C "$ONSHI" info drug --result "$T/qual-future.xml" --from 202410 --to 202501 2>&1) ||
    fail "info drug: $out"
echo "$out" | grep -q "drug information" || fail "drug table: $out"
[ "$(taken)" -eq $((n + 1)) ] || fail "drug request not sent once"
out=$(LANG=C "$ONSHI" info drug --result "$T/qual-future.xml" --csv) || fail "info drug csv"
echo "$out" | head -1 | grep -q "^month,institution,date,code,name" || fail "drug csv: $out"
out=$(LANG=C "$ONSHI" info checkup --result "$T/qual-future.xml") || fail "info checkup: $out"
n=$(taken)
out=$(LANG=C "$ONSHI" info drug --result "$G/OQSsiquc01res_202501150001.xml" 2>&1)
[ $? -eq 1 ] || fail "expired consent not refused"
echo "$out" | grep -q "consent" || fail "refusal message: $out"
[ "$(taken)" -eq "$n" ] || fail "a request was sent without consent"

# 5. 照会番号
out=$(LANG=C "$ONSHI" refnum --ref 24431 --insurer 39131156 --number 12341 --branch 00 2>&1) ||
    fail "refnum: $out"
echo "$out" | grep -q "reference number registered" || fail "refnum output: $out"

# 6. face-reader results, face/ left untouched
cp "$G/OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml" "$T/face/"
out=$(LANG=C "$ONSHI" face-watch --existing --count 1 --timeout-ms 10000 2>&1) ||
    fail "face-watch: $out"
echo "$out" | grep -q "== OQSsiquc01res_face_" || fail "face-watch output: $out"
[ -e "$T/face/OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml" ] ||
    fail "face file was moved"

# 7. a broken configuration names the line
printf 'transport = pigeon\n' >"$T/bad.conf"
out=$(LANG=C "$ONSHI" verify --config "$T/bad.conf" --insurer 138016 --number 561 --birth 19800401 2>&1)
[ $? -eq 1 ] || fail "bad config accepted"
echo "$out" | grep -q "bad.conf:1" || fail "config message: $out"

# 8. the examples, as a vendor would run them
out=$("$EX/verify_insurance_card" "$T/onshi.conf" 138016 "１２－３４" 561 01 19800401 2>&1) ||
    fail "example verify_insurance_card: $out"
echo "$out" | grep -q "qualification: several matches" || fail "example verify: $out"
echo "$out" | grep -q "drug information: consented" || fail "example verify consent: $out"
out=$("$EX/verify_insurance_card" "$T/onshi.conf" 06130018 "" 561 01 19800401 2>&1)
[ $? -eq 1 ] || fail "example verify: bad check digit accepted"
echo "$out" | grep -q "ONSHI_E_CHECK_DIGIT" || fail "example verify check digit: $out"
out=$("$EX/drug_info" "$T/onshi.conf" "$T/qual-future.xml" 2>"$T/audit.log") ||
    fail "example drug_info: $out"
echo "$out" | grep -q "202412" || fail "example drug_info output: $out"
grep -q "before" "$T/audit.log" && grep -q "after outcome=0" "$T/audit.log" ||
    fail "example drug_info audit: $(cat "$T/audit.log")"
n=$(taken)
"$EX/drug_info" "$T/onshi.conf" "$G/OQSsiquc01res_202501150001.xml" >/dev/null 2>&1
[ $? -eq 4 ] || fail "example drug_info: expired consent not refused"
[ "$(taken)" -eq "$n" ] || fail "example drug_info sent without consent"

[ $fails -eq 0 ] && echo "ok" || { echo "$fails failure(s)"; exit 1; }
