"""Fixtures of the Python binding tests: the simulator's environment (bindings/with-sim.sh),
the in-process virtual card, contexts set up for HTTPS. A missing environment is an error,
never a skip. SPDX-License-Identifier: Apache-2.0"""
import csv
import ctypes
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
if os.environ.get("ONSHI_BINDING_INSTALLED") != "1":
    sys.path.insert(0, os.path.join(HERE, ".."))  # the package of this tree
import onshi  # noqa: E402


def env(name):
    v = os.environ.get(name)
    if not v:
        pytest.fail("%s is not set: run the tests through `make python-binding-test` "
                    "(bindings/with-sim.sh starts onshi-sim)" % name)
    return v


@pytest.fixture
def persons():
    with open(env("ONSHI_TEST_PERSONS"), newline="") as f:
        return [dict(zip(("id", "insurer", "symbol", "number", "branch", "birth"), row))
                for row in csv.reader(f)]


def https_context(lang="en", **more):
    ctx = onshi.Context(lang=lang)
    ctx.set(onshi.Option.TRANSPORT, onshi.Transport.HTTPS)
    ctx.set(onshi.Option.SERVER_URL, env("ONSHI_TEST_URL"))
    ctx.set(onshi.Option.TLS_CA_FILE, env("ONSHI_TEST_CA"))
    ctx.set(onshi.Option.TLS_CLIENT_CERT, env("ONSHI_TEST_CLIENT_CERT"))
    ctx.set(onshi.Option.TLS_CLIENT_KEY, env("ONSHI_TEST_CLIENT_KEY"))
    ctx.set(onshi.Option.MEDICAL_INSTITUTION_CODE, env("ONSHI_TEST_INSTITUTION"))
    ctx.set(onshi.Option.OPERATOR_ID, "python-test")
    ctx.set(onshi.Option.STATE_DB, os.path.join(env("ONSHI_TEST_TMP"), "py-state.db"))
    ctx.set(onshi.Option.BATCH_POLL_BASE_MS, 100)
    for k, v in more.items():
        ctx.set(k, v)
    return ctx


@pytest.fixture
def https_ctx():
    ctx = https_context()
    yield ctx
    ctx.close()


class TestCard:
    __test__ = False
    """The virtual My Number Card in-process (bindings/testcard), driven through the
    binding's own card_transmit / card_reset callbacks."""

    def __init__(self, pin="1234", tries=3):
        self.lib = ctypes.CDLL(env("ONSHI_TESTCARD_LIB"))
        self.lib.testcard_new.argtypes = [ctypes.POINTER(ctypes.c_void_p)] + [ctypes.c_char_p] * 4 + [ctypes.c_int]
        self.lib.testcard_free.argtypes = [ctypes.c_void_p]
        self.lib.testcard_transmit.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t,
                                               ctypes.c_void_p, ctypes.c_size_t,
                                               ctypes.POINTER(ctypes.c_size_t)]
        self.lib.testcard_reset.argtypes = [ctypes.c_void_p]
        for f in ("testcard_signs", "testcard_mynumber_reads"):
            getattr(self.lib, f).argtypes = [ctypes.c_void_p]
            getattr(self.lib, f).restype = ctypes.c_long
        self.lib.testcard_tries_left.argtypes = [ctypes.c_void_p]
        self.h = ctypes.c_void_p()
        rc = self.lib.testcard_new(ctypes.byref(self.h), env("ONSHI_TEST_CARD_CERT").encode(),
                                   env("ONSHI_TEST_CARD_KEY").encode(),
                                   env("ONSHI_TEST_JPKI_CA").encode(), pin.encode(), tries)
        assert rc == 0, "testcard_new"

    def transmit(self, apdu):
        buf = ctypes.create_string_buffer(4096)
        n = ctypes.c_size_t()
        assert self.lib.testcard_transmit(self.h, apdu, len(apdu), buf, 4096, ctypes.byref(n)) == 0
        return buf.raw[: n.value]

    def reset(self):
        self.lib.testcard_reset(self.h)

    def plug_into(self, ctx):
        ctx.set(onshi.Option.CARD_DRIVER, onshi.CardDriver.CALLBACK)
        ctx.card_transmit = self.transmit
        ctx.card_reset = self.reset

    signs = property(lambda self: self.lib.testcard_signs(self.h))
    mynumber_reads = property(lambda self: self.lib.testcard_mynumber_reads(self.h))
    tries_left = property(lambda self: self.lib.testcard_tries_left(self.h))

    def close(self):
        if self.h:
            self.lib.testcard_free(self.h)
            self.h = None


@pytest.fixture
def card():
    c = TestCard()
    yield c
    c.close()
