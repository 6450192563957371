#!/bin/sh
# Install the Debian packages of tools/packages.txt that are missing. Idempotent and quiet
# when everything is present. Needs root (or sudo) only when something is missing.
set -eu
here=$(dirname "$0")
pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | awk '{print $1}')
missing=""
for p in $pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages:$missing (and apt-get is not available: install them by hand)" >&2
    exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run as root:  apt-get install -y$missing" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Install straight away when the package lists are there; otherwise (a fresh machine) or
# when an install fails on stale lists, update once and try again.
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >/tmp/onshi-deps.log 2>&1; then
    $SUDO apt-get update -q >>/tmp/onshi-deps.log 2>&1 || true
    if ! $SUDO apt-get install -y -q --no-install-recommends $missing >>/tmp/onshi-deps.log 2>&1; then
        tail -n 20 /tmp/onshi-deps.log >&2
        echo "deps: apt-get install failed (log: /tmp/onshi-deps.log)" >&2
        exit 1
    fi
fi
echo "deps: done"
