#!/bin/sh
# onshi honours ONSHI_XML_MAX_SIZE (issue 17): a whole message over the cap is refused, a
# streamed bulk result is capped per unit (so a small cap still reads every unit), and a bad
# value is an error, never ignored.
set -eu
ONSHI=$1
D=test/data/codec
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
big=$D/OQSsiquc01res_202501150001.xml
size=$(wc -c <"$big")
cap=1024
if [ "$size" -gt $cap ]; then
    if ONSHI_XML_MAX_SIZE=$cap "$ONSHI" decode --json "$big" >"$out/a" 2>"$out/e"; then
        echo "FAIL: $big ($size bytes) decoded under ONSHI_XML_MAX_SIZE=$cap"; exit 1
    fi
    grep -q ONSHI_E_XML_TOO_LARGE "$out/e" || { cat "$out/e"; echo "FAIL: not XML_TOO_LARGE"; exit 1; }
fi
# a bulk result of 12 KB streams unit by unit under a 2 KB cap
ONSHI_XML_MAX_SIZE=2048 "$ONSHI" decode --json $D/OQSmuquc02res_202501150003.xml >"$out/b"
[ "$(grep -c '"ProcessingResultStatus"' "$out/b")" -eq 3 ] || { echo "FAIL: units missing"; exit 1; }
if ONSHI_XML_MAX_SIZE=abc "$ONSHI" decode --json $D/OQSmuquc02res_202501150003.xml >/dev/null 2>&1; then
    echo "FAIL: a bad ONSHI_XML_MAX_SIZE was ignored"; exit 1
fi
echo ok
