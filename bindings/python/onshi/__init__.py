"""Python binding of libonshi (ctypes over the stable C ABI of include/onshi.h).

Status names and option ids are read from the loaded library itself (onshi_status_name,
onshi_option_id), so this file holds no copy of the C tables and stays right when the
library adds codes or options.

    import onshi
    with onshi.Context(lang="en") as ctx:
        ctx.set("req_dir", "/mnt/oqs/req")
        print(onshi.limit_ceiling("A03", 1_000_000, service_month=202607))   # 87430

SPDX-License-Identifier: Apache-2.0
"""
import ctypes
import ctypes.util
import os

__all__ = ["OnshiError", "Context", "version", "status_name", "status_str", "status_band",
           "option_id", "limit_ceiling", "limit_copay", "Request", "SCOPE_OUTPATIENT", "SCOPE_ALL",
           "F_MANY_TIMES", "F_BIRTH_MONTH_75", "F_PROVISIONAL", "load"]

OPT_LANG = 100  # ONSHI_OPT_LANG
REQ_LIMIT = 7  # ONSHI_REQ_LIMIT
P_CLASS_CODE, P_TOTAL_COST, P_RATIO_PERCENT, P_SCOPE, P_FLAGS, P_SERVICE_MONTH = 20, 21, 22, 23, 24, 25
SCOPE_OUTPATIENT = 1
SCOPE_ALL = 2
F_MANY_TIMES = 1
F_BIRTH_MONTH_75 = 2
# August 2026 revision: published but unconfirmed figures (docs/limit-amount.md)
F_PROVISIONAL = 4

_OPTTYPE_STR, _OPTTYPE_INT, _OPTTYPE_BYTES = 1, 2, 3

_lib = None


def _candidates():
    env = os.environ.get("ONSHI_LIBRARY")
    if env:
        yield env
    here = os.path.dirname(os.path.abspath(__file__))
    # a source checkout: bindings/python/onshi/ → lib/
    yield os.path.join(here, "..", "..", "..", "lib", "libonshi.so.1")
    found = ctypes.util.find_library("onshi")
    if found:
        yield found
    yield "libonshi.so.1"


def load(path=None):
    """Load libonshi (once). ONSHI_LIBRARY overrides the search."""
    global _lib
    if _lib is not None and path is None:
        return _lib
    errors = []
    for cand in ([path] if path else _candidates()):
        try:
            lib = ctypes.CDLL(cand)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise OSError("libonshi not found: " + "; ".join(errors))
    c_int, c_char_p, c_void_p, c_size_t = ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t
    c_int64 = ctypes.c_int64
    sig = {
        "onshi_version": (c_char_p, [ctypes.POINTER(c_int)] * 3),
        "onshi_status_band": (c_int, [c_int]),
        "onshi_status_label": (c_char_p, [c_void_p, c_int]),
        "onshi_status_name": (c_char_p, [c_int]),
        "onshi_ctx_new": (c_int, [ctypes.POINTER(c_void_p)]),
        "onshi_ctx_free": (None, [c_void_p]),
        "onshi_ctx_set_str": (c_int, [c_void_p, c_int, c_char_p]),
        "onshi_ctx_set_int": (c_int, [c_void_p, c_int, c_int64]),
        "onshi_ctx_set_bytes": (c_int, [c_void_p, c_int, c_char_p, c_size_t]),
        "onshi_ctx_get_str": (c_int, [ctypes.POINTER(c_char_p), c_void_p, c_int]),
        "onshi_ctx_get_int": (c_int, [ctypes.POINTER(c_int64), c_void_p, c_int]),
        "onshi_ctx_last_error": (c_int, [c_void_p]),
        "onshi_ctx_last_error_message": (c_char_p, [c_void_p]),
        "onshi_ctx_last_error_foreign": (c_int, [ctypes.POINTER(c_int), ctypes.POINTER(c_int64),
                                                 c_void_p]),
        "onshi_ctx_cancel": (None, [c_void_p]),
        "onshi_option_id": (c_int, [c_char_p]),
        "onshi_option_type": (c_int, [c_int]),
        "onshi_request_new": (c_int, [ctypes.POINTER(c_void_p), c_int]),
        "onshi_request_free": (None, [c_void_p]),
        "onshi_request_set_str": (c_int, [c_void_p, c_int, c_char_p]),
        "onshi_request_set_int": (c_int, [c_void_p, c_int, c_int64]),
        "onshi_limit_ceiling": (c_int, [ctypes.POINTER(c_int64), c_void_p, c_void_p]),
        "onshi_limit_copay": (c_int, [ctypes.POINTER(c_int64), c_void_p, c_void_p]),
    }
    for name, (res, args) in sig.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    _lib = lib
    return lib


def version():
    return load().onshi_version(None, None, None).decode()


def status_name(code):
    name = load().onshi_status_name(code)
    return name.decode() if name else None


def status_str(code, ja=False):
    """The description of a status code in Japanese or English (ONSHI_OPT_LANG of a context)."""
    lib = load()
    ctx = ctypes.c_void_p()
    if lib.onshi_ctx_new(ctypes.byref(ctx)) != 0:
        raise MemoryError("onshi_ctx_new")
    try:
        lib.onshi_ctx_set_str(ctx, OPT_LANG, b"ja" if ja else b"en")
        return lib.onshi_status_label(ctx, code).decode()  # static string
    finally:
        lib.onshi_ctx_free(ctx)


def status_band(code):
    return load().onshi_status_band(code)


def option_id(name):
    rc = load().onshi_option_id(name.encode())
    if rc < 0:
        raise OnshiError(rc, "unknown option %r" % name)
    return rc


class OnshiError(Exception):
    """A libonshi error: .code (ONSHI_E_*), .name, .message, .foreign (kind, value)."""

    def __init__(self, code, message, foreign=(0, 0)):
        self.code = code
        self.name = status_name(code)
        self.message = message
        self.foreign = foreign
        super().__init__("%s (%d): %s" % (self.name, code, message))


def _check(ctx, rc):
    if rc >= 0:
        return rc
    if ctx is None:
        raise OnshiError(rc, status_str(rc))
    kind, value = ctypes.c_int(0), ctypes.c_int64(0)
    lib = load()
    lib.onshi_ctx_last_error_foreign(ctypes.byref(kind), ctypes.byref(value), ctx)
    raise OnshiError(rc, lib.onshi_ctx_last_error_message(ctx).decode(), (kind.value, value.value))


class Context:
    """An onshi_ctx. One thread at a time; cancel() may be called from any thread."""

    def __init__(self, **options):
        lib = load()
        handle = ctypes.c_void_p()
        _check(None, lib.onshi_ctx_new(ctypes.byref(handle)))
        self._h = handle
        for name, value in options.items():
            self.set(name, value)

    def close(self):
        if self._h:
            load().onshi_ctx_free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _id(self, option):
        return option if isinstance(option, int) else option_id(option)

    def set(self, option, value):
        """Set an option by configuration name ("req_dir") or id; None restores the default."""
        lib, oid = load(), self._id(option)
        kind = lib.onshi_option_type(oid)
        if kind == _OPTTYPE_INT and value is not None:
            rc = lib.onshi_ctx_set_int(self._h, oid, int(value))
        elif kind == _OPTTYPE_BYTES:
            data = bytes(value or b"")
            rc = lib.onshi_ctx_set_bytes(self._h, oid, data or None, len(data))
        else:
            rc = lib.onshi_ctx_set_str(self._h, oid, None if value is None else str(value).encode())
        _check(self._h, rc)

    def get(self, option):
        lib, oid = load(), self._id(option)
        if lib.onshi_option_type(oid) == _OPTTYPE_INT:
            out = ctypes.c_int64()
            _check(self._h, lib.onshi_ctx_get_int(ctypes.byref(out), self._h, oid))
            return out.value
        out = ctypes.c_char_p()
        _check(self._h, lib.onshi_ctx_get_str(ctypes.byref(out), self._h, oid))
        return out.value.decode() if out.value is not None else None

    def cancel(self):
        load().onshi_ctx_cancel(self._h)

    @property
    def handle(self):
        return self._h


class Request:
    """The inputs of a workflow call (onshi_request): a kind (REQ_*) and parameters (P_*) set
    by typed setters, so a new input in a later libonshi needs no new function here."""

    def __init__(self, kind, **params):
        lib = load()
        self.handle = ctypes.c_void_p()
        rc = lib.onshi_request_new(ctypes.byref(self.handle), kind)
        if rc != 0:
            raise OnshiError(rc, "onshi_request_new(%d)" % kind)
        for param, value in params.items():
            self.set(globals()["P_" + param.upper()], value)

    def set(self, param, value):
        lib = load()
        if isinstance(value, str):
            rc = lib.onshi_request_set_str(self.handle, param, value.encode())
        else:
            rc = lib.onshi_request_set_int(self.handle, param, int(value))
        if rc != 0:
            raise OnshiError(rc, "request parameter %d" % param)
        return self

    def close(self):
        if self.handle:
            load().onshi_request_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


def _limit(fn, ctx, **params):
    out = ctypes.c_int64()
    h = ctx.handle if ctx else None
    with Request(REQ_LIMIT, **params) as req:
        _check(h, fn(ctypes.byref(out), h, req.handle))
    return out.value


def limit_ceiling(class_code, total_cost, scope=SCOPE_ALL, flags=0, service_month=0, ctx=None):
    """Monthly co-payment ceiling in yen (see docs/limit-amount.md)."""
    return _limit(load().onshi_limit_ceiling, ctx, class_code=class_code, total_cost=total_cost,
                  scope=scope, flags=flags, service_month=service_month)


def limit_copay(class_code, total_cost, ratio_percent, scope=SCOPE_ALL, flags=0,
                service_month=0, ctx=None):
    return _limit(load().onshi_limit_copay, ctx, class_code=class_code, total_cost=total_cost,
                  ratio_percent=ratio_percent, scope=scope, flags=flags,
                  service_month=service_month)
