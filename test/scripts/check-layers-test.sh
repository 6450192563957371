#!/bin/sh
# The layer check itself: it passes on the tree, and it fails (naming the file) on each kind of
# violation planted in a copy: an upward include, a third-party header outside its owner, a
# third-party call outside its owner, a folder without a row.
set -u
root=$1
chk="python3 $root/test/scripts/check-layers.py"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
$chk "$root" >"$t/out" || { cat "$t/out"; fail "the tree does not pass"; }
plant() { # plant NAME FILE LINE [EXPECT] → expect a failure naming FILE (or EXPECT)
    rm -rf "$t/r" && mkdir -p "$t/r" && cp -r "$root/src" "$root/docs" "$t/r/"
    mkdir -p "$(dirname "$t/r/$2")"
    printf '%s\n' "$3" >>"$t/r/$2"
    if $chk "$t/r" >"$t/out" 2>&1; then cat "$t/out"; fail "$1 not caught"; fi
    grep -q "${4:-$2}" "$t/out" || { cat "$t/out"; fail "$1: message does not name ${4:-$2}"; }
}
plant "upward include" src/core/mem.c '#include "service/service.h"'
plant "codec including transport" src/codec/json.c '#include "transport/file.h"'
plant "libxml2 header in service" src/service/verify.c '#include <libxml/tree.h>'
plant "cJSON call in service" src/service/result.c 'static void f(void) { cJSON_Delete(0); }'
plant "mbedTLS in core" src/core/mem.c 'static void g(void) { mbedtls_platform_zeroize(0, 0); }'
plant "sqlite3 outside the batch store" src/service/batch_run.c 'static int h(void) { return sqlite3_close(0); }'
plant "a folder without a row" src/extra/x.c '/* new */' "src/extra/: no row"
# a call mentioned in a comment or a string is not a call
rm -rf "$t/r" && mkdir -p "$t/r" && cp -r "$root/src" "$root/docs" "$t/r/"
printf '/* xmlReadMemory( is libxml2 */\nstatic const char *s = "cJSON_Parse(";\n' >>"$t/r/src/service/verify.c"
$chk "$t/r" >"$t/out" || { cat "$t/out"; fail "a comment or string counted as a call"; }
echo "layer check ok"
