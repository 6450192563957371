#!/bin/sh
# `make install DESTDIR=tmp`, then build and run a tiny program against the installed tree
# using only `pkg-config --cflags --libs onshi`.
set -eu
make=$1; cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$make --no-print-directory install DESTDIR="$tmp/root" PREFIX=/opt/onshi >/dev/null
pcdir="$tmp/root/opt/onshi/lib/pkgconfig"
test -f "$pcdir/onshi.pc"
test -L "$tmp/root/opt/onshi/lib/libonshi.so.1"
# the commands (onshi-sim: the vendors' test server too), their man pages, the docs
for f in bin/onshi bin/onshi-sim share/man/man1/onshi.1 share/man/man1/onshi-sim.1 \
         share/doc/libonshi/README.md share/doc/libonshi/docs/guide.en.md \
         share/doc/libonshi/docs/guide.ja.md share/doc/libonshi/docs/errors.md; do
    test -e "$tmp/root/opt/onshi/$f" || { echo "not installed: $f"; exit 1; }
done
! command -v man >/dev/null || MANWIDTH=80 man -l "$tmp/root/opt/onshi/share/man/man1/onshi.1" 2>/dev/null | grep -q "EXIT STATUS" ||
    { echo "man onshi does not render"; exit 1; }
"$tmp/root/opt/onshi/bin/onshi-sim" --help 2>&1 | grep -q linkage || { echo "onshi-sim does not run"; exit 1; }
# A plain dynamic link with libonshi's .pc as the only one pkg-config can see
# (PKG_CONFIG_LIBDIR replaces the system's folders): nothing else is looked up, and no
# include path of another library appears (least of all one under the sysroot).
flags=$(PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$tmp/root" \
        pkg-config --cflags --libs onshi)
echo "pkg-config: $flags"
want="-I$tmp/root/opt/onshi/include -L$tmp/root/opt/onshi/lib -lonshi"
[ "$(echo $flags)" = "$want" ] || { echo "expected: $want"; exit 1; }
$cc -std=c99 -Wall -Werror -o "$tmp/tiny" test/install/tiny.c $flags
LD_LIBRARY_PATH="$tmp/root/opt/onshi/lib" "$tmp/tiny"
# Static linking works too with --static.
sflags=$(PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$tmp/root" \
         pkg-config --static --cflags --libs onshi)
$cc -std=c99 -Wall -Werror -o "$tmp/tiny-static" test/install/tiny.c \
    $(echo "$sflags" | sed "s|-lonshi|$tmp/root/opt/onshi/lib/libonshi.a|")
"$tmp/tiny-static"
$make --no-print-directory uninstall DESTDIR="$tmp/root" PREFIX=/opt/onshi >/dev/null
left=$(find "$tmp/root" -type f | wc -l)
[ "$left" -eq 0 ] || { echo "uninstall left $left files"; find "$tmp/root" -type f; exit 1; }
