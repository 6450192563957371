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
