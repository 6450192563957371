#!/bin/sh
# Every ONSHI_F_* / ONSHI_G_* id of the public header is used by src/codec/schema.def and
# vice versa, and no id value is used twice (ids are never reused).
set -eu
hdr=$1; def=$2
a=$(mktemp); b=$(mktemp)
trap 'rm -f "$a" "$b"' EXIT
grep -o '^#define ONSHI_[FG]_[A-Z0-9_]* ' "$hdr" | awk '{print $2}' | sort -u >"$a"
grep -o 'ONSHI_[FG]_[A-Z0-9_]*' "$def" | sort -u >"$b"
if ! diff -u "$a" "$b"; then
    echo "include/onshi.h and schema.def disagree (- header only, + table only)"; exit 1
fi
for p in F G; do
    d=$(grep -o "^#define ONSHI_${p}_[A-Z0-9_]* *[0-9]*" "$hdr" | awk '{print $3}' | sort | uniq -d)
    [ -z "$d" ] || { echo "ONSHI_${p}_ values used twice: $d"; exit 1; }
done
echo "$(wc -l <"$a") ids"
