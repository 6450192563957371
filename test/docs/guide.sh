#!/bin/bash
# Follows docs/guide.en.md (and checks guide.ja.md carries the same code) literally: install
# into a private prefix, run section 2's shell block (simulator, onshi.conf, onshi diagnose,
# onshi verify), compile and run section 3's program as the guide says, compile the callback
# functions of section 5. Usage: guide.sh MAKE CC
set -u
MAKE=${1:-make}; CC=${2:-cc}
ROOT=$(pwd)
T=$(mktemp -d /tmp/onshi-guide-XXXXXX)
cleanup() {
    for p in $(cat "$T/bg.pids" 2>/dev/null); do kill "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# the guide's code blocks, numbered from 0 as they appear
python3 - "$ROOT/docs/guide.en.md" "$ROOT/docs/guide.ja.md" "$T" <<'PY' || exit 1
import re, sys
en, ja, out = sys.argv[1:4]
be = re.findall(r"```(\w*)\n(.*?)```", open(en, encoding="utf-8").read(), re.S)
bj = re.findall(r"```(\w*)\n(.*?)```", open(ja, encoding="utf-8").read(), re.S)
if be != bj:
    sys.exit("guide.en.md and guide.ja.md differ in their code blocks")
for i, (lang, body) in enumerate(be):
    open(f"{out}/block{i}.{lang or 'txt'}", "w", encoding="utf-8").write(body)
PY

# 1. install (the guide's `sudo make install`, into a private root)
$MAKE --no-print-directory install DESTDIR="$T/root" PREFIX=/usr/local >"$T/install.log" 2>&1 ||
    { cat "$T/install.log"; fail "make install"; }
P=$T/root/usr/local
export PATH="$P/bin:$PATH" LD_LIBRARY_PATH="$P/lib"
export PKG_CONFIG_LIBDIR="$P/lib/pkgconfig" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$T/root"
export HOME="$T/home" LANG=C.UTF-8 ONSHI_LANG=en
mkdir -p "$HOME"
unset ONSHI_CONF ONSHI_STATE_DB

# 2. a first verification against the simulator: section 2's block as written; background
# jobs are remembered to be stopped
sec2=$(grep -l 'onshi-sim init-db reg.db' "$T"/block*.sh | head -1)
[ -n "$sec2" ] || fail "no simulator block in the guide"
( cd "$HOME" && trap 'jobs -p >"$T/bg.pids"' EXIT && set -e && . "$sec2" ) >"$T/sec2.out" 2>&1
grep -q "qualification: valid" "$T/sec2.out" || { cat "$T/sec2.out"; fail "section 2: no valid qualification"; }
grep -q "見本　太郎" "$T/sec2.out" || fail "section 2: not the patient"
grep -qi "fail\|error" <(grep -v "qualification" "$T/sec2.out") && { cat "$T/sec2.out"; fail "section 2: diagnose or verify reported an error"; }
[ -s "$T/bg.pids" ] || fail "section 2: the simulator was not started in the background"

# 3. the first program, compiled and run as the guide says
prog=$(grep -l 'guide-program: reception.c' "$T"/block*.c | head -1)
[ -n "$prog" ] || fail "no program in the guide"
cp "$prog" "$HOME/onshi-try/reception.c"
build=$(grep -l 'cc -o reception reception.c' "$T"/block*.sh | head -1)
( cd "$HOME/onshi-try" && set -e && . "$build" ) >"$T/sec3.out" 2>&1 ||
    { cat "$T/sec3.out"; fail "section 3: build or run"; }
grep -q "^qualification: " "$T/sec3.out" || { cat "$T/sec3.out"; fail "section 3: no qualification"; }
grep -q "^name: 見本　太郎" "$T/sec3.out" || { cat "$T/sec3.out"; fail "section 3: no name"; }
grep -q "^drug information: consented" "$T/sec3.out" || { cat "$T/sec3.out"; fail "section 3: consent"; }

# 5. the callback functions compile against the installed header, warning-free
cb=$(grep -l 'static int ONSHI_CALL ask_pin' "$T"/block*.c | head -1)
[ -n "$cb" ] || fail "no callbacks in the guide"
{ echo '#include <onshi.h>'; echo '#include <stdio.h>'; echo '#include <string.h>'; cat "$cb";
  echo 'int main(void) { onshi_callbacks c = ONSHI_CALLBACKS_INIT; c.pin = ask_pin;';
  echo '  c.consent = ask_consent; c.identity = confirm_identity; return c.version == 0; }'; } >"$T/cb.c"
$CC -std=c99 -Wall -Wextra -Werror -Wno-unused-function -o "$T/cb" "$T/cb.c" \
    $(pkg-config --cflags --libs onshi) || fail "section 5: callbacks do not compile"
echo "guide followed: install, simulator, onshi verify, reception.c, callbacks"
