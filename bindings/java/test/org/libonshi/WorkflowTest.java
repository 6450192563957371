// The Java binding against onshi-sim (HTTPS) and the in-process virtual card.
// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkflowTest {
    @Test
    void insuranceCardVerification() throws Exception {
        String[] p = TestEnv.persons().get(0);
        List<Integer> stages = new ArrayList<>();
        try (Context ctx = TestEnv.https(); Request req = TestEnv.verify(p).set(Param.LIMIT_CONSENT, 1)) {
            ctx.onProgress((s, d, t) -> stages.add(s));
            try (Message res = ctx.insuranceCardVerify(req)) {
                assertEquals(MessageType.QUAL_RES, res.type());
                assertEquals(1, ctx.resultValidity(res));
                assertEquals("valid", ctx.resultValidityLabel(res));
                Group person = res.persons().get(0);
                assertEquals(p[1], person.get(Field.INSURER_NUMBER));
                assertEquals(p[5], person.get(Field.BIRTHDATE));
            }
        }
        assertTrue(stages.contains(Stage.SEND));
        assertEquals(Stage.DONE, (int) stages.get(stages.size() - 1));
    }

    @Test
    void wrongCheckDigitIsRefusedBeforeSending() throws Exception {
        String[] p = TestEnv.persons().get(0);
        p[1] = "01130112";
        try (Context ctx = TestEnv.https(); Request req = TestEnv.verify(p)) {
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.insuranceCardVerify(req));
            assertEquals(Status.CHECK_DIGIT, e.getStatus());
            assertEquals("ONSHI_E_CHECK_DIGIT", e.getName());
            assertTrue(e.getMessageEn().toLowerCase().contains("insurer"));
        }
    }

    @Test
    void myNumberCardWithPinCallback() throws Exception {
        List<Context.PinRequest> pins = new ArrayList<>();
        List<Context.AuditRecord> audits = new ArrayList<>();
        try (TestEnv.TestCard card = new TestEnv.TestCard(); Context ctx = card.plug(TestEnv.https())) {
            ctx.onPin(r -> {
                pins.add(r);
                return "1234".toCharArray();
            });
            ctx.onAudit(a -> audits.add(a));
            try (Request req = new Request(RequestKind.MYNUMBER_CARD_VERIFY).set(Param.IDV_METHOD, IdentityMethod.PIN)
                    .set(Param.CONSENT_OFFERED, Consent.DRUG | Consent.CHECKUP);
                 Message res = ctx.myNumberCardVerify(req)) {
                assertEquals(MessageType.CARDAUTH_RES, res.type());
                Group person = res.persons().get(0);
                assertNotNull(person.get(Field.NAME));
                assertTrue(ctx.hasConsent(person, Consent.DRUG));
                try (Request info = new Request(RequestKind.INFO).set(Param.INFO_KIND, InfoKind.DRUG)
                        .set(Param.FILE_CATEGORY, FileCategory.XML);
                     Message drug = ctx.infoRequest(person, info)) {
                    assertEquals(MessageType.DRUG_RES, drug.type());
                }
            }
            assertEquals(1, pins.size());
            assertEquals(3, pins.get(0).triesLeft);
            assertFalse(pins.get(0).lastTry);
            assertEquals(1, card.signs());
            List<Integer> phases = new ArrayList<>();
            for (Context.AuditRecord a : audits) {
                if (a.action == AuditAction.QUALIFICATION) {
                    phases.add(a.phase);
                }
            }
            assertEquals(List.of(AuditPhase.BEFORE, AuditPhase.AFTER), phases);
        }
    }

    static final class PinPadGone extends RuntimeException {
        private static final long serialVersionUID = 1L;

        PinPadGone() {
            super("the PIN pad is gone");
        }
    }

    @Test
    void aCallbackThatThrowsCancelsAndIsRethrown() throws Exception {
        try (TestEnv.TestCard card = new TestEnv.TestCard(); Context ctx = card.plug(TestEnv.https());
             Request req = new Request(RequestKind.MYNUMBER_CARD_VERIFY).set(Param.IDV_METHOD, IdentityMethod.PIN)) {
            ctx.onPin(r -> {
                throw new PinPadGone();
            });
            PinPadGone e = assertThrows(PinPadGone.class, () -> ctx.myNumberCardVerify(req));
            assertTrue(e.getMessage().contains("PIN pad"));
            assertEquals(0, card.signs());
            assertEquals(3, card.triesLeft());
            ctx.onPin(r -> "1234".toCharArray()); // the context stays usable
            try (Message res = ctx.myNumberCardVerify(req)) {
                assertFalse(res.persons().isEmpty());
            }
            assertEquals(1, card.signs());
        }
    }

    @Test
    void cardSessionReadsAndSigns() throws Exception {
        try (TestEnv.TestCard card = new TestEnv.TestCard(); Context ctx = card.plug(TestEnv.https())) {
            ctx.onPin(r -> "1234".toCharArray());
            try (Card c = ctx.openCard()) {
                assertEquals("", c.tokenLabel()); // a My Number Card (not a phone): no label read
                try (Certificate cert = c.readAuthCertificate()) {
                    assertEquals(2048, cert.keyBits());
                    assertTrue(cert.daysLeft() > 0);
                    cert.verify(ctx);
                }
                assertEquals(3, c.pinTriesLeft());
                byte[] hash = new byte[32];
                for (int i = 0; i < 32; i++) {
                    hash[i] = (byte) i;
                }
                assertEquals(256, c.sign(hash, HashAlgorithm.SHA256).length);
            }
            assertEquals(1, card.signs());
        }
    }

    @Test
    void wrongPinMapsToItsStatusWithTriesLeft() throws Exception {
        try (TestEnv.TestCard card = new TestEnv.TestCard(); Context ctx = card.plug(TestEnv.https());
             Request req = new Request(RequestKind.MYNUMBER_CARD_VERIFY).set(Param.IDV_METHOD, IdentityMethod.PIN)) {
            ctx.onPin(r -> "9999".toCharArray());
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.myNumberCardVerify(req));
            assertEquals(Status.JPKI_PIN_WRONG, e.getStatus());
            assertEquals(ForeignKind.TRIES, e.getForeignKind());
            assertEquals(2, e.getForeignValue());
        }
    }

    @Test
    void batchWithProgressAndResume() throws Exception {
        List<String[]> persons = TestEnv.persons();
        List<long[]> progress = new ArrayList<>();
        try (Context ctx = TestEnv.https()) {
            ctx.onProgress((s, d, t) -> progress.add(new long[] {s, d, t}));
            String id;
            try (Batch b = ctx.newBatch(BatchKind.QUALIFICATION)) {
                for (String[] p : persons.subList(0, 5)) {
                    try (Request e = new Request(RequestKind.BATCH_ENTRY).set(Param.PATIENT_ID, p[0])
                            .set(Param.INSURER_NUMBER, p[1]).set(Param.SYMBOL, p[2]).set(Param.NUMBER, p[3])
                            .set(Param.BRANCH, p[4]).set(Param.BIRTHDATE, p[5])) {
                        b.add(e);
                    }
                }
                b.save();
                id = b.id();
            }
            assertTrue(ctx.unfinishedBatches().contains(id));
            try (Batch b = ctx.openBatch(id)) {
                b.run();
                assertEquals(BatchPhase.DONE, b.phase());
                assertEquals(5, b.count());
                assertEquals(persons.get(0)[0], b.patientId(0));
                assertEquals(BatchOutcome.VALID, b.outcome(0));
                assertEquals(persons.get(0)[1], b.persons(0).get(0).get(Field.INSURER_NUMBER));
                Group p0 = b.persons(0).get(0);
                assertNotNull(b.unit(1));
                // entry 0's groups end when entry 1 is read (onshi_batch_unit)
                assertThrows(IllegalStateException.class, () -> p0.get(Field.INSURER_NUMBER));
                assertEquals(persons.get(0)[1], b.persons(0).get(0).get(Field.INSURER_NUMBER));
            }
            assertFalse(ctx.unfinishedBatches().contains(id));
        }
        assertTrue(progress.stream().anyMatch(x -> x[0] == Stage.BATCH_UPLOAD));
        assertTrue(progress.stream().anyMatch(x -> x[0] == Stage.BATCH_RESULTS && x[1] == 5 && x[2] == 5));
        assertEquals(Stage.DONE, progress.get(progress.size() - 1)[0]);
    }

    @Test
    void refnumRegistrationAndAuditedDisasterSearch() throws Exception {
        String[] p = TestEnv.persons().get(1);
        List<Context.AuditRecord> audits = new ArrayList<>();
        try (Context ctx = TestEnv.https()) {
            try (Request r = new Request(RequestKind.REFNUM_REGISTER).set(Param.REFERENCE_NUMBER, "JAVA-0001")
                    .set(Param.INSURER_NUMBER, p[1]).set(Param.SYMBOL, p[2]).set(Param.NUMBER, p[3])
                    .set(Param.BRANCH, p[4]);
                 Message res = ctx.refnumRegister(r)) {
                assertEquals(MessageType.REFNUM_RES, res.type());
            }
            try (Request r = TestEnv.verify(p); Message res = ctx.insuranceCardVerify(r)) {
                assertEquals("JAVA-0001", res.persons().get(0).get(Field.REFERENCE_NUMBER));
            }
            ctx.onAudit(a -> audits.add(a));
            try (Request r = new Request(RequestKind.DISASTER_SEARCH).set(Param.NAME_KANA, "ﾃｽﾄ ﾀﾛｳ")
                    .set(Param.BIRTHDATE, p[5]).set(Param.INFO_KIND, DisasterKind.DRUG)
                    .set(Param.FILE_CATEGORY, FileCategory.XML)) {
                try (Message m = ctx.disasterSearch(r)) {
                    assertNotNull(m);
                } catch (OnshiException e) {
                    assertTrue(e.getStatus() == Status.INFO_NOT_AVAILABLE || e.getStatus() == Status.SYSTEM_ERROR,
                            e.getMessage());
                }
            }
        }
        assertEquals(2, audits.stream().filter(a -> a.action == AuditAction.DISASTER_SEARCH).count());
        assertEquals("java-test", audits.get(0).operatorId);
    }

    @Test
    void diagnoseHttps() throws Exception {
        try (Context ctx = TestEnv.https()) {
            List<Context.DiagItem> items = ctx.diagnose();
            assertFalse(items.isEmpty());
            for (Context.DiagItem i : items) {
                assertNotEquals(DiagOutcome.FAIL, i.outcome, i.toString());
            }
        }
    }
}
