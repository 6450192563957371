#!/bin/sh
# The Windows DLL exports exactly the onshi_* functions the Linux shared library exports
# (lib/onshi.map), undecorated (cdecl, ONSHI_CALL), and nothing else.
# Usage: check-win-exports.sh OBJDUMP DLL LINUX_SO
set -eu
objdump=$1 dll=$2 so=$3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
"$objdump" -p "$dll" | sed -n '/\[Ordinal\/Name Pointer\] Table/,/^$/p' |
    sed -n 's/^[[:space:]]*\[[[:space:]]*[0-9]*\][[:space:]]*//p' | sort >"$t/win"
nm -D --defined-only "$so" | awk '{print $NF}' | sed 's/@.*//' | grep '^onshi_' | sort >"$t/linux"
[ -s "$t/win" ] || { echo "no exports found in $dll"; exit 1; }
if ! cmp -s "$t/win" "$t/linux"; then
    echo "exports of $dll differ from $so (< Windows only, > Linux only):"
    diff "$t/win" "$t/linux" || true
    exit 1
fi
echo "$(wc -l <"$t/win") onshi_* functions exported by $(basename "$dll"), as on Linux"
