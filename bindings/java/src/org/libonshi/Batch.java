// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.util.ArrayList;
import java.util.List;

/** A batch (一括照会, 照会番号一括登録, consent queries): persisted, resumable by id. */
public final class Batch extends Handle {
    private final Context ctx;

    Batch(Pointer p, Context ctx) {
        super(p, Onshi.LIB::onshi_batch_free);
        this.ctx = ctx;
    }

    /** Add one patient (a {@link RequestKind#BATCH_ENTRY} request). */
    public Batch add(Request entry) throws OnshiException {
        ctx.call(Onshi.LIB.onshi_batch_add(ptr(), entry.ptr()));
        return this;
    }

    public void setPeriod(String from, String to, boolean examination) throws OnshiException {
        ctx.call(Onshi.LIB.onshi_batch_set_period(ptr(), examination ? 1 : 0, from, to));
    }

    public void setMonth(String month) throws OnshiException {
        ctx.call(Onshi.LIB.onshi_batch_set_month(ptr(), month));
    }

    public void validate() throws OnshiException {
        ctx.call(Onshi.LIB.onshi_batch_validate(new SizeT.ByReference(), ptr()));
    }

    /** Validate and persist (from now on it has an id). */
    public void save() throws OnshiException {
        ctx.call(Onshi.LIB.onshi_batch_save(ptr()));
    }

    /** Run or resume until the results are stored (progress to the context's onProgress). */
    public void run() throws OnshiException {
        ctx.call(Onshi.LIB.onshi_batch_run(ptr()));
    }

    public String id() {
        return Onshi.LIB.onshi_batch_id(ptr());
    }

    public int kind() {
        return Onshi.LIB.onshi_batch_kind(ptr());
    }

    /** A constant of {@link BatchPhase}. */
    public int phase() {
        return Onshi.LIB.onshi_batch_phase(ptr());
    }

    public String receptionNumber() {
        return Onshi.LIB.onshi_batch_reception_number(ptr());
    }

    public long downloadCount() {
        return Onshi.LIB.onshi_batch_download_count(ptr());
    }

    public String failMessage() {
        return Onshi.LIB.onshi_batch_fail_message(ptr());
    }

    public int count() {
        return Onshi.LIB.onshi_batch_count(ptr()).intValue();
    }

    public String patientId(int i) {
        return Onshi.LIB.onshi_batch_patient_id(ptr(), new SizeT(i));
    }

    /** A constant of {@link BatchOutcome}. */
    public int outcome(int i) throws OnshiException {
        int o = Onshi.LIB.onshi_batch_outcome(ptr(), new SizeT(i));
        OnshiException.check(o);
        return o;
    }

    public String outcomeLabel(int outcome, String lang) {
        return Onshi.LIB.onshi_batch_outcome_label(Onshi.labelContext(lang), outcome, kind());
    }

    public String resultCode(int i) {
        return Onshi.LIB.onshi_batch_result_code(ptr(), new SizeT(i));
    }

    public String resultMessage(int i) {
        return Onshi.LIB.onshi_batch_result_message(ptr(), new SizeT(i));
    }

    // Groups of one entry last until another entry is read (onshi_batch_unit).
    private int unitGen;
    private long unitEntry = -1;

    @Override
    int generation() {
        return unitGen;
    }

    private int entry(int i) {
        if (i != unitEntry) {
            unitGen++;
            unitEntry = i;
        }
        return unitGen;
    }

    /** The BulkConfirmUnit of entry i, valid until another entry is read. */
    public Group unit(int i) throws OnshiException {
        int gen = entry(i);
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_batch_unit(out, ptr(), new SizeT(i)));
        return new Group(out.getValue(), this, gen);
    }

    public List<Group> persons(int i) throws OnshiException {
        List<Group> l = new ArrayList<>();
        int gen = entry(i);
        long n = Onshi.LIB.onshi_batch_person_count(ptr(), new SizeT(i)).longValue();
        for (long k = 0; k < n; k++) {
            PointerByReference out = new PointerByReference();
            ctx.call(Onshi.LIB.onshi_batch_person(out, ptr(), new SizeT(i), new SizeT(k)));
            l.add(new Group(out.getValue(), this, gen));
        }
        return l;
    }
}
