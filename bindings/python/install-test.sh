#!/bin/sh
# `pip install bindings/python` into a fresh virtual environment, without network and
# without setuptools (the package builds with its in-tree backend), then the README's example
# as written, from the installed package, against onshi-sim (run inside bindings/with-sim.sh).
# SPDX-License-Identifier: Apache-2.0
set -eu
py=${PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
v=$ONSHI_TEST_TMP/venv
"$py" -m venv "$v"
"$v/bin/pip" install --no-index --no-cache-dir --quiet "$here"
"$v/bin/python" -c 'import onshi, os; assert os.path.dirname(onshi.__file__).startswith(os.environ["ONSHI_TEST_TMP"]), onshi.__file__'
sed -n '/^```python$/,/^```$/p' "$here/README.md" | sed '1d;$d' >"$ONSHI_TEST_TMP/desk.py"
[ -s "$ONSHI_TEST_TMP/desk.py" ] || { echo "no python example in bindings/python/README.md"; exit 1; }
cd "$ONSHI_TEST_TMP"
sh "$here/../run-example.sh" "$v/bin/python" desk.py
