#!/bin/sh
# `onshi decode` of bulk results (streamed): a valid JSON document with every unit, or nothing
# on stdout and one error line; the size limit from ONSHI_XML_MAX_SIZE, --set and --config.
# Usage: decode-bulk.sh ONSHI
set -u
onshi=$1
gold=test/data/codec/OQSmuquc02res_202501150003.xml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }
# units N > FILE: the golden result with its 3 units repeated to 3N
units() {
    sed -n '1,/<MessageBody>/p' "$gold"
    body=$(sed -n '/<MessageBody>/,/<\/MessageBody>/p' "$gold" | sed '1d;$d')
    i=0
    while [ "$i" -lt "$1" ]; do printf '%s\n' "$body"; i=$((i + 1)); done
    sed -n '/<\/MessageBody>/,$p' "$gold"
}
# count FILE: units in the printed JSON (and proof that it parses)
count() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["XmlMsg"]["MessageBody"]["BulkConfirmUnit"]))' "$1"
}
f=$tmp/OQSmuquc02res_202501150003.xml
units 200 >"$f"
# one unit made larger than any per-unit allowance (the streaming reader's cap is per unit,
# with 40 KB of read-ahead slack): 64 KB of whitespace between its elements
python3 -c 'import sys; p=sys.argv[1]; s=open(p,"rb").read(); i=s.index(b"<BulkConfirmUnit>")+17; open(p,"wb").write(s[:i]+b" "*65536+s[i:])' "$f"
size=$(wc -c <"$f")

"$onshi" decode --json "$f" >"$tmp/ok.json" 2>"$tmp/err" || bad "decode: $(cat "$tmp/err")"
[ "$(count "$tmp/ok.json")" = 600 ] || bad "600 units expected"
grep -q '"_warnings"' "$tmp/ok.json" || bad "no _warnings"

# a truncated file: nothing on stdout (not even the header), one error line, exit 1
head -c $((size * 2 / 3)) "$f" >"$tmp/OQSmuquc02res_202501150009.xml"
if "$onshi" decode --json "$tmp/OQSmuquc02res_202501150009.xml" >"$tmp/t.json" 2>"$tmp/err"; then
    bad "truncated file decoded"
fi
[ ! -s "$tmp/t.json" ] || bad "truncated file: partial output on stdout ($(wc -c <"$tmp/t.json") bytes)"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || bad "truncated file: not one error line: $(cat "$tmp/err")"
grep -q 'ONSHI_E_XML_MALFORMED' "$tmp/err" || bad "truncated file: $(cat "$tmp/err")"

# the size limit (1024, the least allowed, is below the padded unit: refused whether the limit
# is per file or per unit): from the environment, from --set (which wins), from --config
if ONSHI_XML_MAX_SIZE=1024 "$onshi" decode --json "$f" >"$tmp/s.json" 2>"$tmp/err"; then
    bad "ONSHI_XML_MAX_SIZE ignored"
fi
[ ! -s "$tmp/s.json" ] || bad "size limit: partial output"
grep -q 'xml_max_size.*ONSHI_E_XML_TOO_LARGE' "$tmp/err" || bad "size limit: $(cat "$tmp/err")"
ONSHI_XML_MAX_SIZE=1024 "$onshi" decode --json "$f" --set "xml_max_size=$((size * 2))" \
    >"$tmp/s.json" 2>"$tmp/err" || bad "--set xml_max_size: $(cat "$tmp/err")"
[ "$(count "$tmp/s.json")" = 600 ] || bad "--set: 600 units expected"
if "$onshi" decode --json "$f" --set xml_max_size=1024 >/dev/null 2>"$tmp/err"; then
    bad "--set xml_max_size ignored"
fi
echo "xml_max_size = 1024" >"$tmp/onshi.conf"
if "$onshi" decode --json "$f" --config "$tmp/onshi.conf" >/dev/null 2>"$tmp/err"; then
    bad "--config xml_max_size ignored"
fi
if ONSHI_XML_MAX_SIZE=12x "$onshi" decode --json "$f" >/dev/null 2>"$tmp/err"; then
    bad "a bad ONSHI_XML_MAX_SIZE accepted"
fi
grep -q 'XML_MAX_SIZE' "$tmp/err" || bad "bad variable not named: $(cat "$tmp/err")"
# a whole-message decode honours the limit too
one=test/data/codec/OQSmuquc01req_202501150002.xml
if ONSHI_XML_MAX_SIZE=1024 "$onshi" decode --json "$one" >"$tmp/o.json" 2>/dev/null && \
   [ "$(wc -c <"$one")" -gt 1024 ]; then
    bad "ONSHI_XML_MAX_SIZE ignored by a whole-message decode"
fi
[ "$fail" -eq 0 ] && echo "decode-bulk: ok"
exit $fail
