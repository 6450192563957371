// The Java binding without a server. SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class CoreTest {
    private static Path data(String name) {
        return Paths.get(TestEnv.root(), "test", "data", "codec", name);
    }

    @Test
    void everyHeaderConstantIsInTheBinding() throws Exception {
        Map<String, Long> header = new HashMap<>();
        Pattern re = Pattern.compile("^#define\\s+(ONSHI_[A-Z0-9_]+)\\s+\\(?(-?\\s*(?:0x[0-9a-fA-F]+|\\d+))\\)?\\s*(?:/\\*.*)?$",
                Pattern.MULTILINE);
        for (String h : new String[] {"onshi.h", "onshi_transport.h"}) {
            Path p = Paths.get(TestEnv.root(), "include", h);
            if (!Files.exists(p)) {
                continue;
            }
            Matcher m = re.matcher(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
            while (m.find()) {
                String v = m.group(2).replace(" ", "");
                header.put(m.group(1), v.contains("0x") ? Long.parseLong(v.replace("0x", ""), 16) : Long.parseLong(v));
            }
        }
        assertTrue(header.size() > 300);
        List<String> missing = new ArrayList<>();
        for (String k : header.keySet()) {
            if (!Constants.C_NAMES.containsKey(k)) {
                missing.add(k);
            } else {
                assertEquals(header.get(k), Constants.C_NAMES.get(k), k);
            }
        }
        assertEquals(List.of(), missing, "run tools/gen-bindings.py");
    }

    @Test
    void everyDeclaredFunctionIsExportedByTheLibrary() {
        com.sun.jna.NativeLibrary lib = com.sun.jna.NativeLibrary.getInstance(TestEnv.get("ONSHI_LIBRARY"));
        List<String> missing = new ArrayList<>();
        int n = 0;
        for (java.lang.reflect.Method m : NativeLib.class.getDeclaredMethods()) {
            n++;
            try {
                lib.getFunction(m.getName());
            } catch (UnsatisfiedLinkError e) {
                missing.add(m.getName());
            }
        }
        assertTrue(n > 140);
        assertEquals(List.of(), missing);
    }

    @Test
    void version() {
        assertTrue(Onshi.version().startsWith(HeaderVersion.VERSION_MAJOR + "."));
        assertEquals(HeaderVersion.VERSION_MAJOR, Onshi.versionInfo()[0]);
    }

    @Test
    void statusesInBothLanguages() {
        assertEquals("ONSHI_E_NOMEM", Onshi.statusName(Status.NOMEM));
        assertEquals("out of memory", Onshi.statusLabel(-3, "en"));
        assertEquals("メモリが不足しています", Onshi.statusLabel(-3, "ja"));
        assertEquals(Band.JPKI, Onshi.statusBand(Status.JPKI_PIN_LOCKED));
    }

    @Test
    void errorMappingCarriesNameAndBothLanguages() throws Exception {
        try (Context ctx = new Context()) {
            ctx.set(Option.LANG, "en");
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.set("log_redact", 7));
            assertEquals(Status.OPTION_RANGE, e.getStatus());
            assertEquals("ONSHI_E_OPTION_RANGE", e.getName());
            assertTrue(e.getMessageEn().contains("log_redact"));
            assertEquals("オプションの値が範囲外です", e.getMessageJa());
            assertEquals(Status.OPTION_TYPE,
                    assertThrows(OnshiException.class, () -> ctx.getString(Option.TLS_PKCS12_PASSWORD)).getStatus());
        }
        try (Context ctx = new Context()) {
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.set(Option.LANG, "fr"));
            assertTrue(e.getMessageJa().startsWith("オプションの値が範囲外です"));
            assertEquals("option value out of range", e.getMessageEn());
        }
        try (Context ctx = new Context()) {
            // text as onshi.conf and `onshi --set` take it: the library's one parser
            ctx.set("transport", "https").setText("result_timeout_ms", "1500");
            assertEquals(Transport.HTTPS, ctx.getInt(Option.TRANSPORT));
            assertEquals(1500L, ctx.getInt(Option.RESULT_TIMEOUT_MS));
            ctx.set(Option.LANG, "en");
            OnshiException e = assertThrows(OnshiException.class, () -> ctx.set("transport", "htps"));
            assertEquals(Status.CONFIG, e.getStatus());
            assertTrue(e.getMessageEn().contains("file|https"));
        }
        assertEquals(Status.CHECK_DIGIT,
                assertThrows(OnshiException.class, () -> Onshi.insurerNumberCheck("01130112")).getStatus());
        Onshi.insurerNumberCheck("01130111");
    }

    @Test
    void decodeEverySampleMessage() throws Exception {
        File[] files = data("").toFile().listFiles((d, n) -> n.endsWith(".xml"));
        assertTrue(files.length > 20);
        Set<Integer> seen = new HashSet<>();
        try (Context ctx = new Context()) {
            for (File f : files) {
                try (Message m = ctx.decodeFile(f.getPath())) {
                    assertEquals(Onshi.messageTypeFromFileName(f.getName()), m.type(), f.getName());
                    seen.add(m.type());
                    assertEquals(GroupKind.HEADER, m.header().kind());
                    assertTrue(m.toJson(ctx).startsWith("{"));
                }
            }
        }
        assertTrue(seen.contains(MessageType.QUAL_RES) && seen.contains(MessageType.FACE_RES));
    }

    @Test
    void groupModelAndEncodeRoundTrip() throws Exception {
        try (Context ctx = new Context()) {
            ctx.set(Option.REQUEST_ENCODING, RequestEncoding.UTF8);
            Group kept;
            try (Message res = ctx.decodeFile(data("OQSsiquc01res_202501150001.xml").toString())) {
                List<Group> p = res.persons();
                assertNotNull(p.get(0).get(Field.NAME));
                assertEquals(List.of(p.get(0).get(Field.NAME)), p.get(0).getAll(Field.NAME));
                assertTrue(ctx.personSex(p.get(0))[0].matches("[123]"));
                assertTrue(ctx.personCompare(p.get(0), p.get(0)).isEmpty());
                kept = p.get(0);
            }
            assertThrows(IllegalStateException.class, () -> kept.get(Field.NAME));
            try (Message req = Message.create(MessageType.QUAL_REQ)) {
                req.header().set(Field.QUALIFICATION_CONFIRMATION_DATE, "20260401")
                        .set(Field.MEDICAL_INSTITUTION_CODE, "1311234569")
                        .set(Field.ARBITRARY_FILE_IDENTIFIER, "java-roundtrip-1");
                Group s = req.body().add(GroupKind.SEARCH);
                s.set(Field.SEARCH_INSURER_NUMBER, "01130112").set(Field.SEARCH_INSURED_CARD_SYMBOL, "101-01")
                        .set(Field.SEARCH_INSURED_ID_NUMBER, "0001037").set(Field.SEARCH_INSURED_BRANCH_NUMBER, "01")
                        .set(Field.SEARCH_BIRTHDATE, "19800401").set(Field.SEARCH_LIMIT_CONS_FLG, "0");
                assertEquals(Status.CHECK_DIGIT, assertThrows(OnshiException.class, () -> req.encode(ctx)).getStatus());
                s.set(Field.SEARCH_INSURER_NUMBER, "01130111");
                byte[] xml = req.encode(ctx);
                assertTrue(new String(xml, StandardCharsets.UTF_8).contains("<InsurerNumber>01130111</InsurerNumber>"));
                try (Message back = ctx.decode(xml, 0);
                     Message again = ctx.fromJson(MessageType.QUAL_REQ, back.toJson(ctx))) {
                    assertArrayEquals(xml, again.encode(ctx));
                }
            }
        }
    }

    @Test
    void bulkReaderStreamsUnits() throws Exception {
        try (Context ctx = new Context();
             BulkReader r = ctx.openBulkReader(Files.readAllBytes(data("OQSmuquc02res_202501150003.xml")),
                     MessageType.BULK_QUAL_DOWN_RES)) {
            int n = 0;
            Group first = null;
            for (Group u = r.next(); u != null; u = r.next()) {
                assertNotNull(u.get(Field.UNIT_PROCESSING_RESULT_STATUS));
                if (first == null) {
                    first = u;
                }
                n++;
            }
            assertTrue(n > 1);
            Group gone = first;
            // the first unit was replaced by the next: refused, not a dangling read
            assertThrows(IllegalStateException.class, () -> gone.get(Field.UNIT_PROCESSING_RESULT_STATUS));
            assertEquals(GroupKind.BODY, r.body().kind()); // header and body stay valid
        }
    }

    @Test
    void limitCalculator() throws Exception {
        assertEquals(87430, Onshi.limitCeiling("A03", 1000000, LimitScope.ALL, 0, 202607));
        assertEquals(18000, Onshi.limitCeiling("B04", 300000, LimitScope.OUTPATIENT, 0, 202607));
        assertEquals(30000, Onshi.limitCopay("A03", 100000, 30, LimitScope.ALL, 0, 202607));
        assertEquals(144000, Onshi.limitYearlyCap("B04", LimitScope.OUTPATIENT, 0, 202607));
        assertEquals(Status.NOT_FOUND,
                assertThrows(OnshiException.class, () -> Onshi.limitYearlyCap("A03", LimitScope.ALL, 0, 202607)).getStatus());
        // the August 2026 revision; B09 (後期高齢者 一般Ⅱ) unconfirmed: -510 unless provisional
        assertEquals(92940, Onshi.limitCeiling("A03", 1000000, LimitScope.ALL, 0, 202611));
        assertEquals(-510, assertThrows(OnshiException.class,
                () -> Onshi.limitCeiling("B09", 300000, LimitScope.OUTPATIENT, 0, 202611)).getStatus());
        assertEquals(22000, Onshi.limitCeiling("B09", 300000, LimitScope.OUTPATIENT, LimitFlags.PROVISIONAL, 202611));
        assertTrue(Onshi.optionIsSecret(Option.TLS_PKCS12_PASSWORD));
        assertTrue(!Onshi.optionIsSecret(Option.REQ_DIR));
        try (Context ctx = new Context();
             Request r = new Request(RequestKind.LIMIT).set(Param.CLASS_CODE, "Z99").set(Param.TOTAL_COST, 1)) {
            ctx.set(Option.LANG, "en");
            assertTrue(assertThrows(OnshiException.class, () -> ctx.limitCeiling(r)).getMessage().contains("Z99"));
        }
        try (Request r = new Request(RequestKind.LIMIT)) {
            assertEquals(Status.FIELD_ID,
                    assertThrows(OnshiException.class, () -> r.set(Param.INSURER_NUMBER, "06139990")).getStatus());
        }
    }

    @Test
    void faceWatchDeliversEachResultOnce() throws Exception {
        Path dir = Paths.get(TestEnv.get("ONSHI_TEST_TMP"), "java-face");
        Files.createDirectories(dir);
        File src = data("").toFile().listFiles((d, n) -> n.startsWith("OQSsiquc01res_face_"))[0];
        Files.copy(src.toPath(), dir.resolve(src.getName()), StandardCopyOption.REPLACE_EXISTING);
        try (Context ctx = new Context()) {
            ctx.set(Option.FACE_DIR, dir.toString()).set(Option.STATE_DB, dir.resolveSibling("java-face.db").toString());
            try (FaceWatch w = ctx.watchFaceFolder(FaceWatchFlags.DELIVER_EXISTING)) {
                try (Message m = w.next(0)) {
                    assertEquals(MessageType.FACE_RES, m.type());
                }
                assertNull(w.next(0));
            }
        }
    }

    @Test
    void cancelFromAnotherThreadStopsAWait() throws Exception {
        Path dir = Paths.get(TestEnv.get("ONSHI_TEST_TMP"), "java-face-cancel");
        Files.createDirectories(dir);
        try (Context ctx = new Context()) {
            ctx.set(Option.FACE_DIR, dir.toString()).set(Option.STATE_DB, dir + ".db");
            try (FaceWatch w = ctx.watchFaceFolder(0)) {
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException ignored) {
                        // cancel at once
                    }
                    ctx.cancel();
                });
                t.start();
                OnshiException e = assertThrows(OnshiException.class, () -> w.next(-1));
                t.join();
                assertEquals(Status.CANCELLED, e.getStatus());
            }
        }
    }

    @Test
    void diagnoseNamesTheMissingFolder() throws Exception {
        try (Context ctx = new Context()) {
            ctx.set(Option.LANG, "en").set(Option.TRANSPORT, Transport.FILE).set(Option.REQ_DIR, "/nonexistent/req")
                    .set(Option.RES_DIR, "/nonexistent/res");
            List<Context.DiagItem> items = ctx.diagnose();
            assertEquals(DiagCheck.FOLDERS, items.get(0).check);
            assertEquals(DiagOutcome.FAIL, items.get(0).outcome);
            assertTrue(items.get(0).message.contains("nonexistent"));
        }
    }

    private static long rssKib() throws Exception {
        String[] f = new String(Files.readAllBytes(Paths.get("/proc/self/statm"))).trim().split(" ");
        return Long.parseLong(f[1]) * 4;
    }

    @Test
    void noLeakUnder10000Calls() throws Exception {
        byte[] xml = Files.readAllBytes(data("OQSsiquc01res_202501150001.xml"));
        for (int i = 0; i < 5000; i++) { // warm up: JIT, heap (the JVM runs with a fixed heap)
            once(xml);
        }
        System.gc();
        long before = rssKib();
        for (int i = 0; i < 10000; i++) {
            once(xml);
        }
        System.gc();
        long after = rssKib();
        System.out.printf("RSS java: %d KiB before, %d KiB after 10000 calls (+%d KiB)%n", before, after, after - before);
        assertTrue(after - before < 8192, before + " -> " + after);
    }

    private static void once(byte[] xml) throws Exception {
        try (Context ctx = new Context()) {
            ctx.set(Option.LANG, "en");
            try (Message m = ctx.decode(xml, 0)) {
                assertNotNull(m.persons().get(0).get(Field.NAME));
            }
            try {
                ctx.set("log_redact", 7);
            } catch (OnshiException expected) {
                // the error path too
            }
        }
        Onshi.limitCeiling("A03", 1000000, LimitScope.ALL, 0, 202607);
    }
}
