#!/bin/sh
# Extract the C block of README.md, build it like a vendor would, run it on a golden result.
set -eu
cc=$1; libdir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed -n '/^```c$/,/^```$/p' README.md | sed '1d;$d' >"$tmp/example.c"
[ -s "$tmp/example.c" ] || { echo "no C example in README.md"; exit 1; }
$cc -std=c11 -Wall -Wextra -Werror -Iinclude "$tmp/example.c" -L"$libdir" -lonshi \
    -Wl,-rpath,"$(cd "$libdir" && pwd)" -o "$tmp/example"
out=$("$tmp/example" test/data/codec/OQSsiquc01res_202501150001.xml)
echo "$out"
echo "$out" | grep -q "見本　花子"
# bad input: one clear error line and a non-zero exit
if "$tmp/example" README.md 2>"$tmp/err"; then echo "README.md decoded?"; exit 1; fi
grep -q "malformed XML" "$tmp/err"
