#!/bin/sh
# Secret options (flag ONSHI__OPT_F_SECRET in src/core/options.def: passwords) are refused on
# the command line by every command that takes --set, with a message in Japanese and English;
# the value never reaches the library from argv.
set -eu
onshi=$1; def=$2
secrets=$(grep 'ONSHI__OPT_F_SECRET' "$def" | sed 's/^OPT([A-Z0-9_]*, "\([a-z0-9_]*\)".*/\1/')
[ -n "$secrets" ] || { echo "no secret option found in $def"; exit 1; }
n=0
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for s in $secrets; do
    for c in "verify-card" "diagnose" "cert-info" "disaster-search" "batch x.csv" "refnum --bulk x.csv"; do
        # shellcheck disable=SC2086
        if LANG=C "$onshi" $c --set "$s=hunter2" >/dev/null 2>"$err"; then
            echo "onshi $c accepted --set $s"; exit 1
        fi
        if ! grep -q "is a secret and is not taken from the command line" "$err" ||
           ! grep -q "秘密情報のためコマンドラインでは受け付けません" "$err"; then
            echo "onshi $c --set $s: unexpected message:"; cat "$err"; exit 1
        fi
        n=$((n + 1))
    done
done
echo "$n refusals ($(echo $secrets | wc -w) secret options)"
