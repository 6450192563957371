#!/usr/bin/env python3
"""Write the constants of the language bindings from the public header.

One generator, not three hand-kept copies: every integer `#define ONSHI_*` of include/onshi.h
(the values; checked against src/core/status.def and src/core/options.def by the status and
docs tests, and cross-checked here) goes into

    bindings/python/onshi/_constants.py     IntEnum/IntFlag classes + C_NAMES
    bindings/dotnet/Onshi/Constants.g.cs    enums + static classes + Constants.CNames
    bindings/java/src/org/libonshi/*.java   final classes of int constants + Constants.C_NAMES

grouped by prefix (GROUPS below). A define that fits no group stops the generator with a
message naming it, so a new family of constants is never dropped silently; each binding's
tests compare its C_NAMES with the header it is tested against. The native declarations of
every ONSHI_API function of include/onshi.h and include/onshi_transport.h (the raw transport)
go into _signatures.py, Native.g.cs and NativeLib.java.

    tools/gen-bindings.py            rewrite the generated files
    tools/gen-bindings.py --check    fail when a generated file is not up to date

SPDX-License-Identifier: Apache-2.0
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

# (C name prefix or exact name, group, kind, doc). First match wins: exact names and longer
# prefixes come before shorter ones. kind: enum, flags (bit mask) or consts (sizes, version).
GROUPS = [
    ("OK", "Status", "enum", "Status codes: 0 success, negative errors banded per layer."),
    ("E_", "Status", "enum", None),
    ("BAND_UNKNOWN", None, "skip", None),  # an alias of E_INVALID_ARG, not a band
    ("BAND_", "Band", "enum", "Layer bands of the status codes (status_band)."),
    ("MSG_", "MessageType", "enum", "Message types (ONSHI_MSG_*)."),
    ("OPTTYPE_", "OptionType", "enum", "Value types of options."),
    ("OPT_", "Option", "enum", "Option ids (docs/options.md)."),
    ("LOG_", "LogLevel", "enum", "Log levels (ONSHI_OPT_LOG_LEVEL)."),
    ("CARD_DRIVER_", "CardDriver", "enum", "Card drivers (ONSHI_OPT_CARD_DRIVER)."),
    ("CARD_SHARE_", "CardShareMode", "enum", "Card share modes (ONSHI_OPT_CARD_SHARE_MODE)."),
    ("CARD_EVENT_", "CardEvent", "enum", "Card events."),
    ("ENC_", "RequestEncoding", "enum", "Encodings of written requests."),
    ("TRANSPORT_", "Transport", "enum", "Transports (ONSHI_OPT_TRANSPORT)."),
    ("FOREIGN_", "ForeignKind", "enum", "Kinds of foreign error detail."),
    ("HASH_", "HashAlgorithm", "enum", "Hash algorithms of card signatures."),
    ("KEY_", "KeyType", "enum", "Public key types of certificates."),
    ("KU_", "KeyUsage", "flags", "X.509 key usage bits."),
    ("G_", "GroupKind", "enum", "Group kinds of the message model."),
    ("F_", "Field", "enum", "Field ids of the message model (docs/codec.md)."),
    ("WARN_", "WarningKind", "enum", "Kinds of decode warnings."),
    ("DIAG_OK", "DiagOutcome", "enum", "Outcome of a diagnosis check."),
    ("DIAG_WARN", "DiagOutcome", "enum", None),
    ("DIAG_FAIL", "DiagOutcome", "enum", None),
    ("DIAG_SKIPPED", "DiagOutcome", "enum", None),
    ("DIAG_", "DiagCheck", "enum", "Checks of the transport diagnosis."),
    ("FACE_WATCH_", "FaceWatchFlags", "flags", "Flags of the face-folder watcher."),
    ("FILE_STATE_", "FileState", "enum", "States of a file-exchange request."),
    ("PENDING_", "PendingFlags", "flags", "Flags of the pending-request listing (onshi_transport.h)."),
    ("REQ_", "RequestKind", "enum", "Kinds of workflow requests."),
    ("P_", "Param", "enum", "Parameters of workflow requests."),
    ("STAGE_", "Stage", "enum", "Stages reported to the progress callback."),
    ("CONSENT_", "Consent", "flags", "Consent items (bit mask)."),
    ("AUDIT_BEFORE", "AuditPhase", "enum", "Phase of an audit record."),
    ("AUDIT_AFTER", "AuditPhase", "enum", None),
    ("AUDIT_", "AuditAction", "enum", "Audited actions."),
    ("IDV_", "IdentityMethod", "enum", "Identity verification methods."),
    ("DISASTER_", "DisasterKind", "enum", "What a disaster-mode search asks for."),
    ("INFO_DRUG", "InfoKind", "enum", "Kinds of information requests."),
    ("INFO_CHECKUP", "InfoKind", "enum", None),
    ("INFO_", "FileCategory", "enum", "File categories of information requests."),
    ("BATCH_PHASE_", "BatchPhase", "enum", "Phases of a batch."),
    ("BATCH_ID_SIZE", "Sizes", "consts", None),
    ("BATCH_QUALIFICATION", "BatchKind", "enum", "Kinds of batch."),
    ("BATCH_REFNUM", "BatchKind", "enum", None),
    ("BATCH_HOMECARE", "BatchKind", "enum", None),
    ("BATCH_ONLINE", "BatchKind", "enum", None),
    ("BATCH_WELFARE", "BatchKind", "enum", None),
    ("BATCH_", "BatchOutcome", "enum", "Outcome of one batch entry."),
    ("LIMIT_SCOPE_", "LimitScope", "enum", "Scopes of the limit-amount calculator."),
    ("LIMIT_F_", "LimitFlags", "flags", "Flags of the limit-amount calculator."),
    ("PIN_BUF_SIZE", "Sizes", "consts", "Buffer sizes of the C API."),
    ("FILE_ID_SIZE", "Sizes", "consts", None),
    ("CALLBACKS_VERSION", "HeaderVersion", "consts", "Version of the header the binding was generated from."),
    ("VERSION_MAJOR", "HeaderVersion", "consts", None),
    ("VERSION_MINOR", "HeaderVersion", "consts", None),
    ("VERSION_PATCH", "HeaderVersion", "consts", None),
    ("VERSION_NUM", None, "skip", None),  # an expression of the three above
]

DEFINE_RE = re.compile(r"^#define\s+ONSHI_([A-Z0-9_]+)\s+(.*?)\s*(?:/\*.*)?$")
INT_RE = re.compile(r"^\(?\s*(-?\s*(?:0x[0-9a-fA-F]+|[0-9]+))\s*\)?$")


# Member names drop the family prefix: Status.NOMEM, DiagOutcome.OK, BatchKind.REFNUM.
STRIP = {"Status": "E_", "DiagOutcome": "DIAG_", "AuditPhase": "AUDIT_", "InfoKind": "INFO_",
         "BatchKind": "BATCH_"}


def group_of(rest):
    for key, group, kind, _ in GROUPS:
        if rest == key or (key.endswith("_") and rest.startswith(key)):
            if kind == "skip":
                return None, None, None
            if kind == "consts":
                member = rest
            elif group in STRIP:
                member = rest[len(STRIP[group]):] if rest.startswith(STRIP[group]) else rest
            else:
                member = rest[len(key):]
            return group, kind, member
    raise SystemExit("gen-bindings: ONSHI_%s fits no group: add it to GROUPS in tools/gen-bindings.py"
                     % rest)


def read_header(path, need_version=True):
    """[(C name, group, kind, member, value)] in header order, plus the version string."""
    out, version = [], None
    raw = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i].strip()
        i += 1
        m = DEFINE_RE.match(line)
        if not m:
            continue
        rest, value = m.group(1), m.group(2).strip()
        if rest in ("H", "API", "CALL", "CALLBACKS_INIT", "TRANSPORT_H"):
            continue
        if rest == "VERSION_STRING":
            version = value.strip('"')
            continue
        im = INT_RE.match(value)
        if im:
            v = int(im.group(1).replace(" ", ""), 0)
        elif value.startswith("ONSHI_") and value[6:] in raw:
            v = raw[value[6:]]
        else:
            group, _, _ = group_of(rest)
            if group is None:
                continue
            raise SystemExit("gen-bindings: ONSHI_%s = %r is not an integer" % (rest, value))
        if rest in raw and raw[rest] != v:
            raise SystemExit("gen-bindings: ONSHI_%s defined twice" % rest)
        raw[rest] = v
        group, kind, member = group_of(rest)
        if group is None:
            continue
        out.append(("ONSHI_" + rest, group, kind, member, v))
    if version is None and need_version:
        raise SystemExit("gen-bindings: no ONSHI_VERSION_STRING in " + path)
    return out, version


def cross_check(consts):
    """The .def tables the header is checked against name the same statuses and options."""
    names = {c[0] for c in consts}
    status_def = os.path.join(ROOT, "src/core/status.def")
    with open(status_def, encoding="utf-8") as f:
        rows = re.findall(r"^X\((ONSHI_[A-Z0-9_]+)", f.read(), re.M)
    header_status = {c[0] for c in consts if c[1] == "Status"}
    if set(rows) != header_status:
        raise SystemExit("gen-bindings: header and src/core/status.def disagree: %s"
                         % sorted(set(rows) ^ header_status))
    opt_def = os.path.join(ROOT, "src/core/options.def")
    with open(opt_def, encoding="utf-8") as f:
        opts = re.findall(r"^OPT\((ONSHI_OPT_[A-Z0-9_]+)", f.read(), re.M)
    missing = [o for o in opts if o not in names]
    if missing:
        raise SystemExit("gen-bindings: options of src/core/options.def missing in the header: %s"
                         % missing)


def groups_in_order(consts):
    order, seen = [], {}
    for name, group, kind, member, v in consts:
        if group not in seen:
            seen[group] = (kind, [])
            order.append(group)
        seen[group][1].append((name, member, v))
    doc = {}
    for _, group, _, d in GROUPS:
        if group and d and group not in doc:
            doc[group] = d
    return [(g, seen[g][0], doc.get(g, g), seen[g][1]) for g in order]


def pascal(member):
    parts = member.lower().split("_")
    s = "".join(p[:1].upper() + p[1:] for p in parts)
    return "_" + s if s[:1].isdigit() else s


HEAD = "Generated by tools/gen-bindings.py from include/onshi.h: do not edit."
HEAD_NATIVE = ("Generated by tools/gen-bindings.py from include/onshi.h and "
               "include/onshi_transport.h: do not edit.")


def gen_python(groups, version):
    o = ['"""Constants of include/onshi.h (%s)."""' % HEAD, "# SPDX-License-Identifier: Apache-2.0",
         "import enum", "", 'HEADER_VERSION_STRING = "%s"' % version, ""]
    for g, kind, doc, members in groups:
        if kind == "consts":
            o.append("# %s" % doc)
            for name, member, v in members:
                o.append("%s = %d" % (member, v))
            o.append("")
            continue
        base = "enum.IntFlag" if kind == "flags" else "enum.IntEnum"
        o += ["", "class %s(%s):" % (g, base), '    """%s"""' % doc]
        for name, member, v in members:
            o.append("    %s = %d" % (member if not member[:1].isdigit() else "_" + member, v))
        o.append("")
    o += ["", "# The C names without their ONSHI_ prefix, as module constants (E_NOMEM, OPT_LANG...)."]
    for g, kind, doc, members in groups:
        if kind == "consts":
            continue
        for name, member, v in members:
            o.append("%s = %s.%s" % (name[6:], g, member if not member[:1].isdigit() else "_" + member))
    o += ["", "# Every integer constant of the header by its C name (the binding tests compare it",
          "# with the header they run against).", "C_NAMES = {"]
    for g, kind, doc, members in groups:
        for name, member, v in members:
            o.append('    "%s": %d,' % (name, v))
    o += ["}", ""]
    return "\n".join(o)


def gen_csharp(groups, version):
    o = ["// %s" % HEAD, "// SPDX-License-Identifier: Apache-2.0",
         "using System;", "using System.Collections.Generic;", "", "namespace Onshi", "{"]
    for g, kind, doc, members in groups:
        o.append("    /// <summary>%s</summary>" % doc)
        if kind == "consts":
            o.append("    public static class %s" % g)
            o.append("    {")
            for name, member, v in members:
                o.append("        /// <summary>%s</summary>" % name)
                o.append("        public const int %s = %d;" % (pascal(member), v))
            if g == "HeaderVersion":
                o.append('        /// <summary>ONSHI_VERSION_STRING</summary>')
                o.append('        public const string String = "%s";' % version)
            o.append("    }")
            o.append("")
            continue
        if kind == "flags":
            o.append("    [Flags]")
        o.append("    public enum %s" % g)
        o.append("    {")
        for name, member, v in members:
            o.append("        /// <summary>%s</summary>" % name)
            o.append("        %s = %d," % (pascal(member), v))
        o.append("    }")
        o.append("")
    o.append("    /// <summary>Every integer constant of the header by its C name.</summary>")
    o.append("    public static class Constants")
    o.append("    {")
    o.append("        /// <summary>C name → value (the tests compare it with the header).</summary>")
    o.append("        public static readonly IReadOnlyDictionary<string, long> CNames =")
    o.append("            new Dictionary<string, long>")
    o.append("            {")
    for g, kind, doc, members in groups:
        for name, member, v in members:
            o.append('                { "%s", %d },' % (name, v))
    o.append("            };")
    o.append("    }")
    o.append("}")
    o.append("")
    return "\n".join(o)


def gen_java(groups, version):
    files = {}
    for g, kind, doc, members in groups:
        o = ["// %s" % HEAD, "// SPDX-License-Identifier: Apache-2.0", "package org.libonshi;", "",
             "/** %s */" % doc, "public final class %s {" % g, "    private %s() {}" % g, ""]
        for name, member, v in members:
            o.append("    /** %s */" % name)
            o.append("    public static final int %s = %d;" % (member if not member[:1].isdigit() else "_" + member, v))
        if g == "HeaderVersion":
            o.append("    /** ONSHI_VERSION_STRING */")
            o.append('    public static final String STRING = "%s";' % version)
        o += ["}", ""]
        files[g + ".java"] = "\n".join(o)
    o = ["// %s" % HEAD, "// SPDX-License-Identifier: Apache-2.0", "package org.libonshi;", "",
         "import java.util.Collections;", "import java.util.LinkedHashMap;", "import java.util.Map;", "",
         "/** Every integer constant of the header by its C name (the tests compare it with the header). */",
         "public final class Constants {", "    private Constants() {}", "",
         "    /** C name → value. */",
         "    public static final Map<String, Long> C_NAMES;", "", "    static {",
         "        Map<String, Long> m = new LinkedHashMap<>();"]
    for g, kind, doc, members in groups:
        for name, member, v in members:
            o.append('        m.put("%s", %dL);' % (name, v))
    o += ["        C_NAMES = Collections.unmodifiableMap(m);", "    }", "}", ""]
    files["Constants.java"] = "\n".join(o)
    return files


# ---- native declarations of every function of include/onshi.h and onshi_transport.h ----------------------------
# Owned opaque types (freed by the caller with their _free function); onshi_group is always
# borrowed.
OWNED = {"ctx": "Ctx", "msg": "Msg", "buf": "Buf", "card": "Card", "cert": "Cert",
         "request": "Request", "batch": "Batch", "bulk_reader": "BulkReader",
         "diag_report": "DiagReport", "face_watch": "FaceWatch", "changes": "Changes",
         "pending": "Pending", "file_result": "FileResult"}

PROTO_RE = re.compile(r"^ONSHI_API\s+(.*?)\s*ONSHI_CALL\s*(onshi_\w+)\s*\((.*?)\)\s*;", re.S)


def read_prototypes(path):
    """[(name, return type, [(param type, param name)])] of every ONSHI_API function."""
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    out = []
    text = "\n".join(l for l in text.split("\n") if not l.lstrip().startswith("#"))
    for chunk in re.findall(r"ONSHI_API[^;]*;", text):
        m = PROTO_RE.match(re.sub(r"\s+", " ", chunk))
        if not m:
            raise SystemExit("gen-bindings: cannot read prototype: " + chunk)
        ret, name, args = m.group(1).strip(), m.group(2), m.group(3).strip()
        params = []
        if args != "void":
            for a in args.split(","):
                am = re.match(r"(.*?)(\w+)$", a.strip())
                params.append((re.sub(r"\s+", " ", am.group(1).strip()).replace(" *", " *"),
                               am.group(2)))
        out.append((name, re.sub(r"\s+", " ", ret), params))
    return out


def _norm(t):
    return re.sub(r"\s*\*", " *", t).replace("* *", "**").strip()


def opaque(t):
    m = re.match(r"^(?:const )?onshi_(\w+) (\*+)$", _norm(t))
    return (m.group(1), len(m.group(2))) if m else (None, 0)


def py_type(t, ret=False):
    t = _norm(t)
    simple = {"int": "c_int", "int64_t": "c_int64", "size_t": "c_size_t", "void": "None",
              "const char *": "c_char_p", "char *": "c_char_p", "const void *": "c_char_p",
              "const unsigned char *": "c_void_p" if ret else "c_char_p",
              "const char **": "POINTER(c_char_p)", "int *": "POINTER(c_int)",
              "int64_t *": "POINTER(c_int64)", "size_t *": "POINTER(c_size_t)",
              "const unsigned char **": "POINTER(c_void_p)", "void *": "c_void_p",
              "onshi_face_watch_cb": "FACE_WATCH_CB"}
    if t in simple:
        return simple[t]
    kind, stars = opaque(t)
    if kind == "callbacks":
        return "POINTER(Callbacks)"
    if kind:
        return "c_void_p" if stars == 1 else "POINTER(c_void_p)"
    raise SystemExit("gen-bindings: no Python type for " + t)


def cs_type(t, fname, ret=False):
    t = _norm(t)
    simple = {"int": "int", "int64_t": "long", "size_t": "UIntPtr", "void": "void",
              "const char *": "IntPtr" if ret else "byte[]", "char *": "byte[]",
              "const void *": "byte[]", "const unsigned char *": "IntPtr" if ret else "byte[]",
              "const char **": "out IntPtr", "int *": "out int", "int64_t *": "out long",
              "size_t *": "out UIntPtr", "const unsigned char **": "out IntPtr",
              "void *": "IntPtr", "onshi_face_watch_cb": "FaceWatchCallback"}
    if t in simple:
        return simple[t]
    kind, stars = opaque(t)
    if kind == "callbacks":
        return "ref NativeCallbacks"
    if kind in OWNED:
        if fname == "onshi_%s_free" % kind or ret:
            return "IntPtr"
        return OWNED[kind] + "Handle" if stars == 1 else "out " + OWNED[kind] + "Handle"
    if kind:
        return "IntPtr" if stars == 1 else "out IntPtr"
    raise SystemExit("gen-bindings: no C# type for " + t)


def java_type(t, ret=False):
    t = _norm(t)
    simple = {"int": "int", "int64_t": "long", "size_t": "SizeT", "void": "void",
              "const char *": "String", "char *": "byte[]", "const void *": "byte[]",
              "const unsigned char *": "Pointer" if ret else "byte[]",
              "const char **": "PointerByReference", "int *": "IntByReference",
              "int64_t *": "LongByReference", "size_t *": "SizeT.ByReference",
              "const unsigned char **": "PointerByReference", "void *": "Pointer",
              "onshi_face_watch_cb": "Callbacks.FaceWatch"}
    if t in simple:
        return simple[t]
    kind, stars = opaque(t)
    if kind == "callbacks":
        return "NativeCallbacks"
    if kind:
        return "Pointer" if stars == 1 else "PointerByReference"
    raise SystemExit("gen-bindings: no Java type for " + t)


JAVA_RESERVED = {"out", "in"}

# Parameters that must outlive the call (the C side keeps the pointer): raw memory the
# wrapper owns instead of an array the marshaller pins only during the call.
KEPT = {("onshi_bulk_reader_open_mem", "data")}


def gen_native(protos):
    py = ['"""ctypes signatures of include/onshi.h and onshi_transport.h (%s)."""' % HEAD_NATIVE,
          "# SPDX-License-Identifier: Apache-2.0",
          "from ctypes import POINTER, c_char_p, c_int, c_int64, c_size_t, c_void_p  # noqa: F401",
          "", "", "def signatures(Callbacks, FACE_WATCH_CB):",
          '    """name -> (restype, argtypes)."""', "    return {"]
    cs = ["// %s" % HEAD_NATIVE, "// SPDX-License-Identifier: Apache-2.0", "using System;",
          "using System.Runtime.InteropServices;", "", "namespace Onshi", "{",
          "    /// <summary>Every function of include/onshi.h and onshi_transport.h as declared in C",
          "    /// (raw; the classes of this namespace wrap them).</summary>",
          "    internal static partial class Native", "    {"]
    jv = ["// %s" % HEAD_NATIVE, "// SPDX-License-Identifier: Apache-2.0", "package org.libonshi;", "",
          "import com.sun.jna.Library;", "import com.sun.jna.Pointer;",
          "import com.sun.jna.ptr.IntByReference;", "import com.sun.jna.ptr.LongByReference;",
          "import com.sun.jna.ptr.PointerByReference;", "",
          "/** Every function of include/onshi.h and onshi_transport.h as declared in C (raw; the",
          " *  classes of this package wrap them). */", "interface NativeLib extends Library {"]
    for name, ret, params in protos:
        py.append('        "%s": (%s, [%s]),' % (name, py_type(ret, True),
                                                 ", ".join(py_type(t) for t, _ in params)))
        cs.append("        [DllImport(LibName, CallingConvention = CallingConvention.Cdecl, "
                  "ExactSpelling = true)]")
        cs.append("        internal static extern %s %s(%s);" % (
            cs_type(ret, name, True), name,
            ", ".join("%s %s" % ("IntPtr" if (name, n) in KEPT else cs_type(t, name), "@" + n if n in ("out", "ref", "params", "checked", "event", "object", "string", "base", "fixed", "lock", "operator") else n) for t, n in params)))
        jv.append("    %s %s(%s);" % (java_type(ret, True), name,
                                      ", ".join("%s %s" % ("Pointer" if (name, n) in KEPT else java_type(t),
                                                           n + "_" if n in JAVA_RESERVED else n)
                                                for t, n in params)))
    py += ["    }", ""]
    cs += ["    }", "}", ""]
    jv += ["}", ""]
    return "\n".join(py), "\n".join(cs), "\n".join(jv)


def outputs():
    consts, version = read_header(os.path.join(ROOT, "include/onshi.h"))
    tp = os.path.join(ROOT, "include/onshi_transport.h")
    if os.path.exists(tp):
        more, _ = read_header(tp, need_version=False)
        known = {c[0] for c in consts}
        consts += [c for c in more if c[0] not in known]
    cross_check(consts)
    groups = groups_in_order(consts)
    protos = read_prototypes(os.path.join(ROOT, "include/onshi.h"))
    if os.path.exists(tp):  # the raw transport (file exchange, pending requests, HTTPS)
        protos += read_prototypes(tp)
    py_native, cs_native, java_native = gen_native(protos)
    out = {
        "bindings/python/onshi/_constants.py": gen_python(groups, version),
        "bindings/python/onshi/_signatures.py": py_native,
        "bindings/dotnet/Onshi/Constants.g.cs": gen_csharp(groups, version),
        "bindings/dotnet/Onshi/Native.g.cs": cs_native,
        "bindings/java/src/org/libonshi/NativeLib.java": java_native,
    }
    for fname, text in gen_java(groups, version).items():
        out["bindings/java/src/org/libonshi/" + fname] = text
    # the package versions follow the header's (PEP 440 spelling for Python)
    for rel, pattern, value in (
            ("bindings/python/pyproject.toml", r'(?m)^version = "[^"]*"$',
             'version = "%s"' % version.replace("-", "")),
            ("bindings/dotnet/Onshi/Onshi.csproj", r"<Version>[^<]*</Version>",
             "<Version>%s</Version>" % version)):
        path = os.path.join(ROOT, rel)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                out[rel] = re.sub(pattern, value, f.read())
    return out


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for rel, text in outputs().items():
        path = os.path.join(ROOT, rel)
        old = None
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old == text:
            continue
        if check:
            stale.append(rel)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            print("wrote " + rel)
    if stale:
        print("gen-bindings: out of date (run tools/gen-bindings.py): " + ", ".join(stale))
        return 1
    if check:
        print("binding constants up to date with include/onshi.h")
    return 0


if __name__ == "__main__":
    sys.exit(main())
