# Debian source packages through a PRIVATE apt configuration (sourced by tools/compat-deps.sh
# and tools/win-deps.sh; docs/build.md). Not a program: `. tools/debsrc.sh` after setting
#
#   DEBSRC_LOG     prefix of messages (e.g. "compat-deps")
#   DEBSRC_CACHE   cache folder outside the repository (apt state goes to DEBSRC_CACHE/apt,
#                  extracted sources to DEBSRC_CACHE/src)
#   DEBSRC_SUITES  Debian suites whose deb-src entries are used (e.g. "trixie sid")
#   DEBSRC_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#
# then `debsrc_setup` once (it sets DEBSRC_OPTS, the apt-get/apt-cache options of the private
# configuration), then debsrc_versions / debsrc_fetch. The machine's own apt sources, lists
# and caches stay untouched: a generated sources.list with deb-src entries signed by the Debian
# archive keyring, and own lists and caches under DEBSRC_CACHE/apt. The lists are refreshed at
# most once a day (offline, what is cached is used).

DEBSRC_MIRROR=${DEBSRC_MIRROR:-http://deb.debian.org/debian}
DEBSRC_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

debsrc_log() { echo "$DEBSRC_LOG: $*" >&2; }
debsrc_die() { debsrc_log "$*"; exit 1; }

# debsrc_cache DEFAULT_NAME → prints the cache folder: $1 (env override already applied by the
# caller when non-empty), else /var/cache/NAME when writable, else ~/.cache/NAME. Refuses a
# folder inside the repository (a build never writes into the source tree); creates it 0700.
debsrc_cache() {
    override=$1 name=$2
    if [ -n "$override" ]; then
        c=$override
    elif mkdir -p "/var/cache/$name" 2>/dev/null && [ -w "/var/cache/$name" ]; then
        c=/var/cache/$name
    else
        c=${XDG_CACHE_HOME:-$HOME/.cache}/$name
    fi
    case "$c" in /*) ;; *) c=$(pwd)/$c ;; esac
    repo=$(cd "$(dirname "$0")/.." && pwd -P)
    mkdir -p "$c"
    case "$(cd "$c" && pwd -P)/" in
        "$repo"/*) debsrc_die "cache folder $c is inside the repository; choose a folder outside it" ;;
    esac
    chmod 0700 "$c"
    echo "$c"
}

# debsrc_lock: one run at a time per cache (CI and a developer may share it).
debsrc_lock() {
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$DEBSRC_CACHE/lock"
        flock 9
    fi
}

# debsrc_setup → sets DEBSRC_OPTS (one string, word-split by the callers: the
# paths come from DEBSRC_CACHE, which debsrc_cache made absolute and which must not contain
# blanks) and refreshes the private lists when older than a day.
debsrc_setup() {
    [ -r "$DEBSRC_KEYRING" ] || debsrc_die "$DEBSRC_KEYRING is missing (package debian-archive-keyring)"
    case "$DEBSRC_CACHE" in *[[:space:]]*) debsrc_die "cache folder '$DEBSRC_CACHE' contains blanks" ;; esac
    aptdir=$DEBSRC_CACHE/apt
    mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$aptdir/etc"
    : >"$aptdir/etc/sources.list.new"
    for s in $DEBSRC_SUITES; do
        echo "deb-src [signed-by=$DEBSRC_KEYRING] $DEBSRC_MIRROR $s main" >>"$aptdir/etc/sources.list.new"
    done
    # A change of suites refreshes the lists at once.
    if ! cmp -s "$aptdir/etc/sources.list.new" "$aptdir/etc/sources.list" 2>/dev/null; then
        rm -f "$aptdir/updated"
    fi
    mv "$aptdir/etc/sources.list.new" "$aptdir/etc/sources.list"
    # Preferences and apt.conf.d of the machine are irrelevant for source lookups; only the
    # lists, caches and sources are redirected, so nothing of the system's apt state is written.
    DEBSRC_OPTS="-o Dir::Etc::SourceList=$aptdir/etc/sources.list -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists=$aptdir/lists -o Dir::Cache=$aptdir/cache
        -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Get::Only-Source=true -q"
    stamp=$aptdir/updated
    fresh=$(find "$stamp" -mmin -1440 2>/dev/null || true)
    if [ -z "$fresh" ]; then
        debsrc_log "refreshing the private source lists ($DEBSRC_SUITES)"
        # shellcheck disable=SC2086
        if apt-get $DEBSRC_OPTS update >"$aptdir/update.log" 2>&1; then
            touch "$stamp"
        else
            debsrc_log "apt-get update failed (log: $aptdir/update.log); trying what is cached"
        fi
    fi
}

# debsrc_versions NAME → every Debian version of source package NAME in the private lists
debsrc_versions() {
    # shellcheck disable=SC2086
    apt-cache $DEBSRC_OPTS showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p'
}

# debsrc_fetch NAME DEBVERSION → prints the extracted source folder (DEBSRC_CACHE/src/NAME_VER/*),
# fetched and verified by apt-get source once, reused after that.
debsrc_fetch() {
    pkg=$1 dver=$2
    src=$DEBSRC_CACHE/src/${pkg}_$dver
    if [ ! -f "$src/.extracted" ]; then
        rm -rf "$src"
        mkdir -p "$src"
        debsrc_log "apt-get source $pkg=$dver"
        # shellcheck disable=SC2086
        (cd "$src" && apt-get $DEBSRC_OPTS source "$pkg=$dver") >"$src.log" 2>&1 ||
            { tail -n 20 "$src.log" >&2; debsrc_die "apt-get source $pkg=$dver failed"; }
        touch "$src/.extracted"
    fi
    dir=$(find "$src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    [ -n "$dir" ] || debsrc_die "no source folder in $src"
    echo "$dir"
}
