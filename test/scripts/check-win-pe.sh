#!/bin/sh
# Windows programs and DLLs of one architecture: the right PE format (pei-i386 = PE32 for x86,
# pei-x86-64 = PE32+ for x64) and imports from Windows' own DLLs only (plus libonshi's DLL for
# programs linked against it): nothing else needs to be installed next to them. The DLL also
# carries its version resource.
# Usage: check-win-pe.sh OBJDUMP FORMAT ONSHI_DLL_NAME FILE...
set -eu
objdump=$1 format=$2 onshi=$3
shift 3
allowed="advapi32.dll bcrypt.dll kernel32.dll msvcrt.dll winscard.dll ws2_32.dll $(echo "$onshi" | tr 'A-Z' 'a-z')"
bad=0
for f in "$@"; do
    fmt=$("$objdump" -f "$f" | sed -n 's/.*file format //p')
    if [ "$fmt" != "$format" ]; then
        echo "$f: format $fmt, expected $format"
        bad=1
    fi
    for d in $("$objdump" -p "$f" | sed -n 's/^[[:space:]]*DLL Name: //p' | tr 'A-Z' 'a-z'); do
        case " $allowed " in
            *" $d "*) ;;
            *) echo "$f imports $d (not a system DLL)"; bad=1 ;;
        esac
    done
    case "$f" in
        *.dll)
            "$objdump" -h "$f" | grep -q '\.rsrc' || { echo "$f: no version resource"; bad=1; } ;;
    esac
done
[ $bad -eq 0 ] && echo "$# files: $format, system DLLs only"
exit $bad
