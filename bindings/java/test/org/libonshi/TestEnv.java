// Environment of the Java binding tests (bindings/with-sim.sh sets it; a missing variable is a
// failure, never a skip) and the in-process virtual card. SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

final class TestEnv {
    private TestEnv() {}

    static String get(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            fail(name + " is not set: run the tests through `make java-binding-test` (bindings/with-sim.sh)");
        }
        return v;
    }

    static String root() {
        return get("ONSHI_SOURCE_ROOT");
    }

    static List<String[]> persons() throws Exception {
        List<String[]> l = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(get("ONSHI_TEST_PERSONS")))) {
            if (!line.isEmpty()) {
                l.add(line.split(",", -1));
            }
        }
        return l;
    }

    static Context https() throws OnshiException {
        Context ctx = new Context();
        ctx.set(Option.LANG, "en").set(Option.TRANSPORT, Transport.HTTPS)
                .set(Option.SERVER_URL, get("ONSHI_TEST_URL")).set(Option.TLS_CA_FILE, get("ONSHI_TEST_CA"))
                .set(Option.TLS_CLIENT_CERT, get("ONSHI_TEST_CLIENT_CERT"))
                .set(Option.TLS_CLIENT_KEY, get("ONSHI_TEST_CLIENT_KEY"))
                .set(Option.MEDICAL_INSTITUTION_CODE, get("ONSHI_TEST_INSTITUTION"))
                .set(Option.OPERATOR_ID, "java-test")
                .set(Option.STATE_DB, Paths.get(get("ONSHI_TEST_TMP"), "java-state.db").toString())
                .set(Option.BATCH_POLL_BASE_MS, 100);
        return ctx;
    }

    static Request verify(String[] p) throws OnshiException {
        return new Request(RequestKind.INSURANCE_CARD_VERIFY).set(Param.INSURER_NUMBER, p[1])
                .set(Param.SYMBOL, p[2]).set(Param.NUMBER, p[3]).set(Param.BRANCH, p[4]).set(Param.BIRTHDATE, p[5]);
    }

    interface TestCardLib extends Library {
        int testcard_new(PointerByReference out, String cert, String key, String ca, String pin, int tries);

        void testcard_free(Pointer card);

        int testcard_transmit(Pointer card, byte[] cmd, SizeT len, byte[] resp, SizeT cap, SizeT.ByReference rlen);

        int testcard_reset(Pointer card);

        long testcard_signs(Pointer card);

        int testcard_tries_left(Pointer card);
    }

    /** The virtual My Number Card in-process, driven through the binding's own card driver
     *  callbacks. */
    static final class TestCard implements AutoCloseable {
        private static final TestCardLib LIB = Native.load(get("ONSHI_TESTCARD_LIB"), TestCardLib.class);
        private Pointer h;

        TestCard() {
            PointerByReference out = new PointerByReference();
            assertEquals(0, LIB.testcard_new(out, get("ONSHI_TEST_CARD_CERT"), get("ONSHI_TEST_CARD_KEY"),
                    get("ONSHI_TEST_JPKI_CA"), "1234", 3));
            h = out.getValue();
        }

        byte[] transmit(byte[] apdu) {
            byte[] resp = new byte[4096];
            SizeT.ByReference n = new SizeT.ByReference();
            assertEquals(0, LIB.testcard_transmit(h, apdu, new SizeT(apdu.length), resp, new SizeT(4096), n));
            return java.util.Arrays.copyOf(resp, (int) n.getValue());
        }

        long signs() {
            return LIB.testcard_signs(h);
        }

        int triesLeft() {
            return LIB.testcard_tries_left(h);
        }

        Context plug(Context ctx) throws OnshiException {
            ctx.set(Option.CARD_DRIVER, CardDriver.CALLBACK).set(Option.JPKI_CA_FILES, get("ONSHI_TEST_JPKI_CA"))
                    .set(Option.CARD_WAIT_TIMEOUT_MS, 0);
            ctx.cardDriver(this::transmit, () -> LIB.testcard_reset(h));
            ctx.onConsent(offered -> offered & (Consent.DRUG | Consent.CHECKUP));
            return ctx;
        }

        @Override
        public void close() {
            if (h != null) {
                LIB.testcard_free(h);
                h = null;
            }
        }
    }
}
