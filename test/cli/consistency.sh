#!/bin/bash
# The onshi command's consistency (issue 16), against onshi-sim's linkage mode where a
# command needs a system: every command takes --help (exit 0), --version, Japanese help and
# messages by ONSHI_LANG/LANG, exit codes listed, one parser for --set, tables unless --json,
# --csv on list commands, face-watch's CSV names the file and a timeout with nothing is exit
# 4, info drug's default window, onshi pending, the one parser's message.
# Usage: consistency.sh ONSHI SIM
set -u
ONSHI=$(readlink -f "$1"); SIM=$(readlink -f "$2")
T=$(mktemp -d /tmp/onshi-cli-XXXXXX)
LPID=
cleanup() { [ -n "$LPID" ] && kill "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
export LANG=C ONSHI_LANG=en
unset ONSHI_CONF

# ---- help, version, exit codes ---------------------------------------------------------------
"$ONSHI" --version | grep -q '^onshi (libonshi [0-9]' || fail "--version"
"$ONSHI" --help >"$T/help" || fail "--help exit status"
for code in 0 1 2 3 4; do grep -q "^  $code  " "$T/help" || fail "--help lists no exit code $code"; done
cmds=$(sed -n 's/^  onshi \([a-z-]*\) .*/\1/p' "$T/help" | sort -u)
[ "$(echo "$cmds" | wc -l)" -ge 15 ] || fail "--help lists $(echo "$cmds" | wc -l) commands"
for c in $cmds; do
    out=$("$ONSHI" "$c" --help 2>&1); rc=$?
    [ $rc -eq 0 ] || fail "onshi $c --help: exit $rc"
    echo "$out" | grep -q "^usage: onshi $c" || fail "onshi $c --help: $out"
    out=$(ONSHI_LANG=ja "$ONSHI" "$c" --help 2>&1)
    echo "$out" | grep -q "^使い方: onshi $c" || fail "onshi $c --help in Japanese: $out"
done
LANG=ja_JP.UTF-8 ONSHI_LANG= "$ONSHI" --help | grep -q '終了コード' || fail "LANG=ja: help not Japanese"
"$ONSHI" nosuch >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command: not exit 2"
# the command's own messages in Japanese too
out=$(ONSHI_LANG=ja "$ONSHI" verify --insurer 1 2>&1); rc=$?
[ $rc -eq 2 ] || fail "verify without --number: exit $rc"
echo "$out" | grep -q -- "--insurer、--number、--birth は必須です" || fail "Japanese message: $out"

# ---- a system to talk to ------------------------------------------------------------------------
"$SIM" init-db "$T/reg.db" >/dev/null || exit 1
"$SIM" linkage --db "$T/reg.db" --dir "$T/oqs" --poll-ms 20 2>"$T/l.log" &
LPID=$!
for _ in $(seq 100); do [ -d "$T/oqs/face" ] && break; sleep 0.05; done
cat >"$T/onshi.conf" <<CONF
medical_institution_code = 1311234569
transport = file
req_dir = $T/oqs/req
res_dir = $T/oqs/res
face_dir = $T/oqs/face
state_db = $T/state.db
poll_interval_ms = 20
CONF
export ONSHI_CONF=$T/onshi.conf
P1="--insurer 01130111 --symbol 101-01 --number 0001037 --branch 01 --birth 19800401"

# ---- one parser: --set takes what onshi.conf takes, on every command ----------------------------
# shellcheck disable=SC2086
"$ONSHI" verify $P1 --set transport=file --set request_encoding=shift_jis >"$T/v" 2>&1 ||
    fail "verify --set transport=file: $(cat "$T/v")"
grep -q "qualification: valid" "$T/v" || fail "verify: $(cat "$T/v")"
for c in "pending" "batch --list" "diagnose"; do
    # shellcheck disable=SC2086
    "$ONSHI" $c --set transport=https >/dev/null 2>"$T/e"; rc=$?
    grep -q "expects a number\|a number is expected" "$T/e" && fail "onshi $c: --set transport=https refused: $(cat "$T/e")"
done
"$ONSHI" pending --set transport=htps >/dev/null 2>"$T/e"; [ $? -eq 2 ] || fail "bad --set value: not exit 2"
grep -q "file|https" "$T/e" || fail "bad --set value: the accepted words are not named: $(cat "$T/e")"

# ---- info drug: the default window finds the registry's history -------------------------------
# shellcheck disable=SC2086
out=$("$ONSHI" info drug $P1 2>&1) || fail "info drug: $out"
echo "$out" | grep -q "ロキソプロフェン" || fail "info drug, default window: $out"
# shellcheck disable=SC2086
out=$("$ONSHI" info drug $P1 --from 202001 --to 202002 2>&1)
echo "$out" | grep -q "no drug information for 202001 to 202002" || fail "info drug, empty: $out"

# ---- decode: a table unless --json -----------------------------------------------------------------
d=test/data/codec/OQSsiquc01res_202501150001.xml
"$ONSHI" decode "$d" | grep -q '^    QualificationConfirmationDate: 20250115$' || fail "decode: no table"
"$ONSHI" decode "$d" --json | grep -q '"_type"' || fail "decode --json"

# ---- face-watch: timeout with nothing is 4; CSV names the file --------------------------------------
"$ONSHI" face-watch --timeout-ms 200 >/dev/null 2>&1; [ $? -eq 4 ] || fail "face-watch timeout: not exit 4"
"$SIM" face --db "$T/reg.db" --dir "$T/oqs" --person P001 --consent drug >"$T/face" || fail "sim face"
f=$(basename "$(cat "$T/face")")
out=$("$ONSHI" face-watch --existing --count 1 --timeout-ms 5000 --csv 2>&1) || fail "face-watch --csv: $out"
echo "$out" | head -1 | grep -q '^file,validity,' || fail "face-watch CSV header: $out"
echo "$out" | grep -q "^$f,1," || fail "face-watch CSV names no file: $out"

# ---- list commands offer --csv ----------------------------------------------------------------------
"$ONSHI" pending --all --csv | head -1 | grep -q '^id,type,state,age_seconds,patient$' || fail "pending --csv"
"$ONSHI" pending --all --csv | grep -q ',OQSsiquc01req,consumed,[0-9]*,"\?01130111 ' || fail "pending --csv rows"
"$ONSHI" batch --list --csv | head -1 | grep -q '^id,phase,entries,reception_number$' || fail "batch --list --csv"
"$ONSHI" diagnose --csv | head -1 | grep -q '^check,outcome,status,message$' || fail "diagnose --csv"
"$ONSHI" pending --json | grep -q '"_type":"pending"' || fail "pending --json"

# ---- pending and --resume: the linkage app down, the same command again joins -----------------------
kill "$LPID"; wait "$LPID" 2>/dev/null; LPID=
# shellcheck disable=SC2086
ONSHI_RESULT_TIMEOUT_MS=300 ONSHI_LINKAGE_TAKE_TIMEOUT_MS=0 "$ONSHI" verify $P1 >/dev/null 2>&1
[ $? -eq 3 ] || fail "verify with the linkage app down: not exit 3 (pending)"
# shellcheck disable=SC2086
ONSHI_RESULT_TIMEOUT_MS=300 ONSHI_LINKAGE_TAKE_TIMEOUT_MS=0 "$ONSHI" verify $P1 >/dev/null 2>&1
[ "$(ls "$T/oqs/req" | wc -l)" -eq 1 ] || fail "the same verification sent twice: $(ls "$T/oqs/req")"
"$ONSHI" pending >"$T/p" || fail "pending"
grep -q '^[0-9]\{16\} *OQSsiquc01req *published .*01130111 \*\+ \*\+37 01$' "$T/p" || fail "pending list: $(cat "$T/p")"
"$SIM" linkage --db "$T/reg.db" --dir "$T/oqs" --poll-ms 20 2>>"$T/l.log" &
LPID=$!
"$ONSHI" pending --resume --wait-ms 10000 >"$T/r" 2>&1 || fail "pending --resume: $(cat "$T/r")"
grep -q "result received" "$T/r" || fail "resume output: $(cat "$T/r")"
grep -q "見本　太郎" "$T/r" || fail "resume: not the patient: $(cat "$T/r")"
"$ONSHI" pending | grep -q "no pending requests" || fail "still pending after --resume"
[ "$(grep -c 'linkage: OQSsiquc01req_' "$T/l.log")" -eq 4 ] || fail "requests taken: $(grep -c "linkage: OQSsiquc01req_" "$T/l.log") (want 4: verify, two info drug, one pending joined)"

[ $fails -eq 0 ] && echo "CLI consistency: $(echo "$cmds" | wc -l) commands"
exit $fails
