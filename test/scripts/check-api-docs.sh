#!/bin/sh
# The API reference (docs/Doxyfile over include/*.h): Doxygen must run without one warning,
# and document every public function (a header without a @file block documents nothing).
set -eu
out=build/docs/api
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
doxygen docs/Doxyfile >/dev/null 2>"$log" || { cat "$log"; exit 1; }
if [ -s "$log" ]; then
    echo "Doxygen warnings:"; cat "$log"; exit 1
fi
# every exported function of the headers has a page entry
missing=0
for f in $(sed -n 's/^ONSHI_API [^(]*ONSHI_CALL \(onshi_[a-z0-9_]*\)(.*/\1/p' include/*.h | sort -u); do
    grep -rqs "$f" "$out/html/" || { echo "not in the API reference: $f"; missing=$((missing + 1)); }
done
[ "$missing" -eq 0 ]
echo "API reference: $(ls "$out/html" | wc -l) files, no warning"
