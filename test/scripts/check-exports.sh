#!/bin/sh
# The shared library exports nothing outside onshi_* (the version node ONSHI_1 aside).
set -eu
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '{print $NF}' | sed 's/@.*//')
[ -n "$syms" ] || { echo "no exported symbols found in $lib"; exit 1; }
bad=$(printf '%s\n' $syms | grep -v -e '^onshi_' -e '^ONSHI_[0-9]*$' || true)
if [ -n "$bad" ]; then
    echo "symbols exported outside onshi_*:"
    echo "$bad"
    exit 1
fi
# And no internal onshi__ helper leaks out.
if printf '%s\n' $syms | grep -q '^onshi__'; then
    echo "internal onshi__ symbols exported:"; printf '%s\n' $syms | grep '^onshi__'; exit 1
fi
echo "$(printf '%s\n' $syms | grep -c '^onshi_') onshi_* symbols exported"
