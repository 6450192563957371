#!/bin/sh
# The README's Java example as written, run from source (java Desk.java) against onshi.jar and
# onshi-sim (inside bindings/with-sim.sh). SPDX-License-Identifier: Apache-2.0
set -eu
here=$(cd "$(dirname "$0")" && pwd)
d=$ONSHI_TEST_TMP/java-example
mkdir -p "$d"
sed -n '/^```java$/,/^```$/p' "$here/README.md" | sed '1d;$d' >"$d/Desk.java"
[ -s "$d/Desk.java" ] || { echo "no java example in bindings/java/README.md"; exit 1; }
sh "$here/../run-example.sh" java -cp "$CP" "$d/Desk.java"
