#!/bin/sh
# The objects given (the CLI, the demo, the benchmarks) were compiled without -Isrc; they must
# also not reach an internal symbol of the library by declaring it themselves.
set -eu
bad=0
for o in "$@"; do
    syms=$(nm -u "$o" | awk '{print $NF}' | grep '^onshi__' || true)
    if [ -n "$syms" ]; then
        echo "$o uses internal symbols:"; echo "$syms" | sed 's/^/  /'
        bad=1
    fi
done
[ "$bad" -eq 0 ] || exit 1
echo "$# objects use the public API only"
