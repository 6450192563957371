"""Loading libonshi and the ctypes declarations (callback types, the callbacks struct).

The installed library is loaded first (libonshi.so.1 through the system's search, libonshi-1.dll
on Windows); a source tree's build only when asked: ONSHI_LIBRARY=/path/to/libonshi.so.1.
SPDX-License-Identifier: Apache-2.0
"""
import ctypes
import os
import sys

from ._constants import VERSION_MAJOR
from ._signatures import signatures

c_int, c_int64, c_size_t, c_void_p, c_char_p = (ctypes.c_int, ctypes.c_int64, ctypes.c_size_t,
                                                 ctypes.c_void_p, ctypes.c_char_p)

# Callback types of include/onshi.h (userdata first).
LOG_CB = ctypes.CFUNCTYPE(None, c_void_p, c_int, c_char_p, c_char_p)
TRANSMIT_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_void_p, c_size_t, c_void_p, c_size_t,
                               ctypes.POINTER(c_size_t))
RESET_CB = ctypes.CFUNCTYPE(c_int, c_void_p)
CARD_EVENT_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_char_p)
PIN_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int, c_void_p, c_size_t,
                          ctypes.POINTER(c_int))
CERT_EXPIRY_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_char_p)
PROGRESS_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int64, c_int64)
CONSENT_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, ctypes.POINTER(c_int))
AUDIT_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_int, c_int, c_char_p, c_char_p, c_char_p,
                            c_char_p)
IDENTITY_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_void_p, ctypes.POINTER(c_int))
FACE_WATCH_CB = ctypes.CFUNCTYPE(c_int, c_void_p, c_int, c_void_p, c_char_p)

# (field, type) of struct onshi_callbacks, version 1, in order.
CALLBACK_FIELDS = [("log", LOG_CB), ("card_transmit", TRANSMIT_CB), ("card_reset", RESET_CB),
                   ("card_event", CARD_EVENT_CB), ("pin", PIN_CB),
                   ("cert_expiry", CERT_EXPIRY_CB), ("progress", PROGRESS_CB),
                   ("consent", CONSENT_CB), ("audit", AUDIT_CB), ("identity", IDENTITY_CB)]
CALLBACKS_VERSION = 1


class Callbacks(ctypes.Structure):
    _fields_ = [("version", c_int)] + [
        item for name, typ in CALLBACK_FIELDS for item in ((name, typ), (name + "_userdata", c_void_p))]


_lib = None


def library_candidates():
    env = os.environ.get("ONSHI_LIBRARY")
    if env:
        return [env]
    if sys.platform == "win32":
        return ["libonshi-%d.dll" % VERSION_MAJOR]
    if sys.platform == "darwin":
        return ["libonshi.%d.dylib" % VERSION_MAJOR]
    return ["libonshi.so.%d" % VERSION_MAJOR]


def lib():
    """The loaded library (loaded once, on first use)."""
    global _lib
    if _lib is not None:
        return _lib
    errors = []
    for cand in library_candidates():
        try:
            handle = ctypes.CDLL(cand)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise OSError("libonshi not found (install it, or set ONSHI_LIBRARY to the file): "
                      + "; ".join(errors))
    for name, (res, args) in signatures(Callbacks, FACE_WATCH_CB).items():
        try:
            fn = getattr(handle, name)
        except AttributeError:
            continue  # an older library: the call raises when used
        fn.restype = res
        fn.argtypes = args
    _lib = handle
    return handle


def text(value):
    """bytes from the library (UTF-8) -> str; None stays None."""
    return None if value is None else value.decode("utf-8")


def utf8(value):
    """str -> NUL-free UTF-8 bytes for the library; None stays None."""
    if value is None:
        return None
    b = str(value).encode("utf-8")
    if b"\0" in b:
        raise ValueError("a string for libonshi cannot contain NUL")
    return b
