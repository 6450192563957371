#!/bin/sh
# Cross-build libonshi's dependencies for Windows with Debian's mingw-w64 from Debian 12's own
# source packages, into a cache folder outside the repository (docs/windows.md, docs/build.md).
#
#   sh tools/win-deps.sh x86_64|i686       prints   WIN_PREFIX=<prefix of that architecture>
#
# The sources come through the same PRIVATE apt configuration as the compatibility job
# (tools/debsrc.sh: a generated sources.list with deb-src entries signed by the Debian archive
# keyring, own lists and caches), from the suite the Linux build uses (bookworm), so the DLL
# carries the same library versions as libonshi.so on Debian 12. Nothing is vendored into the
# repository. Every library is built static (no DLL of a dependency ships next to
# libonshi's DLL) into CACHE/<arch>/ and reused while its Debian version and this recipe are
# the same (one stamp per library in CACHE/<arch>/.built-<name>).
#
# Libraries: zlib, mbedTLS, libxml2, SQLite, libzip, cJSON, http-parser, cmocka (tests only).
#
# Environment:
#   ONSHI_WIN_CACHE    cache folder (default /var/cache/libonshi-win when writable,
#                      else ${XDG_CACHE_HOME:-~/.cache}/libonshi-win)
#   ONSHI_WIN_SUITES   Debian suites to take sources from (default bookworm)
#   ONSHI_WIN_MIRROR   Debian mirror (default http://deb.debian.org/debian)
#   ONSHI_WIN_JOBS     parallel build jobs (default 2)
set -eu

here=$(dirname "$0")
DEBSRC_LOG=win-deps
. "$here/debsrc.sh"
log() { debsrc_log "$@"; }
die() { debsrc_die "$@"; }

ARCH=${1:-x86_64}
case "$ARCH" in
    x86_64|i686) ;;
    *) die "architecture '$ARCH': x86_64 or i686" ;;
esac
HOST=$ARCH-w64-mingw32
DEBSRC_SUITES=${ONSHI_WIN_SUITES:-bookworm}
DEBSRC_MIRROR=${ONSHI_WIN_MIRROR:-http://deb.debian.org/debian}
JOBS=${ONSHI_WIN_JOBS:-2}
RECIPE=1   # bump when every build changes; a single build_* function has its own below

CACHE=$(debsrc_cache "${ONSHI_WIN_CACHE:-}" libonshi-win)
DEBSRC_CACHE=$CACHE

# The POSIX-thread flavour of the cross compiler: libonshi and mbedTLS use POSIX threads,
# which mingw-w64's winpthreads provides (linked statically into the DLL).
CC=$HOST-gcc-posix
AR=$HOST-ar
RANLIB=$HOST-ranlib
WINDRES=$HOST-windres
for tool in apt-get apt-cache dpkg-source cmake make cc tclsh python3 "$CC" "$AR" "$WINDRES"; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "$tool is missing (make deps installs it: gcc-mingw-w64, cmake, dpkg-dev, tcl)"
done

debsrc_lock
debsrc_setup

PREFIX=$CACHE/$ARCH
mkdir -p "$PREFIX/lib" "$PREFIX/include" "$CACHE/build"

# CMake cross-compilation settings for this architecture.
TOOLCHAIN=$CACHE/build/toolchain-$ARCH.cmake
cat >"$TOOLCHAIN.new" <<EOF
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR $ARCH)
set(CMAKE_C_COMPILER $CC)
set(CMAKE_RC_COMPILER $WINDRES)
set(CMAKE_AR $(command -v "$AR"))
set(CMAKE_RANLIB $(command -v "$RANLIB"))
set(CMAKE_FIND_ROOT_PATH $PREFIX /usr/$HOST)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
mv "$TOOLCHAIN.new" "$TOOLCHAIN"
cmake_cross() { # source build [options...]
    s=$1 b=$2
    shift 2
    cmake -S "$s" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=OFF "$@"
    cmake --build "$b" -j "$JOBS"
    cmake --install "$b"
}

# -- one function per library: $1 = source folder, $2 = scratch build folder ------------------
build_zlib() {
    # Debian's zlib source has no Windows makefile: the library's files, compiled directly.
    for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast \
             inflate inftrees trees uncompr zutil; do
        $CC -O2 -Wall -c "$1/$f.c" -o "$2/$f.o"
    done
    rm -f "$PREFIX/lib/libz.a"
    $AR rcs "$PREFIX/lib/libz.a" "$2"/*.o
    cp "$1/zlib.h" "$1/zconf.h" "$PREFIX/include/"
}

build_mbedtls() {
    cp -a "$1/." "$2/src"
    # The configuration Debian 12 ships (debian/patches: threading; the library is used from
    # several threads) — MBEDTLS_THREADING_PTHREAD on top of winpthreads.
    cfg=$2/src/include/mbedtls/config.h
    for opt in MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD MBEDTLS_DEPRECATED_WARNING; do
        python3 "$2/src/scripts/config.py" -f "$cfg" set "$opt"
    done
    cmake_cross "$2/src" "$2/b" -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
        -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF -DGEN_FILES=OFF -DMBEDTLS_FATAL_WARNINGS=OFF
}

build_libxml2() {
    # Minimal like the compatibility job's; no iconv on Windows (libonshi converts CP932
    # itself and hands libxml2 UTF-8); Win32 threads.
    # LIBXML_STATIC: its functions are not marked dllexport, so libonshi's DLL does not
    # export them.
    cmake_cross "$1" "$2" -DCMAKE_C_FLAGS=-DLIBXML_STATIC -DLIBXML2_WITH_PYTHON=OFF -DLIBXML2_WITH_ICU=OFF \
        -DLIBXML2_WITH_LZMA=OFF -DLIBXML2_WITH_ZLIB=OFF -DLIBXML2_WITH_READLINE=OFF \
        -DLIBXML2_WITH_HISTORY=OFF -DLIBXML2_WITH_PROGRAMS=OFF -DLIBXML2_WITH_TESTS=OFF \
        -DLIBXML2_WITH_ICONV=OFF -DLIBXML2_WITH_HTTP=OFF -DLIBXML2_WITH_FTP=OFF \
        -DLIBXML2_WITH_DEBUG=OFF -DLIBXML2_WITH_MODULES=OFF -DLIBXML2_WITH_LZMA=OFF
}

build_sqlite3() {
    # Debian's source is SQLite's full tree: the amalgamation is generated on the build
    # machine (tclsh), then compiled for Windows (the Win32 VFS opens UTF-8 names as UTF-16).
    (cd "$2" && "$1/configure" --disable-tcl >/dev/null && make sqlite3.c)
    $CC -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_SECURE_DELETE -DSQLITE_ENABLE_UNLOCK_NOTIFY \
        -DSQLITE_OMIT_LOAD_EXTENSION -c "$2/sqlite3.c" -o "$2/sqlite3.o"
    rm -f "$PREFIX/lib/libsqlite3.a"
    $AR rcs "$PREFIX/lib/libsqlite3.a" "$2/sqlite3.o"
    cp "$2/sqlite3.h" "$PREFIX/include/"
}

build_libzip() {
    # Store and deflate only (the bulk results use nothing else); no encryption libraries.
    cmake_cross "$1" "$2" -DENABLE_COMMONCRYPTO=OFF -DENABLE_GNUTLS=OFF -DENABLE_MBEDTLS=OFF \
        -DENABLE_OPENSSL=OFF -DENABLE_WINDOWS_CRYPTO=OFF -DENABLE_BZIP2=OFF -DENABLE_LZMA=OFF \
        -DENABLE_ZSTD=OFF -DBUILD_TOOLS=OFF -DBUILD_REGRESS=OFF -DBUILD_EXAMPLES=OFF \
        -DBUILD_DOC=OFF -DZLIB_INCLUDE_DIR="$PREFIX/include" -DZLIB_LIBRARY="$PREFIX/lib/libz.a"
}

build_cjson() {
    # One file; its symbols stay hidden (CJSON_HIDE_SYMBOLS) so the DLL exports only onshi_*.
    $CC -O2 -DCJSON_HIDE_SYMBOLS -c "$1/cJSON.c" -o "$2/cJSON.o"
    rm -f "$PREFIX/lib/libcjson.a"
    $AR rcs "$PREFIX/lib/libcjson.a" "$2/cJSON.o"
    mkdir -p "$PREFIX/include/cjson"
    cp "$1/cJSON.h" "$PREFIX/include/cjson/"
}

build_http_parser() {
    $CC -O2 -DHTTP_PARSER_STRICT=0 -c "$1/http_parser.c" -I"$1" -o "$2/http_parser.o"
    rm -f "$PREFIX/lib/libhttp_parser.a"
    $AR rcs "$PREFIX/lib/libhttp_parser.a" "$2/http_parser.o"
    cp "$1/http_parser.h" "$PREFIX/include/"
}

build_cmocka() {
    cmake_cross "$1" "$2" -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF \
        -DWITH_CMOCKERY_SUPPORT=OFF -DPICKY_DEVELOPER=OFF
}

# ensure SOURCEPKG FUNCTION [RECIPE]: build the newest version of SOURCEPKG in the lists
# unless built with this recipe (RECIPE: bump when that build_* function changes)
ensure() {
    pkg=$1 fn=$2 own=${3:-1}
    ver=$(debsrc_versions "$pkg" | sort -V | tail -n 1)
    stamp=$PREFIX/.built-$pkg
    if [ -z "$ver" ]; then
        [ -f "$stamp" ] || die "no source package $pkg in $DEBSRC_SUITES (and nothing cached)"
        log "$pkg: not in the lists; using the cached build ($(cat "$stamp"))"
        return 0
    fi
    key="$ver recipe=$RECIPE"
    [ "$own" = 1 ] || key="$key.$own"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
        log "$pkg $ver ($ARCH): cached"
        return 0
    fi
    dir=$(debsrc_fetch "$pkg" "$ver")
    b=$CACHE/build/$ARCH-$pkg
    rm -rf "$b"
    mkdir -p "$b"
    log "building $pkg $ver for $ARCH"
    t0=$(date +%s)
    if ! "$fn" "$dir" "$b" >"$b.log" 2>&1; then
        tail -n 30 "$b.log" >&2
        die "building $pkg $ver for $ARCH failed (log: $b.log)"
    fi
    rm -rf "$b"
    echo "$key" >"$stamp"
    log "$pkg $ver ($ARCH): built in $(( $(date +%s) - t0 )) s"
}

ensure zlib build_zlib
ensure mbedtls build_mbedtls
ensure libxml2 build_libxml2 2
ensure sqlite3 build_sqlite3
ensure libzip build_libzip
ensure cjson build_cjson
ensure http-parser build_http_parser
ensure cmocka build_cmocka
echo "WIN_PREFIX=$PREFIX"
