// The raw transport of include/onshi_transport.h through the Java binding: the file exchange
// against onshi-sim's linkage mode (send, wait, states, consume), the pending-request listing
// after a "crash" and its resume, raw HTTPS against onshi-sim.
// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class TransportTest {
    /** onshi-sim as the terminal's linkage app over DIR/req and DIR/res, started by the test
     *  that needs it and stopped by its PID. */
    static final class Linkage implements AutoCloseable {
        private Process proc;

        Linkage(Path dir) throws Exception {
            Path pidfile = dir.resolve("linkage.pid");
            proc = new ProcessBuilder(TestEnv.get("ONSHI_TEST_SIM"), "linkage", "--db", TestEnv.get("ONSHI_TEST_SIM_DB"),
                    "--dir", dir.toString(), "--poll-ms", "20", "--pidfile", pidfile.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("linkage.log").toFile()).start();
            while (!Files.exists(pidfile)) { // bounded by the process: it exits on error
                if (!proc.isAlive()) {
                    fail("onshi-sim linkage did not start: " + new String(Files.readAllBytes(dir.resolve("linkage.log"))));
                }
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws Exception {
            if (proc != null) {
                proc.destroy(); // SIGTERM to its PID
                proc.waitFor();
                proc = null;
            }
        }
    }

    private static int dirs;

    private static Path workDir(String name) throws Exception {
        Path d = Paths.get(TestEnv.get("ONSHI_TEST_TMP"), name + "-" + (++dirs));
        Files.createDirectories(d.resolve("req"));
        Files.createDirectories(d.resolve("res"));
        return d;
    }

    private static Context files(Path dir) throws OnshiException {
        Context ctx = new Context();
        ctx.set(Option.LANG, "en").set(Option.TRANSPORT, Transport.FILE)
                .set(Option.REQ_DIR, dir.resolve("req").toString()).set(Option.RES_DIR, dir.resolve("res").toString())
                .set(Option.STATE_DB, dir.resolve("state.db").toString())
                .set(Option.MEDICAL_INSTITUTION_CODE, TestEnv.get("ONSHI_TEST_INSTITUTION"))
                .set(Option.OPERATOR_ID, "java-test").set(Option.POLL_INTERVAL_MS, 20);
        return ctx;
    }

    /** A 資格確認 request written by hand, as a vendor with its own messages does. */
    private static byte[] qualificationRequest(String[] p, String afi) {
        String today = LocalDate.now(ZoneOffset.ofHours(9)).format(DateTimeFormatter.BASIC_ISO_DATE);
        return ("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg><MessageHeader>"
                + "<QualificationConfirmationDate>" + today + "</QualificationConfirmationDate>"
                + "<MedicalInstitutionCode>" + TestEnv.get("ONSHI_TEST_INSTITUTION") + "</MedicalInstitutionCode>"
                + "<ArbitraryFileIdentifier>" + afi + "</ArbitraryFileIdentifier></MessageHeader><MessageBody>"
                + "<QualificationConfirmSearchInfo><InsurerNumber>" + p[1] + "</InsurerNumber>"
                + "<InsuredCardSymbol>" + p[2] + "</InsuredCardSymbol>"
                + "<InsuredIdentificationNumber>" + p[3] + "</InsuredIdentificationNumber>"
                + "<InsuredBranchNumber>" + p[4] + "</InsuredBranchNumber><Birthdate>" + p[5] + "</Birthdate>"
                + "<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>"
                + "</QualificationConfirmSearchInfo></MessageBody></XmlMsg>\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void fileSendWaitAndConsume() throws Exception {
        String[] p = TestEnv.persons().get(1);
        Path dir = workDir("java-file");
        try (Context ctx = files(dir); Linkage l = new Linkage(dir)) {
            String id = ctx.sendFile(MessageType.QUAL_REQ, qualificationRequest(p, "JAVA-RAW-1"));
            assertTrue(id.matches("\\d{16}"), id);
            int st = ctx.fileState(id);
            assertTrue(st == FileState.PUBLISHED || st == FileState.TAKEN || st == FileState.ANSWERED, "state " + st);
            byte[] data;
            FileResult r = ctx.waitFile(id, 30000);
            try (FileResult rr = r) {
                assertEquals(id, rr.requestId());
                assertEquals("OQSsiquc01res_" + id + ".xml", rr.name());
                assertEquals(MessageType.QUAL_RES, rr.type());
                data = rr.data();
                try (Message m = rr.decode(ctx)) {
                    assertEquals("JAVA-RAW-1", m.header().get(Field.ARBITRARY_FILE_IDENTIFIER));
                    assertEquals(p[3], m.persons().get(0).get(Field.INSURED_ID_NUMBER));
                    assertEquals(p[5], m.persons().get(0).get(Field.BIRTHDATE));
                }
            }
            assertThrows(IllegalStateException.class, r::data); // closed: refused
            assertEquals(FileState.ANSWERED, ctx.fileState(id));
            assertTrue(ctx.pendingFileIds().contains(id));
            try (FileResult again = ctx.waitFile(id, 0)) {
                assertArrayEquals(data, again.data());
            }
            Pending raw = ctx.getPending(id);
            assertEquals(id, raw.id());
            assertEquals(MessageType.QUAL_REQ, raw.type());
            assertEquals(FileState.ANSWERED, raw.state());
            assertNull(raw.patient()); // the raw send records no patient key
            ctx.consumeFile(id);
            assertEquals(FileState.CONSUMED, ctx.fileState(id));
            assertFalse(ctx.pendingFileIds().contains(id));
            File[] left = dir.resolve("res").toFile().listFiles((d, n) -> n.contains(id));
            assertEquals(0, left.length);
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.waitFile(id, 0));
            assertEquals(Status.STATE, e.getStatus());
            ctx.consumeFile(id); // consuming twice is fine
            e = assertThrows(OnshiException.class, () -> ctx.fileState("2099010100000001"));
            assertEquals(Status.NOT_FOUND, e.getStatus());
        }
    }

    @Test
    void fileWaitWithoutAResultIsPendingWithTheId() throws Exception {
        String[] p = TestEnv.persons().get(2);
        Path dir = workDir("java-wait");
        try (Context ctx = files(dir)) { // no linkage app: nothing answers
            String id = ctx.sendFile(MessageType.QUAL_REQ, qualificationRequest(p, "JAVA-WAIT"));
            assertEquals(FileState.PUBLISHED, ctx.fileState(id));
            assertTrue(Files.exists(dir.resolve("req").resolve("OQSsiquc01req_" + id + ".xml")));
            PendingException e = assertThrows(PendingException.class, () -> ctx.waitFile(id, 0));
            assertEquals(id, e.getPendingId());
            assertEquals("ONSHI_E_PENDING", e.getName());
            OnshiException u = assertThrows(OnshiException.class, () -> ctx.sendFile(9999, new byte[] {60}));
            assertEquals(Status.UNKNOWN_MESSAGE, u.getStatus());
            // a string with a NUL inside is refused, not cut short at the NUL
            assertThrows(IllegalArgumentException.class, () -> ctx.fileState(id + "\0" + "x"));
            assertThrows(IllegalArgumentException.class, () -> ctx.set(Option.OPERATOR_ID, "a\0b"));
        }
    }

    @Test
    void pendingListingAfterACrashAndResume() throws Exception {
        String[] p = TestEnv.persons().get(0);
        Path dir = workDir("java-pending");
        long t0 = System.currentTimeMillis();
        String id;
        // the "crashed" session: the verification went out, its result never came
        try (Context ctx = files(dir).set(Option.RESULT_TIMEOUT_MS, 0); Request req = TestEnv.verify(p)) {
            id = assertThrows(PendingException.class, () -> ctx.insuranceCardVerify(req)).getPendingId();
        }
        long t1 = System.currentTimeMillis();
        assertTrue(id.matches("\\d{16}"), id);
        // the restarted program: what did we leave open?
        Context ctx2 = files(dir);
        Pending item;
        try (Context ctx = ctx2) {
            List<Pending> listing = ctx.pending();
            assertEquals(1, listing.size());
            item = listing.get(0);
            assertEquals(id, item.id());
            assertEquals(MessageType.QUAL_REQ, item.type());
            assertEquals(FileState.PUBLISHED, item.state());
            assertTrue(item.isOpen());
            assertTrue(t0 <= item.createdMs() && item.createdMs() <= t1, item.createdMs() + " not in " + t0 + ".." + t1);
            assertEquals(item.createdMs(), item.created().toEpochMilli());
            Pattern key = Pattern.compile("^" + Pattern.quote(p[1]) + " \\*+ \\*+" + Pattern.quote(p[3].substring(p[3].length() - 2))
                    + " " + Pattern.quote(p[4]) + "$");
            assertTrue(key.matcher(item.patient()).matches(), item.patient());
            assertFalse(item.patient().contains(p[5]));
            assertFalse(item.patient().contains(p[3]));
            assertEquals(item.toString(), ctx.getPending(id).toString());
            try (Linkage l = new Linkage(dir); Message m = item.resume(30000)) { // nothing is sent again
                assertEquals(MessageType.QUAL_RES, m.type());
                assertEquals(p[3], m.persons().get(0).get(Field.INSURED_ID_NUMBER));
            }
            assertTrue(ctx.pending().isEmpty());
            List<Pending> done = ctx.pending(true).stream().filter(x -> x.id().equals(id)).collect(Collectors.toList());
            assertEquals(1, done.size());
            assertEquals(FileState.CONSUMED, done.get(0).state());
            assertFalse(done.get(0).isOpen());
            assertEquals(FileState.CONSUMED, ctx.fileState(id));
            assertEquals(Status.INVALID_ARG, assertThrows(OnshiException.class, () -> ctx.getPending("1")).getStatus());
        }
        assertThrows(IllegalStateException.class, () -> ctx2.pending()); // the context is closed
        assertThrows(IllegalStateException.class, () -> item.resume(0));
    }

    @Test
    void httpsExchangeRaw() throws Exception {
        String[] p = TestEnv.persons().get(3);
        try (Context ctx = TestEnv.https()) {
            byte[] body = qualificationRequest(p, "JAVA-HTTPS");
            try (Message m = ctx.decode(ctx.httpsExchange(MessageType.QUAL_REQ, body, "java-raw-" + ProcessHandle.current().pid()), 0)) {
                assertEquals(MessageType.QUAL_RES, m.type());
                assertEquals("JAVA-HTTPS", m.header().get(Field.ARBITRARY_FILE_IDENTIFIER));
                assertEquals(p[3], m.persons().get(0).get(Field.INSURED_ID_NUMBER));
            }
            ctx.closeHttps();
            ctx.closeHttps(); // harmless when none is open
            ctx.setHttpsPath(MessageType.QUAL_REQ, "/no/such/path");
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.httpsExchange(MessageType.QUAL_REQ, body, null));
            assertEquals(Status.HTTP_STATUS, e.getStatus());
            assertEquals(ForeignKind.HTTP, e.getForeignKind());
            assertEquals(404, e.getForeignValue());
            ctx.setHttpsPath(MessageType.QUAL_REQ, null);
            try (Message m = ctx.decode(ctx.httpsExchange(MessageType.QUAL_REQ, body, null), 0)) {
                assertEquals(MessageType.QUAL_RES, m.type());
            }
            e = assertThrows(OnshiException.class, () -> ctx.setHttpsPath(MessageType.QUAL_REQ, "no-slash"));
            assertEquals(Status.INVALID_ARG, e.getStatus());
        }
    }

    private static long rssKib() throws Exception {
        String[] f = new String(Files.readAllBytes(Paths.get("/proc/self/statm"))).trim().split(" ");
        return Long.parseLong(f[1]) * 4;
    }

    @Test
    void noLeakInThePendingCalls() throws Exception {
        Path dir = workDir("java-leak");
        try (Context ctx = files(dir)) {
            String id = ctx.sendFile(MessageType.QUAL_REQ, qualificationRequest(TestEnv.persons().get(4), "JAVA-LEAK"));
            for (int i = 0; i < 5000; i++) { // warm up: JIT, heap (the JVM runs with a fixed heap)
                once(ctx, id);
            }
            System.gc();
            long before = rssKib();
            for (int i = 0; i < 10000; i++) {
                once(ctx, id);
            }
            System.gc();
            long after = rssKib();
            System.out.printf("RSS java pending: %d KiB before, %d KiB after 10000 calls (+%d KiB)%n", before, after, after - before);
            assertTrue(after - before < 8192, before + " -> " + after);
        }
    }

    private static void once(Context ctx, String id) throws OnshiException {
        assertEquals(FileState.PUBLISHED, ctx.getPending(id).state());
        List<Pending> all = ctx.pending(true);
        assertEquals(1, all.size());
        assertEquals(id, all.get(0).id());
        assertEquals(FileState.PUBLISHED, ctx.fileState(id));
    }
}
