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


# ---- the raw transport: a linkage-mode simulator of the test's own ----------------------------

class Linkage:
    """onshi-sim as the terminal's linkage app over DIR/req and DIR/res, started by the test
    that needs it and stopped by its PID."""

    def __init__(self, base):
        import subprocess
        import time
        self.pidfile = os.path.join(base, "linkage.pid")
        self.log = open(os.path.join(base, "linkage.log"), "w")
        self.proc = subprocess.Popen(
            [env("ONSHI_TEST_SIM"), "linkage", "--db", env("ONSHI_TEST_SIM_DB"), "--dir", base,
             "--poll-ms", "20", "--pidfile", self.pidfile],
            stdout=self.log, stderr=subprocess.STDOUT)
        while not os.path.exists(self.pidfile):  # bounded by the process: it exits on error
            if self.proc.poll() is not None:
                pytest.fail("onshi-sim linkage did not start: " + open(self.log.name).read())
            time.sleep(0.02)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None
            self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def file_context(base, lang="en", **more):
    """A context of the file transport over BASE/req and BASE/res (folders 0700)."""
    for sub in ("req", "res"):
        os.makedirs(os.path.join(base, sub), mode=0o700, exist_ok=True)
    ctx = onshi.Context(lang=lang, transport=onshi.Transport.FILE,
                        req_dir=os.path.join(base, "req"), res_dir=os.path.join(base, "res"),
                        state_db=os.path.join(base, "state.db"),
                        medical_institution_code=env("ONSHI_TEST_INSTITUTION"),
                        operator_id="python-test", poll_interval_ms=20)
    for k, v in more.items():
        ctx.set(k, v)
    return ctx


def qualification_request(person, afi="PY-RAW"):
    """A 資格確認 request document written by hand, as a vendor with its own messages does."""
    import datetime
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=9))).strftime("%Y%m%d")
    return ("""<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><QualificationConfirmationDate>%s</QualificationConfirmationDate>
<MedicalInstitutionCode>%s</MedicalInstitutionCode>
<ArbitraryFileIdentifier>%s</ArbitraryFileIdentifier></MessageHeader><MessageBody>
<QualificationConfirmSearchInfo><InsurerNumber>%s</InsurerNumber>
<InsuredCardSymbol>%s</InsuredCardSymbol><InsuredIdentificationNumber>%s</InsuredIdentificationNumber>
<InsuredBranchNumber>%s</InsuredBranchNumber><Birthdate>%s</Birthdate>
<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>
</QualificationConfirmSearchInfo></MessageBody></XmlMsg>
""" % (today, env("ONSHI_TEST_INSTITUTION"), afi, person["insurer"], person["symbol"],
       person["number"], person["branch"], person["birth"])).encode("utf-8")
