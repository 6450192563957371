#!/bin/sh
# The README's C# example as written: compiled against Onshi.dll, run under Mono against
# onshi-sim (inside bindings/with-sim.sh). SPDX-License-Identifier: Apache-2.0
set -eu
here=$(cd "$(dirname "$0")" && pwd)
d=$ONSHI_TEST_TMP/dotnet-example
mkdir -p "$d"
sed -n '/^```csharp$/,/^```$/p' "$here/README.md" | sed '1d;$d' >"$d/Desk.cs"
[ -s "$d/Desk.cs" ] || { echo "no csharp example in bindings/dotnet/README.md"; exit 1; }
cp "$DOTNET_B/Onshi.dll" "$DOTNET_B/Onshi.dll.config" "$d/"
"$MCS" -nologo -out:"$d/Desk.exe" -r:"$d/Onshi.dll" "$d/Desk.cs"
sh "$here/../run-example.sh" mono "$d/Desk.exe"
