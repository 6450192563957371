// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An onshi_ctx: options, callbacks, last error, workflows. One thread at a time; cancel() from
 * any. Callbacks run on the thread that makes the call; an unchecked exception thrown in one
 * cancels the call and is thrown again from it, as it was. Installed callbacks are held
 * strongly by the context.
 */
public final class Context extends Handle {
    private RuntimeException pendingRuntime;
    private Error pendingError;
    private NativeCallbacks installed; // strong references to the installed callbacks

    private static Pointer make() throws OnshiException {
        PointerByReference out = new PointerByReference();
        OnshiException.check(Onshi.LIB.onshi_ctx_new(out));
        return out.getValue();
    }

    /** A context with every option at its default. */
    public Context() throws OnshiException {
        super(make(), Onshi.LIB::onshi_ctx_free);
    }

    // ---- errors
    void call(int rc) throws OnshiException {
        call(rc, null);
    }

    void call(int rc, String pendingId) throws OnshiException {
        if (pendingRuntime != null || pendingError != null) {
            RuntimeException r = pendingRuntime;
            Error e = pendingError;
            pendingRuntime = null;
            pendingError = null;
            if (e != null) {
                throw e;
            }
            throw r;
        }
        if (rc >= 0) {
            return;
        }
        IntByReference fk = new IntByReference();
        LongByReference fv = new LongByReference();
        Onshi.LIB.onshi_ctx_last_error_foreign(fk, fv, ptr());
        String msg = Onshi.LIB.onshi_ctx_last_error_message(ptr());
        if (rc == Status.PENDING && pendingId != null) {
            throw new PendingException(rc, msg, lang(), fk.getValue(), fv.getValue(), pendingId);
        }
        throw new OnshiException(rc, msg, lang(), fk.getValue(), fv.getValue());
    }

    void fail(Throwable t) {
        if (pendingRuntime == null && pendingError == null) {
            if (t instanceof Error) {
                pendingError = (Error) t;
            } else {
                pendingRuntime = (RuntimeException) t;
            }
        }
        try {
            Onshi.LIB.onshi_ctx_set_error(ptr(), Status.CALLBACK, t.getClass().getSimpleName() + ": " + t.getMessage());
        } catch (RuntimeException ignored) {
            // the error text is only detail
        }
    }

    /** The status of the last failed call. */
    public int lastError() {
        return Onshi.LIB.onshi_ctx_last_error(ptr());
    }

    public String lastErrorMessage() {
        return Onshi.LIB.onshi_ctx_last_error_message(ptr());
    }

    /** Stop the running (or next) call: it throws OnshiException(CANCELLED). Any thread. */
    public void cancel() {
        if (!isClosed()) {
            Onshi.LIB.onshi_ctx_cancel(ptr());
        }
    }

    // ---- options
    /** Set a string option (a constant of {@link Option}); null restores the default. */
    public Context set(int option, String value) throws OnshiException {
        call(Onshi.LIB.onshi_ctx_set_str(ptr(), option, value));
        return this;
    }

    public Context set(int option, long value) throws OnshiException {
        call(Onshi.LIB.onshi_ctx_set_int(ptr(), option, value));
        return this;
    }

    public Context set(int option, byte[] value) throws OnshiException {
        call(Onshi.LIB.onshi_ctx_set_bytes(ptr(), option, value, new SizeT(value == null ? 0 : value.length)));
        return this;
    }

    /** Set an option by its configuration name ("req_dir"): String, Number or byte[]. */
    public Context set(String name, Object value) throws OnshiException {
        int o = Onshi.optionId(name);
        if (value instanceof String && Onshi.LIB.onshi_option_type(o) == OptionType.INT) {
            return setText(name, (String) value); // "transport", "https"
        }
        if (value == null || value instanceof String) {
            return set(o, (String) value);
        }
        if (value instanceof byte[]) {
            return set(o, (byte[]) value);
        }
        return set(o, ((Number) value).longValue());
    }

    /**
     * Set an option from its name and text exactly as onshi.conf, the ONSHI_* variables and
     * {@code onshi --set} take it (the library's one parser): a number or, for enumerated
     * options, a name ("transport", "https"); hex for byte options; an empty text restores the
     * default. For settings screens.
     */
    public Context setText(String name, String text) throws OnshiException {
        call(Onshi.LIB.onshi_ctx_set_option(ptr(), name, text));
        return this;
    }

    public String getString(int option) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_ctx_get_str(out, ptr(), option));
        return Onshi.str(out.getValue());
    }

    public long getInt(int option) throws OnshiException {
        LongByReference out = new LongByReference();
        call(Onshi.LIB.onshi_ctx_get_int(out, ptr(), option));
        return out.getValue();
    }

    /** The message language ("ja" or "en"). */
    public String lang() {
        PointerByReference out = new PointerByReference();
        if (!isClosed() && Onshi.LIB.onshi_ctx_get_str(out, ptr(), Option.LANG) == 0 && out.getValue() != null) {
            return Onshi.str(out.getValue());
        }
        return "ja";
    }

    /** onshi.conf (null: none), then the ONSHI_* environment variables. */
    public Context loadConfig(String path) throws OnshiException {
        call(Onshi.LIB.onshi_ctx_load_config(ptr(), path));
        return this;
    }

    // ---- callbacks (functional interfaces; unchecked exceptions cancel and are re-thrown)
    /** What the PIN callback is asked with. */
    public static final class PinRequest {
        public final int triesLeft;
        public final boolean lastTry;
        /** Set to true to allow the last try. */
        public boolean confirmLastTry;

        PinRequest(int triesLeft, boolean lastTry) {
            this.triesLeft = triesLeft;
            this.lastTry = lastTry;
        }
    }

    public interface PinHandler {
        /** The PIN as characters (wiped after use), or null to cancel. */
        char[] pin(PinRequest request);
    }

    public interface ConsentHandler {
        /** The {@link Consent} bits granted out of those offered. */
        int granted(int offered);
    }

    public interface IdentityHandler {
        /** True only when the person was positively identified. */
        boolean identified(int method, Certificate cert);
    }

    public interface ProgressHandler {
        /** False cancels. */
        boolean progress(int stage, long done, long total);
    }

    /** One audit callback call. */
    public static final class AuditRecord {
        public final int action, phase, outcome;
        public final String operatorId, patient, detail, timestamp;

        AuditRecord(int action, int phase, int outcome, String operatorId, String patient, String detail,
                    String timestamp) {
            this.action = action;
            this.phase = phase;
            this.outcome = outcome;
            this.operatorId = operatorId;
            this.patient = patient;
            this.detail = detail;
            this.timestamp = timestamp;
        }
    }

    public interface AuditHandler {
        /** False at {@link AuditPhase#BEFORE} refuses the access. */
        boolean audit(AuditRecord record);
    }

    public interface LogHandler {
        void log(int level, String component, String message);
    }

    public interface CardEventHandler {
        boolean event(int event, String reader);
    }

    public interface CertExpiryHandler {
        void expiresSoon(int daysLeft, String subject);
    }

    public interface TransmitHandler {
        byte[] transmit(byte[] apdu);
    }

    private PinHandler onPin;
    private ConsentHandler onConsent;
    private IdentityHandler onIdentity;
    private ProgressHandler onProgress;
    private AuditHandler onAudit;
    private LogHandler onLog;
    private CardEventHandler onCardEvent;
    private CertExpiryHandler onCertExpiry;
    private TransmitHandler cardTransmit;
    private Runnable cardReset;

    public Context onPin(PinHandler h) throws OnshiException {
        onPin = h;
        return install();
    }

    public Context onConsent(ConsentHandler h) throws OnshiException {
        onConsent = h;
        return install();
    }

    public Context onIdentity(IdentityHandler h) throws OnshiException {
        onIdentity = h;
        return install();
    }

    public Context onProgress(ProgressHandler h) throws OnshiException {
        onProgress = h;
        return install();
    }

    public Context onAudit(AuditHandler h) throws OnshiException {
        onAudit = h;
        return install();
    }

    public Context onLog(LogHandler h) throws OnshiException {
        onLog = h;
        return install();
    }

    public Context onCardEvent(CardEventHandler h) throws OnshiException {
        onCardEvent = h;
        return install();
    }

    public Context onCertExpiry(CertExpiryHandler h) throws OnshiException {
        onCertExpiry = h;
        return install();
    }

    /** Vendor card driver ({@link CardDriver#CALLBACK}): transmit and reset. */
    public Context cardDriver(TransmitHandler transmit, Runnable reset) throws OnshiException {
        cardTransmit = transmit;
        cardReset = reset;
        return install();
    }

    private Context install() throws OnshiException {
        NativeCallbacks c = new NativeCallbacks();
        if (onLog != null) {
            LogHandler h = onLog;
            c.log = (ud, level, comp, msg) -> {
                try {
                    h.log(level, Onshi.str(comp), Onshi.str(msg));
                } catch (RuntimeException ignored) {
                    // a log line cannot stop anything
                }
            };
        }
        if (cardTransmit != null) {
            TransmitHandler h = cardTransmit;
            c.card_transmit = (ud, cmd, len, resp, cap, rlen) -> {
                try {
                    byte[] r = h.transmit(cmd.getByteArray(0, (int) len.longValue()));
                    if (r == null || r.length < 2 || r.length > cap.longValue()) {
                        throw new IllegalStateException("card transmit: answer of " + (r == null ? 0 : r.length) + " bytes");
                    }
                    resp.write(0, r, 0, r.length);
                    if (Native.SIZE_T_SIZE == 8) {
                        rlen.setLong(0, r.length);
                    } else {
                        rlen.setInt(0, r.length);
                    }
                    return 0;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return Status.CARD_DRIVER;
                }
            };
        }
        if (cardReset != null) {
            Runnable h = cardReset;
            c.card_reset = ud -> {
                try {
                    h.run();
                    return 0;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return Status.CARD_DRIVER;
                }
            };
        }
        if (onCardEvent != null) {
            CardEventHandler h = onCardEvent;
            c.card_event = (ud, ev, reader) -> {
                try {
                    return h.event(ev, Onshi.str(reader)) ? 0 : 1;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return 1;
                }
            };
        }
        if (onPin != null) {
            PinHandler h = onPin;
            c.pin = (ud, tries, last, buf, size, confirm) -> {
                try {
                    PinRequest req = new PinRequest(tries, last != 0);
                    char[] pin = h.pin(req);
                    if (pin == null) {
                        return 1;
                    }
                    try {
                        if (pin.length + 1 > size.longValue()) {
                            throw new IllegalArgumentException("PIN too long");
                        }
                        for (int i = 0; i < pin.length; i++) {
                            buf.setByte(i, (byte) pin[i]);
                        }
                        buf.setByte(pin.length, (byte) 0);
                    } finally {
                        Arrays.fill(pin, '\0');
                    }
                    confirm.setInt(0, req.confirmLastTry ? 1 : 0);
                    return 0;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return 1;
                }
            };
        }
        if (onCertExpiry != null) {
            CertExpiryHandler h = onCertExpiry;
            c.cert_expiry = (ud, days, subject) -> {
                try {
                    h.expiresSoon(days, Onshi.str(subject));
                } catch (RuntimeException ignored) {
                    // the warning never stops an exchange
                }
                return 0;
            };
        }
        if (onProgress != null) {
            ProgressHandler h = onProgress;
            c.progress = (ud, stage, done, total) -> {
                try {
                    return h.progress(stage, done, total) ? 0 : 1;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return 1;
                }
            };
        }
        if (onConsent != null) {
            ConsentHandler h = onConsent;
            c.consent = (ud, offered, granted) -> {
                try {
                    granted.setInt(0, h.granted(offered) & offered);
                    return 0;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return 1;
                }
            };
        }
        if (onAudit != null) {
            AuditHandler h = onAudit;
            c.audit = (ud, action, phase, outcome, op, patient, detail, ts) -> {
                try {
                    return h.audit(new AuditRecord(action, phase, outcome, Onshi.str(op), Onshi.str(patient),
                            Onshi.str(detail), Onshi.str(ts))) ? 0 : 1;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return 1;
                }
            };
        }
        if (onIdentity != null) {
            IdentityHandler h = onIdentity;
            c.identity = (ud, method, cert, verified) -> {
                try (Certificate view = new Certificate(cert, false)) {
                    verified.setInt(0, h.identified(method, view) ? 1 : 0);
                    return 0;
                } catch (RuntimeException | Error e) {
                    fail(e);
                    return 1;
                }
            };
        }
        call(Onshi.LIB.onshi_ctx_set_callbacks(ptr(), c));
        installed = c; // held while installed
        return this;
    }

    // ---- codec
    /** Decode an XML message (type 0: from the content). */
    public Message decode(byte[] data, int type) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_msg_decode(out, ptr(), type, data, new SizeT(data.length)));
        return new Message(out.getValue(), true);
    }

    public Message decodeFile(String path) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_msg_decode_file(out, ptr(), path));
        return new Message(out.getValue(), true);
    }

    public Message fromJson(int type, String json) throws OnshiException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_msg_from_json(out, ptr(), type, json, new SizeT(b.length)));
        return new Message(out.getValue(), true);
    }

    public BulkReader openBulkReader(String path, int type) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_bulk_reader_open(out, ptr(), path, type));
        return new BulkReader(out.getValue(), this, null);
    }

    /** A reader over bytes in memory (copied). */
    public BulkReader openBulkReader(byte[] data, int type) throws OnshiException {
        Memory mem = new Memory(Math.max(1, data.length));
        mem.write(0, data, 0, data.length);
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_bulk_reader_open_mem(out, ptr(), mem, new SizeT(data.length), type));
        return new BulkReader(out.getValue(), this, mem);
    }

    public Certificate certificateFromDer(byte[] der) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_cert_from_der(out, ptr(), der, new SizeT(der.length)));
        return new Certificate(out.getValue(), true);
    }

    // ---- card
    public List<String> cardReaders() throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_card_readers(out, new SizeT.ByReference(), ptr()));
        List<String> l = new ArrayList<>();
        for (String s : new String(Message.take(out), StandardCharsets.UTF_8).split("\0")) {
            if (!s.isEmpty()) {
                l.add(s);
            }
        }
        return l;
    }

    public int cardWait(int want, int timeoutMs) throws OnshiException {
        IntByReference ev = new IntByReference();
        call(Onshi.LIB.onshi_card_wait(ev, ptr(), want, timeoutMs));
        return ev.getValue();
    }

    public Card openCard() throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_card_open(out, ptr()));
        return new Card(out.getValue(), this);
    }

    public int clientCertDaysLeft() throws OnshiException {
        IntByReference out = new IntByReference();
        call(Onshi.LIB.onshi_client_cert_days_left(out, ptr()));
        return out.getValue();
    }

    // ---- workflows
    private interface PendingCall {
        int run(PointerByReference out, byte[] id, SizeT size);
    }

    private Message withPendingId(PendingCall f) throws OnshiException {
        byte[] id = new byte[Sizes.FILE_ID_SIZE];
        PointerByReference out = new PointerByReference();
        int rc = f.run(out, id, new SizeT(id.length));
        int n = 0;
        while (n < id.length && id[n] != 0) {
            n++;
        }
        String pid = new String(id, 0, n, StandardCharsets.US_ASCII);
        call(rc, pid);
        return new Message(out.getValue(), true).withRequestId(pid);
    }

    /** 資格確認 by the insurance card's numbers; PendingException when the result has not come
     *  in time (file transport). */
    public Message insuranceCardVerify(Request req) throws OnshiException {
        Pointer r = req.ptr();
        return withPendingId((out, id, n) -> Onshi.LIB.onshi_insurance_card_verify(out, id, n, ptr(), r));
    }

    /** Register a 照会番号. */
    public Message refnumRegister(Request req) throws OnshiException {
        Pointer r = req.ptr();
        return withPendingId((out, id, n) -> Onshi.LIB.onshi_refnum_register(out, id, n, ptr(), r));
    }

    /** 薬剤情報 / 特定健診情報 of a person under consent (refused locally without it). */
    public Message infoRequest(Group person, Request req) throws OnshiException {
        Pointer r = req.ptr(), p = person.ptr();
        return withPendingId((out, id, n) -> Onshi.LIB.onshi_info_request(out, id, n, ptr(), p, r));
    }

    public Message resultPickup(String pendingId, int requestType, long timeoutMs) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_result_pickup(out, ptr(), pendingId, requestType, timeoutMs));
        return new Message(out.getValue(), true);
    }

    /** Verification with the My Number Card in the reader (direct mode). */
    public Message myNumberCardVerify(Request req) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_mynumber_card_verify(out, ptr(), req.ptr()));
        return new Message(out.getValue(), true);
    }

    /** Disaster-mode search (audited). */
    public Message disasterSearch(Request req) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_disaster_search(out, ptr(), req.ptr()));
        return new Message(out.getValue(), true);
    }

    public void resultCheck(Message result) throws OnshiException {
        call(Onshi.LIB.onshi_result_check(ptr(), result.ptr()));
    }

    /** QualificationValidity (1 有効 ... 5 複数該当). */
    public int resultValidity(Message result) throws OnshiException {
        IntByReference v = new IntByReference();
        call(Onshi.LIB.onshi_result_validity(v, null, ptr(), result.ptr()));
        return v.getValue();
    }

    /** The label of the QualificationValidity in the context's language. */
    public String resultValidityLabel(Message result) throws OnshiException {
        IntByReference v = new IntByReference();
        PointerByReference l = new PointerByReference();
        call(Onshi.LIB.onshi_result_validity(v, l, ptr(), result.ptr()));
        return Onshi.str(l.getValue());
    }

    /** Throws NO_CONSENT / CONSENT_EXPIRED unless the person consented to the item now. */
    public void personConsent(Group person, int item, String now) throws OnshiException {
        call(Onshi.LIB.onshi_person_consent(ptr(), person.ptr(), item, now));
    }

    public boolean hasConsent(Group person, int item) throws OnshiException {
        try {
            personConsent(person, item, null);
            return true;
        } catch (OnshiException e) {
            if (e.getStatus() == Status.NO_CONSENT || e.getStatus() == Status.CONSENT_EXPIRED) {
                return false;
            }
            throw e;
        }
    }

    /** {code, label} of the person's effective sex. */
    public String[] personSex(Group person) throws OnshiException {
        PointerByReference c = new PointerByReference(), l = new PointerByReference();
        call(Onshi.LIB.onshi_person_sex(c, l, ptr(), person.ptr()));
        return new String[] {Onshi.str(c.getValue()), Onshi.str(l.getValue())};
    }

    /** One changed field. */
    public static final class Change {
        public final int field;
        public final String oldValue, newValue, fieldLabel, oldLabel, newLabel;

        Change(int field, String o, String n, String fl, String ol, String nl) {
            this.field = field;
            this.oldValue = o;
            this.newValue = n;
            this.fieldLabel = fl;
            this.oldLabel = ol;
            this.newLabel = nl;
        }
    }

    public List<Change> personCompare(Group previous, Group current) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_person_compare(out, ptr(), previous.ptr(), current.ptr()));
        Pointer ch = out.getValue();
        try {
            List<Change> l = new ArrayList<>();
            long n = Onshi.LIB.onshi_changes_count(ch).longValue();
            for (long i = 0; i < n; i++) {
                IntByReference f = new IntByReference();
                PointerByReference o = new PointerByReference(), nw = new PointerByReference();
                PointerByReference fl = new PointerByReference(), ol = new PointerByReference(),
                        nl = new PointerByReference();
                Onshi.LIB.onshi_changes_at(f, o, nw, ch, new SizeT(i));
                Onshi.LIB.onshi_changes_labels(fl, ol, nl, ch, new SizeT(i));
                l.add(new Change(f.getValue(), Onshi.str(o.getValue()), Onshi.str(nw.getValue()),
                        Onshi.str(fl.getValue()), Onshi.str(ol.getValue()), Onshi.str(nl.getValue())));
            }
            return l;
        } finally {
            Onshi.LIB.onshi_changes_free(ch);
        }
    }

    /** A new batch (a constant of {@link BatchKind}). */
    public Batch newBatch(int kind) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_batch_new(out, ptr(), kind));
        return new Batch(out.getValue(), this);
    }

    public Batch openBatch(String id) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_batch_open(out, ptr(), id));
        return new Batch(out.getValue(), this);
    }

    /** Ids of the saved batches neither done nor failed. */
    public List<String> unfinishedBatches() throws OnshiException {
        List<String> ids = new ArrayList<>();
        String after = null;
        while (true) {
            byte[] buf = new byte[Sizes.BATCH_ID_SIZE];
            int rc = Onshi.LIB.onshi_batch_next_unfinished(buf, new SizeT(buf.length), ptr(), after);
            if (rc == Status.NOT_FOUND) {
                return ids;
            }
            call(rc);
            int n = 0;
            while (n < buf.length && buf[n] != 0) {
                n++;
            }
            after = new String(buf, 0, n, StandardCharsets.UTF_8);
            ids.add(after);
        }
    }

    public long limitCeiling(Request req) throws OnshiException {
        LongByReference out = new LongByReference();
        call(Onshi.LIB.onshi_limit_ceiling(out, ptr(), req.ptr()));
        return out.getValue();
    }

    public long limitCopay(Request req) throws OnshiException {
        LongByReference out = new LongByReference();
        call(Onshi.LIB.onshi_limit_copay(out, ptr(), req.ptr()));
        return out.getValue();
    }

    public long limitYearlyCap(Request req) throws OnshiException {
        LongByReference out = new LongByReference();
        call(Onshi.LIB.onshi_limit_yearly_cap(out, ptr(), req.ptr()));
        return out.getValue();
    }

    /** One check of {@link #diagnose}. */
    public static final class DiagItem {
        public final int check, outcome, status;
        public final String message;

        DiagItem(int check, int outcome, int status, String message) {
            this.check = check;
            this.outcome = outcome;
            this.status = status;
            this.message = message;
        }

        @Override
        public String toString() {
            return check + "/" + outcome + ": " + message;
        }
    }

    /** What is wrong with the configured transport (never sends a request). */
    public List<DiagItem> diagnose() throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_transport_diagnose(out, ptr()));
        Pointer r = out.getValue();
        try {
            List<DiagItem> l = new ArrayList<>();
            long n = Onshi.LIB.onshi_diag_report_count(r).longValue();
            for (long i = 0; i < n; i++) {
                SizeT k = new SizeT(i);
                l.add(new DiagItem(Onshi.LIB.onshi_diag_report_check(r, k), Onshi.LIB.onshi_diag_report_outcome(r, k),
                        Onshi.LIB.onshi_diag_report_status(r, k), Onshi.LIB.onshi_diag_report_message(r, k)));
            }
            return l;
        } finally {
            Onshi.LIB.onshi_diag_report_free(r);
        }
    }

    public FaceWatch watchFaceFolder(int flags) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_face_watch_new(out, ptr(), flags));
        return new FaceWatch(out.getValue(), this);
    }

    // ---- raw transport (include/onshi_transport.h): for vendors who write their own messages
    private static String cstr(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) {
            n++;
        }
        return new String(b, 0, n, StandardCharsets.US_ASCII);
    }

    /** Publish one request file in req/ (a request constant of {@link MessageType}, the file's
     *  bytes as given); returns its 16-digit request id. Never joins an open request. Keep the
     *  id: {@link #waitFile} picks the result up, even after a restart. */
    public String sendFile(int type, byte[] body) throws OnshiException {
        byte[] id = new byte[Sizes.FILE_ID_SIZE];
        call(Onshi.LIB.onshi_file_send(id, new SizeT(id.length), ptr(), type, body, new SizeT(body.length)));
        return cstr(id);
    }

    /** The result of a request sent earlier (by this or a previous process); timeoutMs
     *  negative: {@link Option#RESULT_TIMEOUT_MS}, 0: look once. No result yet throws
     *  {@link PendingException} (its id is this one: call again later, never send again). The
     *  result stays in res/ until {@link #consumeFile}. */
    public FileResult waitFile(String id, long timeoutMs) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_file_wait(out, ptr(), id, timeoutMs), id);
        return new FileResult(out.getValue());
    }

    /** The caller has the result of id: its files leave res/ (deleted, or moved to
     *  {@link Option#ARCHIVE_DIR}) and the request is {@link FileState#CONSUMED}. */
    public void consumeFile(String id) throws OnshiException {
        call(Onshi.LIB.onshi_file_consume(ptr(), id));
    }

    /** The state of a request, a constant of {@link FileState} (NOT_FOUND for an unknown id). */
    public int fileState(String id) throws OnshiException {
        IntByReference st = new IntByReference();
        call(Onshi.LIB.onshi_file_state(st, ptr(), id));
        return st.getValue();
    }

    /** Ids of the requests not yet consumed, in id order. */
    public List<String> pendingFileIds() throws OnshiException {
        List<String> ids = new ArrayList<>();
        String after = null;
        while (true) {
            byte[] buf = new byte[Sizes.FILE_ID_SIZE];
            int rc = Onshi.LIB.onshi_file_pending_next(buf, new SizeT(buf.length), ptr(), after);
            if (rc == Status.NOT_FOUND) {
                return ids;
            }
            call(rc);
            after = cstr(buf);
            ids.add(after);
        }
    }

    /** The requests the file transport left open (all: the finished ones still kept too), in
     *  id order; the listing first recovers what stopped processes left
     *  (docs/file-transport.md, "Recovery after a crash"). */
    public List<Pending> pending(boolean all) throws OnshiException {
        List<Pending> l = new ArrayList<>();
        String after = null;
        while (true) {
            PointerByReference out = new PointerByReference();
            int rc = Onshi.LIB.onshi_pending_next(out, ptr(), after, all ? PendingFlags.ALL : 0);
            if (rc == Status.NOT_FOUND) {
                return l;
            }
            call(rc);
            Pending p = new Pending(out.getValue(), this);
            after = p.id();
            l.add(p);
        }
    }

    /** The open requests ({@link #pending(boolean)} without the finished ones). */
    public List<Pending> pending() throws OnshiException {
        return pending(false);
    }

    /** One request by id, in any state. */
    public Pending getPending(String id) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_pending_get(out, ptr(), id));
        return new Pending(out.getValue(), this);
    }

    /** POST one XmlMsg request body over HTTPS (the server always verified) and return the
     *  result body. Only a request with an idempotency key (may be null) is retried; without
     *  one it is sent at most once. */
    public byte[] httpsExchange(int type, byte[] body, String idempotencyKey) throws OnshiException {
        PointerByReference out = new PointerByReference();
        call(Onshi.LIB.onshi_https_exchange(out, ptr(), type, body, new SizeT(body.length), idempotencyKey));
        return Message.take(out);
    }

    /** The HTTP path of a message type ("/..."); null restores the default. */
    public void setHttpsPath(int type, String path) throws OnshiException {
        call(Onshi.LIB.onshi_https_set_path(ptr(), type, path));
    }

    /** Close the kept-alive HTTPS connection (harmless when none is open). */
    public void closeHttps() {
        Onshi.LIB.onshi_https_close(ptr());
    }

    @Override
    public void close() {
        super.close();
        installed = null;
    }
}
