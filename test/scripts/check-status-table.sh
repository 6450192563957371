#!/bin/sh
# The status codes #defined in the public header and the rows of status.def are the same set.
set -eu
hdr=$1; def=$2
a=$(mktemp); b=$(mktemp)
grep -o '^#define ONSHI_\(OK\|E_[A-Z0-9_]*\) ' "$hdr" | awk '{print $2}' | sort >"$a"
grep -o '^X(ONSHI_[A-Z0-9_]*' "$def" | sed 's/^X(//' | sort >"$b"
if ! diff -u "$a" "$b"; then
    echo "include/onshi.h and src/core/status.def disagree (- header only, + table only)"
    rm -f "$a" "$b"; exit 1
fi
dups=$(grep -o '^#define ONSHI_E_[A-Z0-9_]* *-[0-9]*' "$hdr" | awk '{print $3}' | sort | uniq -d)
rm -f "$a" "$b"
[ -z "$dups" ] || { echo "status values used twice: $dups"; exit 1; }
echo "$(grep -c '^X(' "$def") status codes"
