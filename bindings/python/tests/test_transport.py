"""The raw transport of include/onshi_transport.h through the binding: the file exchange
against onshi-sim's linkage mode (send, wait, states, consume), the pending-request listing
after a "crash" and its resume, raw HTTPS against onshi-sim.
Run through bindings/with-sim.sh (make python-binding-test). SPDX-License-Identifier: Apache-2.0"""
import os
import re
import tempfile
import time

import pytest

import onshi
from conftest import Linkage, env, file_context, https_context, qualification_request


FS = onshi.FileState


def verify_request(p):
    return onshi.Request(onshi.RequestKind.INSURANCE_CARD_VERIFY, insurer_number=p["insurer"],
                         symbol=p["symbol"], number=p["number"], branch=p["branch"],
                         birthdate=p["birth"])


def workdir(name):
    return tempfile.mkdtemp(prefix=name + "-", dir=env("ONSHI_TEST_TMP"))


def masked_key_re(p):
    """The masked patient key of a person: insurer number, 記号 all '*', 番号 all '*' but its
    last two characters, 枝番 (docs/file-transport.md)."""
    return re.compile(r"^%s \*+ \*+%s %s$" % (re.escape(p["insurer"]), re.escape(p["number"][-2:]),
                                              re.escape(p["branch"])))


def test_file_send_wait_and_consume(persons):
    base = workdir("py-file")
    p = persons[1]
    with file_context(base) as ctx, Linkage(base):
        rid = ctx.file_send(onshi.MessageType.QUAL_REQ, qualification_request(p, "PY-RAW-1"))
        assert re.match(r"^\d{16}$", rid)
        assert ctx.file_state(rid) in (FS.PUBLISHED, FS.TAKEN, FS.ANSWERED)
        with ctx.file_wait(rid, 30000) as r:
            assert r.request_id == rid
            assert r.name == "OQSsiquc01res_%s.xml" % rid
            assert r.type == onshi.MessageType.QUAL_RES
            data = r.data
            with r.decode(ctx) as m:
                assert m.header.get(onshi.Field.ARBITRARY_FILE_IDENTIFIER) == "PY-RAW-1"
                person = m.persons()[0]
                assert person.get(onshi.Field.INSURED_ID_NUMBER) == p["number"]
                assert person.get(onshi.Field.BIRTHDATE) == p["birth"]
        with pytest.raises(ValueError):
            r.data  # closed: refused, never a read of freed memory
        assert ctx.file_state(rid) == FS.ANSWERED
        assert rid in ctx.file_pending_ids()
        # the result stays in res/ until consumed: the same bytes again
        with ctx.file_wait(rid, 0) as again:
            assert again.data == data
        raw = ctx.pending_get(rid)
        assert (raw.id, raw.type, raw.state) == (rid, onshi.MessageType.QUAL_REQ, FS.ANSWERED)
        assert raw.patient is None  # the raw send records no patient key
        ctx.file_consume(rid)
        assert ctx.file_state(rid) == FS.CONSUMED
        assert rid not in ctx.file_pending_ids()
        assert not [n for n in os.listdir(os.path.join(base, "res")) if rid in n]
        with pytest.raises(onshi.OnshiError) as e:
            ctx.file_wait(rid, 0)
        assert e.value.status == onshi.Status.STATE
        ctx.file_consume(rid)  # consuming twice is fine
        with pytest.raises(onshi.OnshiError) as e:
            ctx.file_state("2099010100000001")
        assert e.value.status == onshi.Status.NOT_FOUND


def test_file_wait_without_a_result_is_pending_with_the_id(persons):
    base = workdir("py-wait")
    with file_context(base) as ctx:  # no linkage app: nothing answers
        rid = ctx.file_send(onshi.MessageType.QUAL_REQ, qualification_request(persons[2]))
        assert ctx.file_state(rid) == FS.PUBLISHED
        assert os.path.exists(os.path.join(base, "req", "OQSsiquc01req_%s.xml" % rid))
        with pytest.raises(onshi.PendingError) as e:
            ctx.file_wait(rid, 0)
        assert e.value.pending_id == rid and e.value.name == "ONSHI_E_PENDING"
        with pytest.raises(onshi.OnshiError) as e:
            ctx.file_send(9999, b"<x/>")
        assert e.value.status == onshi.Status.UNKNOWN_MESSAGE
        with pytest.raises(ValueError):  # a NUL inside is refused, not cut short at the NUL
            ctx.file_state(rid + "\0x")


def test_pending_listing_after_a_crash_and_resume(persons):
    base = workdir("py-pending")
    p = persons[0]
    t0 = int(time.time() * 1000)
    # the "crashed" session: the verification went out, its result never came
    with file_context(base, result_timeout_ms=0) as ctx:
        with verify_request(p) as req, pytest.raises(onshi.PendingError) as e:
            ctx.insurance_card_verify(req)
        rid = e.value.pending_id
    t1 = int(time.time() * 1000)
    assert re.match(r"^\d{16}$", rid)
    # the restarted program: what did we leave open?
    with file_context(base) as ctx:
        listing = list(ctx.pending())
        assert [x.id for x in listing] == [rid]
        item = listing[0]
        assert item.type == onshi.MessageType.QUAL_REQ
        assert item.state == FS.PUBLISHED and item.is_open
        assert t0 <= item.created_ms <= t1
        assert item.created.year >= 2024
        assert masked_key_re(p).match(item.patient), item.patient
        assert p["birth"] not in item.patient
        assert p["number"] not in item.patient
        got = ctx.pending_get(rid)
        assert (got.id, got.type, got.state, got.patient) == (item.id, item.type, item.state,
                                                              item.patient)
        with Linkage(base):
            with item.resume(30000) as m:  # picked up: nothing is sent again
                assert m.type == onshi.MessageType.QUAL_RES
                assert m.persons()[0].get(onshi.Field.INSURED_ID_NUMBER) == p["number"]
        assert list(ctx.pending()) == []
        done = [x for x in ctx.pending(all=True) if x.id == rid]
        assert len(done) == 1 and done[0].state == FS.CONSUMED and not done[0].is_open
        assert ctx.file_state(rid) == FS.CONSUMED
        with pytest.raises(onshi.OnshiError) as e:
            ctx.pending_get("1")
        assert e.value.status == onshi.Status.INVALID_ARG
    with pytest.raises(ValueError):
        list(ctx.pending())  # the context is closed
    with pytest.raises(ValueError):
        item.resume(0)


def test_https_exchange_raw(persons):
    p = persons[3]
    with https_context() as ctx:
        body = qualification_request(p, "PY-HTTPS")
        out = ctx.https_exchange(onshi.MessageType.QUAL_REQ, body, "py-raw-%d" % os.getpid())
        with ctx.decode(out) as m:
            assert m.type == onshi.MessageType.QUAL_RES
            assert m.header.get(onshi.Field.ARBITRARY_FILE_IDENTIFIER) == "PY-HTTPS"
            assert m.persons()[0].get(onshi.Field.INSURED_ID_NUMBER) == p["number"]
        ctx.https_close()
        ctx.https_close()  # harmless when none is open
        ctx.https_set_path(onshi.MessageType.QUAL_REQ, "/no/such/path")
        with pytest.raises(onshi.OnshiError) as e:
            ctx.https_exchange(onshi.MessageType.QUAL_REQ, body)
        assert e.value.status == onshi.Status.HTTP_STATUS
        assert e.value.foreign[0] == onshi.ForeignKind.HTTP and e.value.foreign[1] == 404
        ctx.https_set_path(onshi.MessageType.QUAL_REQ, None)
        assert ctx.decode(ctx.https_exchange(onshi.MessageType.QUAL_REQ, body)).type == \
            onshi.MessageType.QUAL_RES
        with pytest.raises(onshi.OnshiError) as e:
            ctx.https_set_path(onshi.MessageType.QUAL_REQ, "no-slash")
        assert e.value.status == onshi.Status.INVALID_ARG


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_no_leak_in_the_pending_calls(persons):
    base = workdir("py-leak")
    with file_context(base) as ctx:
        rid = ctx.file_send(onshi.MessageType.QUAL_REQ, qualification_request(persons[4]))

        def once():
            assert ctx.pending_get(rid).state == FS.PUBLISHED
            assert [x.id for x in ctx.pending(all=True)] == [rid]
            assert ctx.file_state(rid) == FS.PUBLISHED

        for _ in range(1000):
            once()
        before = rss_kib()
        for _ in range(10000):
            once()
        after = rss_kib()
    print("RSS python pending: %d KiB before, %d KiB after 10000 calls (+%d KiB)"
          % (before, after, after - before))
    assert after - before < 4096, (before, after)
