#!/usr/bin/env python3
"""The build enforces the layers (docs/architecture.md, "Layers and what each owns").

Reads the layer table of docs/architecture.md (the rows between the markers
<!-- layer-table --> and <!-- /layer-table -->) and checks every file of src/:

  - an include "X/..." of another folder is allowed only when X is in the row's
    "may include" column (a folder includes its own headers freely);
  - a third-party library (its headers or its functions) is used only in a folder whose
    "third-party libraries" column names it; "lib (file.c, other.c)" limits it to those files;
  - every folder of src/ has a row, and the table has no cycle.

Prints one line per violation (file:line: what, and which row to change) and exits 1.
Usage: check-layers.py [REPO_ROOT]
"""
import os
import re
import sys

# Headers and function prefixes of each third-party library (names as the table writes them).
LIBS = {
    "sqlite3": (r"sqlite3\.h", r"\bsqlite3_[a-z]"),
    "libxml2": (r"libxml/", r"\bxml[A-Z][A-Za-z]*\s*\("),
    "cjson": (r"cjson/|cJSON\.h", r"\bcJSON_[A-Za-z]"),
    "mbedtls": (r"mbedtls/|psa/", r"\b(mbedtls|psa)_[a-z]"),
    "pcsclite": (r"winscard\.h|PCSC/", r"\bSCard[A-Z][A-Za-z]*\s*\("),
    "libzip": (r"zip\.h", r"(?<![A-Za-z0-9_])zip_(open|fopen|fread|fclose|close|discard|"
                          r"source|stat|get_num|error|name_locate|file_)"),
    "http-parser": (r"http_parser\.h", r"\bhttp_parser_[a-z]"),
}


def strip_comments_and_strings(text):
    """Blank out comments and string/char literals, keeping line numbers."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + " " * max(0, min(j, n) - i - 1) + (c if j < n else ""))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_table(doc):
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"<!-- layer-table -->(.*?)<!-- /layer-table -->", text, re.S)
    if not m:
        sys.exit(f"{doc}: no <!-- layer-table --> ... <!-- /layer-table --> block")
    rows = {}
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        folder = cells[0].strip("`/ ")
        deps = {d.strip("`/ ") for d in re.split(r"[,\s]+", cells[1]) if d.strip("`/ —-")}
        libs = {}
        for item in re.findall(r"([A-Za-z0-9_-]+)(?:\s*\(([^)]*)\))?", cells[2]):
            name, files = item
            if name in LIBS:
                libs[name] = {f.strip() for f in files.split(",") if f.strip()} or None
        rows[folder] = (deps, libs)
    return rows


def has_cycle(rows):
    state = {}

    def visit(f, path):
        if state.get(f) == 1:
            return path + [f]
        if state.get(f) == 2:
            return None
        state[f] = 1
        for d in rows.get(f, (set(), {}))[0]:
            c = visit(d, path + [f])
            if c:
                return c
        state[f] = 2
        return None

    for f in rows:
        c = visit(f, [])
        if c:
            return c
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    doc = os.path.join(root, "docs", "architecture.md")
    rows = read_table(doc)
    bad = []
    cycle = has_cycle(rows)
    if cycle:
        bad.append(f"{doc}: the layer table has a cycle: {' -> '.join(cycle)}")
    src = os.path.join(root, "src")
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        if folder not in rows:
            bad.append(f"src/{folder}/: no row in the layer table of docs/architecture.md")
            continue
        deps, libs = rows[folder]
        for name in sorted(os.listdir(path)):
            if not re.search(r"\.(c|h|def)$", name):
                continue
            rel = f"src/{folder}/{name}"
            raw = open(os.path.join(path, name), encoding="utf-8").read()
            code = strip_comments_and_strings(raw)
            for no, line in enumerate(raw.splitlines(), 1):
                m = re.match(r'\s*#\s*include\s*"([a-z0-9_]+)/', line)
                if m and m.group(1) != folder and m.group(1) not in deps:
                    bad.append(f"{rel}:{no}: includes {m.group(1)}/, which the row of "
                               f"{folder}/ does not allow (docs/architecture.md layer table)")
                m = re.match(r"\s*#\s*include\s*<([^>]+)>", line)
                if m:
                    for lib, (hdr, _) in LIBS.items():
                        if re.match(hdr, m.group(1)) and not allowed(libs, lib, name):
                            bad.append(f"{rel}:{no}: includes <{m.group(1)}> of {lib}, which "
                                       f"{folder}/ does not own (docs/architecture.md)")
            for lib, (_, sym) in LIBS.items():
                if allowed(libs, lib, name):
                    continue
                for no, line in enumerate(code.splitlines(), 1):
                    m = re.search(sym, line)
                    if m and not line.lstrip().startswith("#"):
                        bad.append(f"{rel}:{no}: calls {lib} ({m.group(0).strip()}), which "
                                   f"{folder}/ does not own (docs/architecture.md)")
                        break
    for b in bad:
        print(b)
    if bad:
        print(f"{len(bad)} layer violation(s)")
        return 1
    print(f"layers ok: {len(rows)} folders, every include and third-party call where the table "
          "allows it")
    return 0


def allowed(libs, lib, filename):
    if lib not in libs:
        return False
    files = libs[lib]
    return files is None or filename in files


if __name__ == "__main__":
    sys.exit(main())
