#!/bin/sh
# Files the CLI writes (here: an encoded request, -o) are 0600 whatever the umask (022, 000),
# and a symbolic link planted at the output name is not followed.
set -eu
onshi=$1; data=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
"$onshi" decode "$data/OQSsiquc01req_202501150001.xml" --json >"$T/req.json"
for m in 022 000; do
    (umask $m; "$onshi" encode OQSsiquc01req --json "$T/req.json" -o "$T/out-$m.xml" >/dev/null)
    mode=$(stat -c %a "$T/out-$m.xml")
    [ "$mode" = 600 ] || { echo "umask $m: output mode $mode, not 600"; exit 1; }
done
echo secret >"$T/target"
ln -s "$T/target" "$T/link.xml"
if "$onshi" encode OQSsiquc01req --json "$T/req.json" -o "$T/link.xml" >/dev/null 2>&1; then
    echo "the output went through a symbolic link"; exit 1
fi
[ "$(cat "$T/target")" = secret ] || { echo "the link's target was overwritten"; exit 1; }
echo "outputs 0600 under umask 022 and 000; links not followed"
