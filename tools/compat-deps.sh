#!/bin/sh
# Build mbedTLS 3.6 LTS and the newest libxml2 from Debian's newer source packages into a cache
# folder outside the repository, for `make check-compat` (docs/build.md, "Compatibility job").
#
#   sh tools/compat-deps.sh            prints   MBEDTLS_PREFIX=...  and  LIBXML2_PREFIX=...
#
# The sources come through a PRIVATE apt configuration (tools/debsrc.sh, shared with
# tools/win-deps.sh): a generated sources.list with deb-src
# entries for trixie and sid (signed by the Debian archive keyring), its own package lists and
# caches under the cache folder. The machine's own apt sources, lists and caches stay untouched.
# Each library is built once per version into CACHE/<name>-<version>/ and reused after that;
# the package lists are refreshed at most once a day (offline, the newest built version is
# used).
#
# Environment:
#   ONSHI_COMPAT_CACHE    cache folder (default /var/cache/libonshi-compat when writable,
#                         else ${XDG_CACHE_HOME:-~/.cache}/libonshi-compat)
#   ONSHI_COMPAT_MBEDTLS  upstream series of mbedtls to build (default 3.6)
#   ONSHI_COMPAT_LIBXML2  upstream series of libxml2 to build (default 2.15)
#   ONSHI_COMPAT_SUITES   Debian suites to take sources from (default "trixie sid")
#   ONSHI_COMPAT_MIRROR   Debian mirror (default http://deb.debian.org/debian)
#   ONSHI_COMPAT_JOBS     parallel build jobs (default 2)
set -eu

here=$(dirname "$0")
DEBSRC_LOG=compat-deps
. "$here/debsrc.sh"
log() { debsrc_log "$@"; }
die() { debsrc_die "$@"; }

MB_SERIES=${ONSHI_COMPAT_MBEDTLS:-3.6}
XML_SERIES=${ONSHI_COMPAT_LIBXML2:-2.15}
SUITES=${ONSHI_COMPAT_SUITES:-trixie sid}
DEBSRC_MIRROR=${ONSHI_COMPAT_MIRROR:-http://deb.debian.org/debian}
JOBS=${ONSHI_COMPAT_JOBS:-2}
RECIPE=2   # bump when build_mbedtls/build_libxml2 change

CACHE=$(debsrc_cache "${ONSHI_COMPAT_CACHE:-}" libonshi-compat)
DEBSRC_CACHE=$CACHE
DEBSRC_SUITES=$SUITES

for tool in apt-get apt-cache dpkg-source cmake cc python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool is missing (make deps installs it: dpkg-dev, cmake, build-essential)"
done
debsrc_lock
debsrc_setup

# newest NAME SERIES: the newest Debian version of that upstream series
newest_src() { n=$1; ser=$2; debsrc_versions "$n" | while read -r v; do
        up=${v#*:}; up=${up%-*}
        case "$up" in "$ser".*) echo "$v" ;; esac
    done | sort -V | tail -n 1; }

# Newest finished build in the cache for a library and series (offline fallback).
cached_build() {
    ls -d "$CACHE/$1-$2".* 2>/dev/null | while read -r d; do
        [ -f "$d/.built" ] && echo "$d"
    done | sort -V | tail -n 1
}

build_mbedtls() { # $1 = source folder, $2 = prefix
    b=$CACHE/build/mbedtls
    rm -rf "$b" "$2"
    # The configuration Debian ships (debian/rules): threading (libonshi is used from several
    # threads), deprecation warnings on, CMAC and DTLS-SRTP. TLS 1.3 is on by default in 3.6.
    cfg=$1/include/mbedtls/mbedtls_config.h
    [ -f "$cfg.orig" ] || cp "$cfg" "$cfg.orig"
    cp "$cfg.orig" "$cfg"
    for opt in MBEDTLS_DEPRECATED_WARNING MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD \
               MBEDTLS_CMAC_C MBEDTLS_SSL_DTLS_SRTP; do
        python3 "$1/scripts/config.py" -f "$cfg" set "$opt"
    done
    # Static and position-independent (libonshi.so links it), without programs and tests.
    cmake -S "$1" -B "$b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$2" \
        -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
        -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DGEN_FILES=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
    cmake --build "$b" -j "$JOBS"
    cmake --install "$b"
    rm -rf "$b"
}

build_libxml2() { # $1 = source folder, $2 = prefix
    b=$CACHE/build/libxml2
    rm -rf "$b" "$2"
    # Minimal: no Python, ICU, LZMA, zlib, readline, programs or tests; iconv from libc.
    cmake -S "$1" -B "$b" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$2" \
        -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DBUILD_SHARED_LIBS=OFF \
        -DLIBXML2_WITH_PYTHON=OFF -DLIBXML2_WITH_ICU=OFF -DLIBXML2_WITH_LZMA=OFF \
        -DLIBXML2_WITH_ZLIB=OFF -DLIBXML2_WITH_READLINE=OFF -DLIBXML2_WITH_HISTORY=OFF \
        -DLIBXML2_WITH_PROGRAMS=OFF -DLIBXML2_WITH_TESTS=OFF -DLIBXML2_WITH_ICONV=ON \
        -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_DEBUG=OFF
    cmake --build "$b" -j "$JOBS"
    cmake --install "$b"
    rm -rf "$b"
}

# ensure NAME SERIES BUILDFN → prints the prefix
ensure() {
    name=$1 series=$2 fn=$3
    ver=$(newest_src "$name" "$series")
    if [ -z "$ver" ]; then
        prev=$(cached_build "$name" "$series")
        [ -n "$prev" ] || die "no $name $series.x source in $SUITES (and nothing cached)"
        log "no $name $series.x in the lists; using cached $prev"
        echo "$prev"
        return 0
    fi
    up=${ver#*:}; up=${up%-*}; up=${up%%+*}
    prefix=$CACHE/$name-$up
    # The stamp names the Debian version and the build recipe: a change of either rebuilds.
    key="$ver recipe=$RECIPE"
    if [ -f "$prefix/.built" ] && [ "$(cat "$prefix/.built")" = "$key" ]; then
        log "$name $ver: cached in $prefix"
    else
        dir=$(debsrc_fetch "$name" "$ver")
        log "building $name $ver into $prefix"
        mkdir -p "$CACHE/build"
        if ! "$fn" "$dir" "$prefix" >"$CACHE/build/$name.log" 2>&1; then
            tail -n 30 "$CACHE/build/$name.log" >&2
            die "building $name $ver failed (log: $CACHE/build/$name.log)"
        fi
        echo "$key" >"$prefix/.built"
    fi
    echo "$prefix"
}

mb=$(ensure mbedtls "$MB_SERIES" build_mbedtls)
xml=$(ensure libxml2 "$XML_SERIES" build_libxml2)
echo "MBEDTLS_PREFIX=$mb"
echo "LIBXML2_PREFIX=$xml"
