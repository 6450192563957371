#!/bin/sh
# The generated reference pages are up to date with the tables they come from.
set -eu
gen=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$gen" options >"$tmp/options.md"
"$gen" status >"$tmp/status.md"
diff -u docs/options.md "$tmp/options.md" || { echo "run: make docs"; exit 1; }
diff -u docs/status-codes.md "$tmp/status.md" || { echo "run: make docs"; exit 1; }
