#!/usr/bin/env python3
"""docs/errors.md against the header and the library (issue 16).

Fails when a status #defined in include/onshi.h has no section in docs/errors.md, when the
catalogue lists a code the header does not define, when a section lacks the staff or vendor
guidance in either language, or when its message differs from what the library returns in
Japanese and in English.
Usage: check-errors-doc.py LIBONSHI.so [ROOT]
"""
import ctypes
import re
import sys

lib_path = sys.argv[1]
root = sys.argv[2] if len(sys.argv) > 2 else "."
lib = ctypes.CDLL(lib_path)
fails = []

header = {}
opt_lang = None
for line in open(f"{root}/include/onshi.h", encoding="utf-8"):
    m = re.match(r"#define (ONSHI_(?:E_\w+|OK))\s+(-?\d+)\b", line)
    if m:
        header[m.group(1)] = int(m.group(2))
    m = re.match(r"#define ONSHI_OPT_LANG\s+(\d+)\b", line)
    if m:
        opt_lang = int(m.group(1))

doc = open(f"{root}/docs/errors.md", encoding="utf-8").read()
sections = {}
for m in re.finditer(r"^### (-?\d+) `(ONSHI_\w+)`\n(.*?)(?=^### |^## |\Z)", doc, re.M | re.S):
    sections[m.group(2)] = (int(m.group(1)), m.group(3))


def row(body, label):
    m = re.search(r"^\| " + re.escape(label) + r" \| (.*?) \| (.*?) \|$", body, re.M)
    return (m.group(1), m.group(2)) if m else None


# The library's text in each language: onshi_status_label(ctx, st) with a context whose
# lang is set (ABI 1.0), else onshi_status_str / onshi_status_str_ja (0.x).
def texts():
    if hasattr(lib, "onshi_status_label"):
        lib.onshi_status_label.restype = ctypes.c_char_p
        lib.onshi_status_label.argtypes = [ctypes.c_void_p, ctypes.c_int]
        ctx = {}
        for lang in ("ja", "en"):
            c = ctypes.c_void_p()
            if lib.onshi_ctx_new(ctypes.byref(c)) != 0:
                sys.exit("onshi_ctx_new failed")
            lib.onshi_ctx_set_str.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p]
            lib.onshi_ctx_set_str(c, opt_lang, lang.encode())
            ctx[lang] = c
        return lambda st, lang: lib.onshi_status_label(ctx[lang], st)
    lib.onshi_status_str.restype = ctypes.c_char_p
    lib.onshi_status_str_ja.restype = ctypes.c_char_p
    return lambda st, lang: (lib.onshi_status_str_ja if lang == "ja" else lib.onshi_status_str)(st)


text = texts()
for name, code in sorted(header.items(), key=lambda kv: -kv[1]):
    if name not in sections:
        fails.append(f"{name} ({code}) is not in docs/errors.md")
        continue
    dcode, body = sections[name]
    if dcode != code:
        fails.append(f"{name}: docs/errors.md says {dcode}, the header {code}")
    msg = row(body, "メッセージ / message")
    want = (text(code, "ja"), text(code, "en"))
    want = tuple(w.decode("utf-8") if w else None for w in want)
    if msg is None:
        fails.append(f"{name}: no message row")
    elif msg != want:
        fails.append(f"{name}: docs say {msg}, the library returns {want}")
    for label in ("受付スタッフ / reception staff", "ベンダー / vendor"):
        r = row(body, label)
        if r is None or not r[0].strip() or not r[1].strip():
            fails.append(f"{name}: no '{label}' guidance in both languages")
for name in sections:
    if name not in header:
        fails.append(f"{name} is in docs/errors.md but not defined in include/onshi.h")

for f in fails:
    print("FAIL:", f)
print(f"{len(header)} statuses, {len(sections)} sections, {len(fails)} problems")
sys.exit(1 if fails else 0)
