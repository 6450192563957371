"""The binding against onshi-sim (HTTPS) and the in-process virtual card.
Run through bindings/with-sim.sh (make python-binding-test). SPDX-License-Identifier: Apache-2.0"""
import pytest

import onshi
from conftest import TestCard, https_context


def verify_request(p, **more):
    return onshi.Request(onshi.RequestKind.INSURANCE_CARD_VERIFY, insurer_number=p["insurer"],
                         symbol=p["symbol"], number=p["number"], branch=p["branch"],
                         birthdate=p["birth"], **more)


def test_insurance_card_verification(https_ctx, persons):
    stages = []
    https_ctx.on_progress = lambda stage, done, total: stages.append(stage)
    with verify_request(persons[0], limit_consent=1) as req:
        with https_ctx.insurance_card_verify(req) as res:
            assert res.type == onshi.MessageType.QUAL_RES
            validity, label = https_ctx.result_validity(res)
            assert validity == 1 and label == "valid"
            person = res.persons()[0]
            assert person.get(onshi.Field.INSURER_NUMBER) == persons[0]["insurer"]
            assert person.get(onshi.Field.BIRTHDATE) == persons[0]["birth"]
            assert person.label(onshi.Field.SEX1, https_ctx)
    assert onshi.Stage.SEND in stages and stages[-1] == onshi.Stage.DONE


def test_wrong_check_digit_is_refused_before_sending(https_ctx, persons):
    p = dict(persons[0], insurer="01130112")
    with verify_request(p) as req:
        with pytest.raises(onshi.OnshiError) as e:
            https_ctx.insurance_card_verify(req)
    assert e.value.status == onshi.Status.CHECK_DIGIT
    assert e.value.name == "ONSHI_E_CHECK_DIGIT"
    assert "insurer" in e.value.message_en.lower()
    assert e.value.label_ja == onshi.status_label(onshi.E_CHECK_DIGIT, "ja")


def card_context(card, pins, consents=onshi.Consent.DRUG | onshi.Consent.CHECKUP):
    ctx = https_context()
    card.plug_into(ctx)
    ctx.set(onshi.Option.JPKI_CA_FILES, __import__("conftest").env("ONSHI_TEST_JPKI_CA"))
    ctx.set(onshi.Option.CARD_WAIT_TIMEOUT_MS, 0)
    ctx.on_pin = lambda tries, last: pins.append((tries, last)) or "1234"
    ctx.on_consent = lambda offered: offered & consents
    return ctx


def test_mynumber_card_with_pin_callback(card):
    pins, audits, stages = [], [], []
    with card_context(card, pins) as ctx:
        ctx.on_audit = audits.append
        ctx.on_progress = lambda s, d, t: stages.append(s)
        with onshi.Request(onshi.RequestKind.MYNUMBER_CARD_VERIFY, idv_method=onshi.IdentityMethod.PIN,
                           consent_offered=onshi.Consent.DRUG | onshi.Consent.CHECKUP) as req:
            with ctx.mynumber_card_verify(req) as res:
                assert res.type == onshi.MessageType.CARDAUTH_RES
                person = res.persons()[0]
                assert person.get(onshi.Field.NAME)
                assert ctx.has_consent(person, onshi.Consent.DRUG)
                # drug information under the consent just given (照会 of the same person)
                with onshi.Request(onshi.RequestKind.INFO, info_kind=onshi.InfoKind.DRUG,
                                   file_category=onshi.FileCategory.XML) as info:
                    with ctx.info_request(person, info) as drug:
                        assert drug.type == onshi.MessageType.DRUG_RES
    assert len(pins) == 1 and pins[0][0] == 3 and pins[0][1] is False
    assert card.signs == 1 and card.mynumber_reads == 0
    assert onshi.Stage.VERIFY_IDENTITY in stages and onshi.Stage.SIGN in stages
    assert [a.phase for a in audits if a.action == onshi.AuditAction.QUALIFICATION] == \
        [onshi.AuditPhase.BEFORE, onshi.AuditPhase.AFTER]


class Boom(Exception):
    pass


def test_a_callback_that_throws_cancels_and_is_raised_again(card):
    with card_context(card, []) as ctx:
        def on_pin(tries, last):
            raise Boom("the PIN pad is gone")
        ctx.on_pin = on_pin
        with onshi.Request(onshi.RequestKind.MYNUMBER_CARD_VERIFY,
                           idv_method=onshi.IdentityMethod.PIN) as req:
            with pytest.raises(Boom, match="PIN pad"):
                ctx.mynumber_card_verify(req)
            assert card.signs == 0 and card.tries_left == 3  # nothing reached the card
            # the context stays usable: the next call works
            ctx.on_pin = lambda tries, last: "1234"
            with ctx.mynumber_card_verify(req) as res:
                assert res.persons()
    assert card.signs == 1


def test_wrong_pin_maps_to_its_status_with_tries_left(card):
    with card_context(card, []) as ctx:
        ctx.on_pin = lambda tries, last: "9999"
        with onshi.Request(onshi.RequestKind.MYNUMBER_CARD_VERIFY,
                           idv_method=onshi.IdentityMethod.PIN) as req:
            with pytest.raises(onshi.OnshiError) as e:
                ctx.mynumber_card_verify(req)
    assert e.value.status == onshi.Status.JPKI_PIN_WRONG
    assert e.value.foreign == (onshi.ForeignKind.TRIES, 2)


def test_identity_callback_for_visual_check(card):
    seen = []
    with card_context(card, []) as ctx:
        def on_identity(method, cert):
            seen.append((method, cert.serial_hex))
            return True
        ctx.on_identity = on_identity
        with onshi.Request(onshi.RequestKind.MYNUMBER_CARD_VERIFY,
                           idv_method=onshi.IdentityMethod.VISUAL) as req:
            with ctx.mynumber_card_verify(req) as res:
                assert res.body.get(onshi.Field.IDENTITY_VERIFICATION_METHOD) == "3"
    assert seen and seen[0][0] == onshi.IdentityMethod.VISUAL and seen[0][1]


def test_batch_with_progress_and_resume(https_ctx, persons):
    progress = []
    https_ctx.on_progress = lambda stage, done, total: progress.append((stage, done, total))
    with https_ctx.batch(onshi.BatchKind.QUALIFICATION) as b:
        for p in persons[:5]:
            b.add(patient_id=p["id"], insurer_number=p["insurer"], symbol=p["symbol"],
                  number=p["number"], branch=p["branch"], birthdate=p["birth"])
        b.save()
        batch_id = b.id
        assert b.phase == onshi.BatchPhase.UPLOAD
    assert batch_id in https_ctx.unfinished_batches()
    with https_ctx.batch_open(batch_id) as b:  # resumed from the state store
        b.run()
        assert b.phase == onshi.BatchPhase.DONE and b.reception_number
        assert len(b) == 5 and b.patient_id(0) == persons[0]["id"]
        assert b.outcome(0) == onshi.BatchOutcome.VALID
        assert b.persons(0)[0].get(onshi.Field.INSURER_NUMBER) == persons[0]["insurer"]
        p0 = b.persons(0)[0]
        assert b.unit(1) is not None
        with pytest.raises(ValueError):  # entry 0's groups end when entry 1 is read
            p0.get(onshi.Field.INSURER_NUMBER)
        assert b.outcome_label(onshi.BatchOutcome.VALID, "en")
    stages = [s for s, _, _ in progress]
    assert onshi.Stage.BATCH_UPLOAD in stages and onshi.Stage.BATCH_RESULTS in stages
    assert stages[-1] == onshi.Stage.DONE
    assert (onshi.Stage.BATCH_RESULTS, 5, 5) in progress
    assert batch_id not in https_ctx.unfinished_batches()


def test_progress_callback_can_cancel_a_batch(https_ctx, persons):
    https_ctx.on_progress = lambda stage, done, total: stage != onshi.Stage.BATCH_UPLOAD
    with https_ctx.batch(onshi.BatchKind.QUALIFICATION) as b:
        p = persons[0]
        b.add(patient_id="x1", insurer_number=p["insurer"], symbol=p["symbol"],
              number=p["number"], branch=p["branch"], birthdate=p["birth"])
        with pytest.raises(onshi.OnshiError) as e:
            b.run()
        assert e.value.status == onshi.Status.CANCELLED
        https_ctx.on_progress = None
        b.run()  # resumable
        assert b.phase == onshi.BatchPhase.DONE


def test_refnum_registration(https_ctx, persons):
    p = persons[1]
    with onshi.Request(onshi.RequestKind.REFNUM_REGISTER, reference_number="PY-0001",
                       insurer_number=p["insurer"], symbol=p["symbol"], number=p["number"],
                       branch=p["branch"]) as req:
        with https_ctx.refnum_register(req) as res:
            assert res.type == onshi.MessageType.REFNUM_RES
    with verify_request(p) as req:
        with https_ctx.insurance_card_verify(req) as res:
            assert res.persons()[0].get(onshi.Field.REFERENCE_NUMBER) == "PY-0001"


def test_drug_information_needs_consent(https_ctx, persons):
    with verify_request(persons[0]) as req:
        with https_ctx.insurance_card_verify(req) as res:
            person = res.persons()[0]
            with onshi.Request(onshi.RequestKind.INFO, info_kind=onshi.InfoKind.DRUG,
                               file_category=onshi.FileCategory.XML) as info:
                if https_ctx.has_consent(person, onshi.Consent.DRUG):
                    with https_ctx.info_request(person, info) as drug:
                        assert drug.type == onshi.MessageType.DRUG_RES
                else:
                    with pytest.raises(onshi.OnshiError) as e:
                        https_ctx.info_request(person, info)
                    assert e.value.status in (onshi.Status.NO_CONSENT, onshi.Status.CONSENT_EXPIRED)


def test_disaster_search_is_audited(https_ctx, persons):
    audits = []
    https_ctx.on_audit = audits.append
    with onshi.Request(onshi.RequestKind.DISASTER_SEARCH, name_kana="ﾃｽﾄ ﾀﾛｳ",
                       birthdate=persons[0]["birth"], info_kind=onshi.DisasterKind.DRUG,
                       file_category=onshi.FileCategory.XML) as req:
        try:
            https_ctx.disaster_search(req).close()
        except onshi.OnshiError as e:  # nobody of that name: the system's answer, mapped
            assert e.status in (onshi.Status.INFO_NOT_AVAILABLE, onshi.Status.SYSTEM_ERROR)
    assert [a.action for a in audits] == [onshi.AuditAction.DISASTER_SEARCH] * 2
    assert audits[0].operator_id == "python-test"


def test_audit_refusal_stops_the_access(https_ctx, persons):
    https_ctx.on_audit = lambda rec: rec.phase != onshi.AuditPhase.BEFORE
    with onshi.Request(onshi.RequestKind.DISASTER_SEARCH, name_kana="ﾃｽﾄ",
                       birthdate=persons[0]["birth"], info_kind=onshi.DisasterKind.DRUG,
                       file_category=onshi.FileCategory.XML) as req:
        with pytest.raises(onshi.OnshiError) as e:
            https_ctx.disaster_search(req)
    assert e.value.status == onshi.Status.CANCELLED


def test_diagnose_https(https_ctx):
    items = https_ctx.diagnose()
    assert items and all(i.outcome != onshi.DiagOutcome.FAIL for i in items), items


def test_card_session_reads_and_signs(card):
    with card_context(card, []) as ctx:
        ctx.on_pin = lambda tries, last: "1234"
        with ctx.card_open() as c:
            assert c.token_label == ""  # a My Number Card (not a phone): no label read
            with c.read_auth_cert() as cert:
                assert cert.key_bits == 2048 and cert.days_left > 0
                cert.verify(ctx)  # against the JPKI CA of the test PKI
            assert c.pin_tries_left() == 3
            sig = c.sign(bytes(range(32)))
            assert len(sig) == 256
    assert card.signs == 1 and card.mynumber_reads == 0
