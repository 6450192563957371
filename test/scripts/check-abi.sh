#!/bin/sh
# Compare the ABI of the built library with the committed baseline (libabigail).
# A deliberate change: `make abi-baseline`, commit lib/onshi.abi and add an "ABI:" line to
# CHANGELOG.md (docs/abi.md).
set -u
lib=$1; baseline=$2; out=$3
command -v abidw >/dev/null || { echo "abidw missing (Debian abigail-tools)"; exit 1; }
[ -f "$baseline" ] || { echo "no baseline $baseline: run make abi-baseline"; exit 1; }
abidw --headers-dir include --drop-private-types --no-corpus-path --no-comp-dir-path --out-file "$out" "$lib" || exit 1
abidiff "$baseline" "$out"
rc=$?
# abidiff exit code is a bit field: 1 error, 2 usage, 4 ABI change, 8 incompatible change.
if [ $rc -eq 0 ]; then
    echo "ABI unchanged"
    exit 0
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "INCOMPATIBLE ABI change against $baseline. Breaking the ABI needs a SONAME bump (docs/abi.md)."
elif [ $((rc & 4)) -ne 0 ]; then
    echo "ABI changed compatibly (additions). If intended: make abi-baseline, and note it in CHANGELOG.md."
else
    echo "abidiff failed ($rc)"
fi
exit 1
